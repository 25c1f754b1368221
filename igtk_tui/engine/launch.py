"""Turning what an operator gave (a playbook reference, NAME=VALUE pairs, a
params file, a credential, a gateway URL) into a validated run request.

Shared by `igtk run`, `igtk rerun`/`resume` and the TUI's parameter form, so
every entry point coerces and validates the same way before any step runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.model import ParamType, Playbook
from igtk_tui.playbook.params import bind_parameters
from igtk_tui.playbook.refs import iter_refs

GATEWAY_PARAM_NAMES = ("gateway_url", "url")


@dataclass
class RunRequest:
    playbook: Playbook
    params: dict[str, Any]
    credential_names: tuple[str, ...] = ()
    gateway_url: str | None = None
    warnings: list[str] = field(default_factory=list)


def read_params_file(path: str) -> dict[str, Any]:
    """A mapping of parameter values; read and parsed by the playbook's safe YAML layer (size, pipes,
    binary, aliases and tags refused with file:line:col, exit 2)."""
    from igtk_tui.playbook import safe_yaml
    from igtk_tui.playbook.errors import PlaybookError

    try:
        text = safe_yaml.read_file(Path(path).expanduser())
        if path.endswith(".json"):
            import json

            try:
                data = json.loads(text)
            except ValueError as exc:
                raise InvalidInput(f"--params-file {path}: not valid JSON: {exc}") from None
        else:
            document = safe_yaml.parse(text, path)
            data = document.value if document else None
    except PlaybookError as exc:
        raise InvalidInput("\n".join(f"--params-file {p}" for p in exc.problems)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput(f"--params-file {path}: expected a mapping of parameter names to values")
    return data


def needs_vault(playbook: Playbook, params: dict[str, Any]) -> bool:
    """True when the run will read credentials (references or credential-typed parameters)."""
    for p in playbook.parameters:
        if p.type == ParamType.CREDENTIAL and params.get(p.name):
            return True
    for step in (*playbook.steps, *playbook.on_rollback):
        for ref in iter_refs(step.parameters):
            if ref.root == "credential":
                return True
    return False


def build_request(
    playbook: Playbook,
    given: dict[str, Any],
    *,
    credential: Any = None,
    gateway_url: str | None = None,
    check_files: bool = True,
) -> RunRequest:
    """Merge credential autofill and --gateway under explicit values, then validate."""
    values = dict(given)
    names: list[str] = []
    if credential is not None:
        values = credential.fill([(p.name, p.type.value) for p in playbook.parameters], values)
        names.append(credential.name)
    if gateway_url:
        check_gateway_url(gateway_url)
        for name in GATEWAY_PARAM_NAMES:
            if playbook.parameter(name) and name not in values:
                values[name] = gateway_url
    bound = bind_parameters(playbook, values, check_files=check_files)
    for p in playbook.parameters:
        if p.type == ParamType.CREDENTIAL and bound.get(p.name) and bound[p.name] not in names:
            names.append(str(bound[p.name]))
    gw = gateway_url or next((str(bound[n]) for n in GATEWAY_PARAM_NAMES if bound.get(n)), None)
    return RunRequest(playbook, bound, tuple(names), gw, list(playbook.warnings))


def check_gateway_url(url: str) -> None:
    """`--gateway` must be an http(s) URL with a host and no user info (exit 2 before anything runs)."""
    from urllib.parse import urlsplit

    if "@" in url.partition("?")[0].partition("#")[0]:  # first, and never quoted: it may hold a password
        raise InvalidInput("--gateway: a user name or password inside the URL is not accepted (it would be "
                           "recorded with the URL); store them in a vault credential and pass -c NAME")
    try:
        parts = urlsplit(url.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise InvalidInput(f"--gateway {url!r}: expected a gateway URL like http://host:8088 or https://host:8043")


class LazyCredentials:
    """The vault, opened on first use.

    `igtk run` opens the vault up front when the playbook visibly needs it (so a
    locked vault fails before the first step, exit 3); a credential asked for only
    by a nested playbook, or through a reference built at run time, still works:
    this opens the vault then.
    """

    def __init__(self, opener: Any) -> None:
        self._opener = opener
        self._vault: Any = None

    def get(self, name: str) -> Any:
        if self._vault is None:
            self._vault = self._opener()
        return self._vault.get(name)
