"""The gateways igtk knows by name: what one inventory entry holds, and the rules for names.

Why names and not URLs everywhere: a fleet run, a lock message and a report row say
`plant-a-gw1`, which an operator recognises; the URL and the vault credential's name
are looked up here. Secrets never live in the inventory: only the credential's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Names, groups and tags: what an operator types after --on (no commas, no spaces, no `:`).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=/-]{0,63}$")
VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)*( \(b?[^)]*\))?$")
ALL = "all"  # the target every gateway answers to, as in Ansible
KEYS = ("url", "credential", "version", "groups", "tags", "description")


@dataclass(frozen=True)
class Gateway:
    """One inventory entry; `url` is normalised (values.normalise_url)."""

    name: str
    url: str
    credential: str
    version: str | None = None
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""

    @property
    def group(self) -> str:
        """The first group, for one-line views (the fleet table's group column)."""
        return self.groups[0] if self.groups else ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "credential": self.credential, "version": self.version,
                "groups": list(self.groups), "tags": list(self.tags), "description": self.description}


@dataclass
class Inventory:
    """Every gateway of one inventory file, in the file's order (the order fleet batches follow)."""

    path: Path
    gateways: list[Gateway] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> Gateway | None:
        return next((g for g in self.gateways if g.name == name), None)

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.gateways]

    @property
    def groups(self) -> dict[str, list[Gateway]]:
        """Group name -> its gateways, groups in order of first appearance."""
        out: dict[str, list[Gateway]] = {}
        for gateway in self.gateways:
            for group in gateway.groups:
                out.setdefault(group, []).append(gateway)
        return out

    @property
    def tags(self) -> dict[str, list[Gateway]]:
        out: dict[str, list[Gateway]] = {}
        for gateway in self.gateways:
            for tag in gateway.tags:
                out.setdefault(tag, []).append(gateway)
        return out


def check_name(kind: str, value: Any) -> str | None:
    """A problem with a gateway or group name, or None."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        return (f"{kind} name {value!r} must start with a letter or digit and hold only letters, digits, "
                "'.', '_' and '-' (at most 64 characters)")
    return None


def check_tag(value: Any) -> str | None:
    if not isinstance(value, str) or not TAG_RE.match(value):
        return (f"tag {value!r} must start with a letter or digit and hold only letters, digits and . _ = / - "
                "(no spaces or commas; at most 64 characters)")
    return None


def make_gateway(name: str, url: str, credential: str, *, groups: Iterable[str] = (), tags: Iterable[str] = (),
                 version: str | None = None, description: str = "", labels: dict[str, str] | None = None) -> Gateway:
    """A checked entry from what an operator typed (`inventory add`, the TUI form); InvalidInput
    lists every problem, each named by `labels` (the flag or field), before anything is written."""
    from igtk_tui.errors import InvalidInput
    from igtk_tui.values import normalise_url

    label = {"url": "url", "credential": "credential", "version": "version", **(labels or {})}
    groups, tags = tuple(dict.fromkeys(g.strip() for g in groups if g.strip())), tuple(
        dict.fromkeys(t.strip() for t in tags if t.strip()))
    problems = [p for p in (check_name("gateway", name.strip()), *(check_name("group", g) for g in groups),
                            *(check_tag(t) for t in tags)) if p]
    if ALL in groups:
        problems.append(f"group {ALL!r} is reserved: `--on {ALL}` means every gateway")
    try:
        url = normalise_url(url)
    except ValueError as exc:
        problems.append(f"{label['url']}: {exc}")
    if not credential.strip():
        problems.append(f"{label['credential']}: give the name of a vault credential")
    version = (version or "").strip() or None
    if version and not VERSION_RE.match(version):
        problems.append(f"{label['version']} {version!r}: not an Ignition version like 8.3.2")
    if problems:
        raise InvalidInput("\n".join(problems))
    return Gateway(name.strip(), url, credential.strip(), version, groups, tags, description.strip())
