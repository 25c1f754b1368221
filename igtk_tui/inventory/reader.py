"""Reading `inventory.toml` with tomllib, every problem as `file:line:col: message`.

Why all problems at once: a plant's inventory is edited by hand in bulk (fifty gateways
pasted from a spreadsheet); one run of `igtk inventory list` should name every bad line,
as `igtk validate` does for playbooks. tomllib gives positions only for syntax errors,
so semantic ones are placed by a small scan of the text (`Locator`): at least the
gateway's table header, the key's own line when it has one.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.inventory.model import ALL, KEYS, VERSION_RE, Gateway, Inventory, check_name, check_tag
from igtk_tui.values import gateway_key, normalise_url

_HEADER = re.compile(r"^\s*\[\s*gateways\s*\.\s*(?P<name>\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.-]+)\s*\]")
_ANY_HEADER = re.compile(r"^\s*\[")
_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
MAX_BYTES = 4 * 1024 * 1024


class InventoryError(InvalidInput):
    """The inventory file cannot be used as it is (exit 2); `problems` holds one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Locator:
    """Line and column of a gateway's table and of its keys, found in the text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: dict[str, int] = {}
        for n, line in enumerate(self.lines, 1):
            match = _HEADER.match(line)
            if match:
                self.headers.setdefault(match["name"].strip("\"'"), n)

    def gateway(self, name: str) -> tuple[int, int]:
        if name in self.headers:
            return self.headers[name], 1
        pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
        for n, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return n, len(line) - len(line.lstrip()) + 1
        return 1, 1

    def key(self, name: str, key: str) -> tuple[int, int]:
        start, col = self.gateway(name)
        if name in self.headers:
            pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
            for n in range(start + 1, len(self.lines) + 1):
                line = self.lines[n - 1]
                if _ANY_HEADER.match(line):
                    break
                if pattern.match(line):
                    return n, line.index(key) + 1
        return start, col


def read_inventory(path: Path) -> Inventory:
    """The inventory at `path` (an empty one when the file does not exist); InventoryError otherwise."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Inventory(path)
    except OSError as exc:
        raise InventoryError([f"{path}: cannot read the inventory: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise InventoryError([f"{path}: the inventory is larger than {MAX_BYTES // (1024 * 1024)} MiB"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InventoryError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    return parse_inventory(text, path)


def parse_inventory(text: str, path: Path) -> Inventory:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS.search(message)
        where = f"{path}:{match[1]}:{match[2]}" if match else str(path)
        raise InventoryError([f"{where}: {_TOML_POS.sub('', message)}"]) from None
    return _Validator(path, Locator(text)).inventory(data)


class _Validator:
    def __init__(self, path: Path, locator: Locator) -> None:
        self.path = path
        self.locator = locator
        self.problems: list[str] = []

    def problem(self, where: tuple[int, int], message: str) -> None:
        self.problems.append(f"{self.path}:{where[0]}:{where[1]}: {message}")

    def inventory(self, data: dict[str, Any]) -> Inventory:
        for key in data:
            if key != "gateways":
                self.problem((1, 1), f"unknown top-level key {key!r}{_hint(key, ['gateways'])}: "
                                     "each gateway is a [gateways.NAME] table")
        table = data.get("gateways", {})
        gateways: list[Gateway] = []
        if not isinstance(table, dict):
            self.problem((1, 1), "`gateways` must be a table of [gateways.NAME] tables")
            table = {}
        for name, entry in table.items():
            gateway = self.gateway(name, entry)
            if gateway is not None:
                gateways.append(gateway)
        inventory = Inventory(self.path, gateways)
        self.cross_checks(inventory)
        if self.problems:
            raise InventoryError(self.problems)
        return inventory

    def gateway(self, name: str, entry: Any) -> Gateway | None:
        where = self.locator.gateway(name)
        bad_name = check_name("gateway", name)
        if bad_name:
            self.problem(where, bad_name)
            return None
        if not isinstance(entry, dict):
            self.problem(where, f"gateway {name!r}: expected a table with url and credential")
            return None
        before = len(self.problems)
        for key in entry:
            if key not in KEYS:
                self.problem(self.locator.key(name, key),
                             f"gateway {name!r}: unknown key {key!r}{_hint(key, KEYS)}")
        url = self.text(name, entry, "url", required=True)
        if url:
            try:
                url = normalise_url(url)
            except ValueError as exc:
                self.problem(self.locator.key(name, "url"), f"gateway {name!r}: url: {exc}")
        credential = self.text(name, entry, "credential", required=True)
        version = self.text(name, entry, "version")
        if version and not VERSION_RE.match(version):
            self.problem(self.locator.key(name, "version"),
                         f"gateway {name!r}: version {version!r} is not an Ignition version like 8.3.2")
        groups = self.names(name, entry, "groups")
        tags = self.names(name, entry, "tags")
        description = self.text(name, entry, "description")
        if len(self.problems) > before:
            return None
        return Gateway(name, url or "", credential or "", version or None, tuple(groups), tuple(tags),
                       description or "")

    def text(self, name: str, entry: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.problem(self.locator.gateway(name), f"gateway {name!r}: `{key}` is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(self.locator.key(name, key), f"gateway {name!r}: `{key}` must be a non-empty string")
            return None
        return value.strip()

    def names(self, name: str, entry: dict[str, Any], key: str) -> list[str]:
        value = entry.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(self.locator.key(name, key), f"gateway {name!r}: `{key}` must be a list of strings")
            return []
        out: list[str] = []
        for item in value:
            bad = check_name("group", item) if key == "groups" else check_tag(item)
            if bad:
                self.problem(self.locator.key(name, key), f"gateway {name!r}: {bad}")
            elif item not in out:
                out.append(item)
        return out

    def cross_checks(self, inventory: Inventory) -> None:
        seen: dict[str, str] = {}
        urls: dict[str, str] = {}
        for gateway in inventory.gateways:
            folded = gateway.name.lower()
            if folded in seen:
                self.problem(self.locator.gateway(gateway.name),
                             f"gateway {gateway.name!r}: duplicate of {seen[folded]!r} (names differ only in case)")
            seen.setdefault(folded, gateway.name)
            key = gateway_key(gateway.url)
            if key in urls:
                inventory.warnings.append(f"{self.path}: gateways {urls[key]!r} and {gateway.name!r} have the "
                                          f"same URL {gateway.url}")
            urls.setdefault(key, gateway.name)
        names = {g.name for g in inventory.gateways}
        for group in inventory.groups:
            if group == ALL:
                self.problem(self.locator.gateway(inventory.groups[group][0].name),
                             f"group {ALL!r} is reserved: `--on {ALL}` means every gateway")
            elif group in names:
                self.problem(self.locator.gateway(inventory.groups[group][0].name),
                             f"group {group!r} has the name of a gateway: `--on {group}` would be ambiguous")


def _hint(word: str, candidates: Any) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
