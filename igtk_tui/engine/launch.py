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
    """Merge --gateway and credential autofill under explicit values, then validate.

    The one rule for the run's gateway: an explicit `-p gateway_url=` (or `url=`), else
    `--gateway`, else the credential's URL. `--gateway` fills the URL parameters before
    the credential does, so the steps, the preflight and the record name one gateway;
    an explicit value naming another gateway than `--gateway` is refused (exit 2).
    """
    values = dict(given)
    names: list[str] = []
    warnings = list(playbook.warnings)
    if gateway_url:
        check_gateway_url(gateway_url)
        for name in GATEWAY_PARAM_NAMES:
            value = values.get(name)
            if value not in (None, "") and not same_gateway(str(value), gateway_url):
                raise InvalidInput(f"-p {name}={value} and --gateway {gateway_url} name different gateways: "
                                   "give one of them")
            if playbook.parameter(name) and value in (None, ""):
                values[name] = gateway_url
    if credential is not None:
        values = credential.fill([(p.name, p.type.value) for p in playbook.parameters], values)
        names.append(credential.name)
    bound = bind_parameters(playbook, values, check_files=check_files)
    for p in playbook.parameters:
        if p.type == ParamType.CREDENTIAL and bound.get(p.name) and bound[p.name] not in names:
            names.append(str(bound[p.name]))
    gw = gateway_url or next((str(bound[n]) for n in GATEWAY_PARAM_NAMES if bound.get(n)), None)
    return RunRequest(playbook, bound, tuple(names), gw, warnings)


def same_gateway(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def check_credentials(request: RunRequest, vault: Any) -> None:
    """Every credential the run names exists, before the first step; the run's gateway.

    An unknown name raises the vault's CredentialNotFound (exit 2, with close
    matches). A credential for another gateway than the run's is reported in
    `request.warnings`; a run with no URL of its own takes its credentials' one
    (when they agree), so the record and `history --gateway` name it.
    """
    urls: list[str] = []
    for name in request.credential_names:
        url = getattr(vault.get(name), "gateway_url", "") or ""
        if not url:
            continue
        if request.gateway_url and not same_gateway(url, request.gateway_url):
            request.warnings.append(f"credential {name!r} is for {url}; this run uses {request.gateway_url}")
        urls.append(url.strip().rstrip("/"))
    if request.gateway_url is None and urls and all(same_gateway(u, urls[0]) for u in urls):
        request.gateway_url = urls[0]


def check_gateway_url(url: str) -> None:
    """`--gateway` must be an http(s) URL with a host and no user info (exit 2 before anything runs)."""
    from igtk_tui.values import is_http_url

    if "@" in url.partition("?")[0].partition("#")[0]:  # first, and never quoted: it may hold a password
        raise InvalidInput("--gateway: a user name or password inside the URL is not accepted (it would be "
                           "recorded with the URL); store them in a vault credential and pass -c NAME")
    if not is_http_url(url.strip()):
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
