"""Settings: defaults < /etc/igtk/config.toml < user config.toml < IGTK_* env < CLI flags.

TOML is read with the standard library's tomllib. Unknown keys are reported,
not silently ignored, so a typo in a plant server's config is noticed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.paths import Paths, resolve_paths, system_config_file
from igtk_tui.values import coerce


@dataclass(frozen=True)
class Settings:
    # Engine
    execution_timeout: float | None = 4 * 3600.0  # seconds; 0 or none = no limit
    script_concurrency: int | None = None  # utility.python subprocesses at once; 0 or none = CPU count
    debug_tracebacks: bool = False
    # Store
    retention_days: int | None = 90
    retention_count: int | None = 10000
    # Shared history: "postgresql://user@host:5432/db" (unset: the state root's SQLite file).
    # The password comes from the URL, libpq (PGPASSFILE, ~/.pgpass) or the vault credential named here.
    store_url: str | None = None
    store_credential: str | None = None
    # Workers (with store_url only; docs/workers.md): queued executions this agent runs at once
    # (0: it queues and coordinates but runs none), and the heartbeat after which another agent
    # judges a silent one dead and marks its executions interrupted.
    worker_concurrency: int = 4
    worker_heartbeat: float = 10.0
    worker_stalled_after: float = 30.0
    # Gateway
    verify_tls: bool = True
    ca_bundle: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    request_concurrency: int | None = 16  # gateway requests in flight per process; 0 or none = CPU count
    # Browser
    browser_path: str | None = None
    browser_headless: bool = True
    # Vault
    vault_backend: str = "auto"  # auto | keyring | file
    # Library
    playbook_dirs: tuple[str, ...] = ()
    playbook_max_bytes: int = 10 * 1024 * 1024  # a larger playbook file is refused before parsing
    playbook_max_depth: int = 64  # nesting levels of YAML collections in one playbook
    # TUI
    theme: str = "igtk-dark"
    mouse: bool = False
    ui_refresh_hz: float = 4.0
    log_max_lines: int = 20000
    keymap: dict[str, str] = field(default_factory=dict)
    # Notifications of scheduled runs ([notify] on = ..., targets = [...]; docs/schedules.md)
    notify_on: str = "failure"  # failure | success | always | never: the default of schedules without their own
    notify_targets: tuple[str, ...] = ()  # the default targets (KIND[OPTIONS]:VALUE)
    notify_attempts: int = 3  # tries per target before a notification is recorded failed
    notify_backoff: float = 2.0  # seconds before the second try, doubled for each further one
    # Where values came from, for `igtk info`.
    sources: tuple[str, ...] = ()

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_SETTABLE = [f.name for f in fields(Settings) if f.name != "sources"]
# Sections whose keys are named without their prefix: [notify] on = "always" sets notify_on.
_SECTION_PREFIX = {"notify": "notify_"}
# Each setting's value kind (igtk_tui.values) and whether it may be unset ("none", "", and 0 for
# the limits where 0 means "no limit"), read off the field's annotation.
_KIND_OF = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}
_FIELDS = {f.name: str(f.type) for f in fields(Settings)}


def _coerce(name: str, value: Any, origin: str) -> Any:
    annotation = _FIELDS[name]
    try:
        if name == "keymap":
            if not isinstance(value, dict):
                raise ValueError("must be a table of binding id = key")
            return {str(k): str(v) for k, v in value.items()}
        if name == "playbook_dirs":
            if isinstance(value, str):
                value = [v for v in value.split(os.pathsep) if v]
            return tuple(str(coerce("string", v)) for v in value)
        if name == "notify_targets":  # from the environment: one target a line (URLs hold ':' and ',')
            if isinstance(value, str):
                value = [v.strip() for v in value.splitlines() if v.strip()]
            if not isinstance(value, (list, tuple)):
                raise ValueError("expected a list of targets")
            return tuple(str(coerce("string", v)) for v in value)
        if name == "notify_on":
            from igtk_tui.schedules.model import NOTIFY_ON

            if value not in NOTIFY_ON:
                raise ValueError(f"expected one of {', '.join(NOTIFY_ON)}, got {value!r}")
            return str(value)
        kind = _KIND_OF[annotation.split("|")[0].strip()]
        if "None" in annotation and value in ("", "none", None) + (("0", 0) if kind != "string" else ()):
            return None
        return coerce(kind, value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{origin}: setting {name!r}: {exc}") from None


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return {}
    import tomllib  # only when a config file exists: most runs have none

    try:
        with fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        # Sections are for readability only: [engine] execution_timeout = ...
        if isinstance(value, dict) and key != "keymap":
            prefix = _SECTION_PREFIX.get(key, "")
            flat.update({k if k.startswith(prefix) else prefix + k: v for k, v in value.items()})
        else:
            flat[key] = value
    for key in flat:
        if key not in _SETTABLE:
            import difflib

            close = difflib.get_close_matches(key, _SETTABLE, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidInput(f"{path}: unknown setting {key!r}{hint}")
    return {k: _coerce(k, v, str(path)) for k, v in flat.items()}


def load_settings(paths: Paths | None = None, env: dict[str, str] | None = None, **cli: Any) -> Settings:
    env = dict(os.environ if env is None else env)
    paths = paths or resolve_paths(env)
    values: dict[str, Any] = {}
    sources = ["defaults"]
    for path in (system_config_file(), paths.config_file):
        layer = _from_toml(path)
        if layer:
            values.update(layer)
            sources.append(str(path))
    for name in _SETTABLE:
        key = f"IGTK_{name.upper()}"
        if key in env:
            values[name] = _coerce(name, env[key], key)
            sources.append(key)
    cli_values = {k: v for k, v in cli.items() if v is not None}
    if cli_values:
        values.update(cli_values)
        sources.append("command line")
    return Settings(**values, sources=tuple(sources))
