"""Checking a schedule before it is stored, for `igtk schedule add|edit` and the TUI's form.

Why everything is checked here and again at fire time: a schedule is written once and
runs unattended for months; a typo must be refused while the operator is still at the
keyboard, with the exact field named (exit 2) and nothing written. The playbook is
loaded and its parameters bound with the same `build_request` `igtk run` uses.
Credentials are checked against the vault; when the vault is locked, against the
keyring's non-secret index if there is one; otherwise the check is reported as not
done (a warning), and the fire will say "vault locked" if it still is then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.schedules.model import CATCH_UP, NOTIFY_ON, OVERLAP, Schedule, check_choice, check_name


@dataclass
class Checked:
    schedule: Schedule
    warnings: list[str] = field(default_factory=list)


class StandIn:
    """A credential that could not be read (vault locked): it fills what a credential would, with
    placeholders, so the parameters that depend on it are not reported missing."""

    PLACEHOLDER = "(from the vault at fire time)"

    def __init__(self, name: str, gateway_url: str = "") -> None:
        self.name = name
        self.gateway_url = gateway_url

    def fill(self, params_decl: Any, given: dict[str, Any]) -> dict[str, Any]:
        from igtk_tui.vault.autofill import PASSWORD_NAMES, TOKEN_NAMES, URL_NAMES, USERNAME_NAMES

        out = dict(given)
        for name, type_ in params_decl:
            if out.get(name) not in (None, ""):
                continue
            key = name.lower()
            if type_ == "credential":
                out[name] = self.name
            elif key in URL_NAMES:
                out[name] = self.gateway_url or "http://vault-locked.invalid"
            elif key in USERNAME_NAMES | PASSWORD_NAMES | TOKEN_NAMES:
                out[name] = self.PLACEHOLDER
        return out


def check_schedule(runtime: Any, schedule: Schedule, *, now: float, vault: Callable[[], Any] | None = None
                   ) -> Checked:
    """The schedule as it is to be stored (cron normalised, playbook resolved), or InvalidInput.

    `vault` opens the vault (default `runtime.vault`; the TUI hands the one its operator unlocked)."""
    from igtk_tui.schedules.timing import CronError, FireTimes, ZoneError, normalise, zone

    check_name(schedule.name)
    try:
        cron = normalise(schedule.cron)
    except CronError as exc:
        raise InvalidInput(f"--cron: {exc}") from None
    try:
        zone(schedule.tz)
    except ZoneError as exc:
        raise InvalidInput(f"--tz: {exc}") from None
    try:
        FireTimes(cron, schedule.tz).next_after(now)
    except CronError as exc:
        raise InvalidInput(f"--cron: {exc}") from None
    check_choice("--overlap", schedule.overlap, OVERLAP)
    check_choice("--catch-up", schedule.catch_up, CATCH_UP)
    if schedule.notify_on is not None:
        check_choice("--notify-on", schedule.notify_on, NOTIFY_ON)
    warnings: list[str] = []
    stored_playbook, playbook = _check_playbook(runtime, schedule.playbook)
    _check_no_secrets(playbook, schedule.params)
    names = ([("-c", schedule.credential)] if schedule.credential else [])
    targets = _check_targets(schedule.notify)
    names += [(f"--notify {t.spec!r} credential", t.credential) for t in targets if t.credential]
    credentials = _check_credentials(runtime, vault or runtime.vault, names, warnings)
    from igtk_tui.engine.launch import build_request

    credential = credentials.get(schedule.credential) if schedule.credential else None
    if schedule.gateway_url:
        from igtk_tui.engine.launch import check_gateway_url

        check_gateway_url(schedule.gateway_url)  # "--gateway ...: expected a gateway URL" (exit 2)
    try:
        build_request(playbook, dict(schedule.params), credential=credential, gateway_url=schedule.gateway_url)
    except InvalidInput as exc:
        raise InvalidInput(f"parameters of {stored_playbook}: {exc}") from None
    return Checked(schedule.with_changes(cron=cron, playbook=stored_playbook), warnings)


def _check_playbook(runtime: Any, ref: str) -> tuple[str, Any]:
    """(what to store, the loaded playbook): a library path when the file is the library's
    effective copy (a later user override is then followed), else the absolute file."""
    from igtk_tui.playbook.loader import load_file

    library = runtime.library
    try:
        path = library.find(ref)
    except InvalidInput as exc:
        raise InvalidInput(f"PLAYBOOK: {exc}") from None
    playbook = load_file(path)  # PlaybookError: file:line:col problems (exit 2)
    runtime.check_enabled(playbook)
    rel = library.relative(path)
    stored = rel if rel is not None and library.effective_path(rel) == path.resolve() else str(Path(path).resolve())
    return stored, playbook


def _check_no_secrets(playbook: Any, params: dict[str, Any]) -> None:
    from igtk_tui.playbook.params import secret_parameter_names

    secret = sorted(set(params) & secret_parameter_names(playbook))
    if secret:
        raise InvalidInput(f"-p {secret[0]}: a schedule stores no secrets; keep it in a vault credential and "
                           "name that credential with -c (it fills username/password/token at fire time)")


def _check_targets(specs: tuple[str, ...]) -> list[Any]:
    from igtk_tui.notify.targets import TargetError, parse

    targets = []
    for spec in specs:
        try:
            targets.append(parse(spec))
        except TargetError as exc:
            raise InvalidInput(f"--notify {exc}") from None
    return targets


def _check_credentials(runtime: Any, open_vault: Callable[[], Any], names: list[tuple[str, str]],
                       warnings: list[str]) -> dict[str, Any]:
    """Each named credential from the vault (or a stand-in when it is locked); unknown names refused."""
    from igtk_tui.errors import ServiceUnavailable

    if not names:
        return {}
    try:
        vault = open_vault()
    except ServiceUnavailable as exc:
        return _check_against_index(runtime, names, warnings, str(exc).splitlines()[0])
    found: dict[str, Any] = {}
    for flag, name in names:
        try:
            found[name] = vault.get(name)
        except InvalidInput as exc:
            raise InvalidInput(f"{flag} {name}: {exc}") from None
    return found


def _check_against_index(runtime: Any, names: list[tuple[str, str]], warnings: list[str],
                         reason: str) -> dict[str, Any]:
    from igtk_tui.vault.errors import not_found
    from igtk_tui.vault.keyring_backend import read_index
    from igtk_tui.vault.vault import keyring_index_path

    index = read_index(keyring_index_path(runtime.paths))
    found: dict[str, Any] = {}
    for flag, name in names:
        if index is None:
            warnings.append(f"{flag} {name}: not checked, the vault is locked ({reason}); "
                            "the fire says so if it still is then")
            found[name] = StandIn(name)
        elif name not in index:
            raise InvalidInput(f"{flag} {name}: {not_found(name, sorted(index))} (checked against the keyring's "
                               "index: the vault is locked)")
        else:
            found[name] = StandIn(name, str(index[name].get("gateway_url") or ""))
    return found
