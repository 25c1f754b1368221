"""`igtk info`: versions, every path, terminal colour system and vault backend."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

PACKAGES = ("textual", "rich", "httpx", "playwright", "PyYAML", "aiosqlite", "keyring", "cryptography", "platformdirs",
            "psycopg", "psycopg-pool")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("info", help="versions, paths, terminal and vault facts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _version(name: str) -> str:
    from importlib import metadata  # imported here: every command's module loads at start-up

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def colour_system(env: dict[str, str]) -> str:
    """What a Textual app will use here, decided the way Rich decides it, without importing it."""
    if env.get("NO_COLOR"):
        return "none (NO_COLOR)"
    if env.get("TEXTUAL_COLOR_SYSTEM"):
        return env["TEXTUAL_COLOR_SYSTEM"]
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    term = env.get("TERM", "")
    if "256" in term:
        return "256"
    if term in ("dumb", ""):
        return "none"
    return "standard (16)"


def store_facts(runtime: Any) -> dict[str, str]:
    """Where the history lives, without connecting and never with a password."""
    from igtk_tui.store.location import StoreUrlError, location_for

    settings = runtime.settings
    try:
        location = location_for(runtime.paths.db_file, settings)
    except StoreUrlError as exc:
        return {"backend": "postgresql", "location": f"unusable: {exc}"}
    facts = {"backend": "postgresql" if location.is_postgres else "sqlite", "location": location.display}
    if location.is_postgres:
        facts["password from"] = (f"vault credential {settings.store_credential!r}" if settings.store_credential
                                  else "the URL or libpq (PGPASSFILE, ~/.pgpass, PGPASSWORD)")
    return facts


def collect() -> dict[str, Any]:
    import platform

    from igtk_tui import __version__
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    env = dict(os.environ)
    from igtk_tui.vault import vault_status

    # Unlocks nothing and runs no KDF: info must be instant and print whatever the vault's state.
    vault = vault_status(runtime.paths, env=env)
    return {
        "igtk": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "paths": runtime.paths.as_dict(),
        "playbook_roots": [f"{origin}: {path}" for origin, path in runtime.library.roots],
        "settings_sources": list(runtime.settings.sources),
        "store": store_facts(runtime),
        "terminal": {"TERM": env.get("TERM", ""), "COLORTERM": env.get("COLORTERM", ""),
                     "NO_COLOR": env.get("NO_COLOR", ""), "colour_system": colour_system(env)},
        "vault": vault,
        "agent": agent_facts(runtime.paths),
    }


def agent_facts(paths: Any) -> dict[str, str]:
    """Whether this state root's agent runs (read from its lock, never by connecting: instant),
    and where its socket and its log are: the log is where a run's troubles end up."""
    from igtk_tui.agent.location import AgentLocation

    location = AgentLocation.of(paths)
    pid = location.holder_pid() if location.alive() else None
    return {"state": f"running (pid {pid})" if pid else "not running", "socket": str(location.socket),
            "log": str(location.log)}


def run(args: argparse.Namespace) -> int:
    data = collect()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"igtk {data['igtk']} on Python {data['python']} ({data['platform']})")
    print("packages:")
    for k, v in data["packages"].items():
        print(f"  {k:<14} {v}")
    print("paths:")
    for k, v in data["paths"].items():
        print(f"  {k:<18} {v}")
    print("playbook roots:")
    for r in data["playbook_roots"]:
        print(f"  {r}")
    print("settings from: " + ", ".join(data["settings_sources"]))
    print("history store:")
    for k, v in data["store"].items():
        print(f"  {k:<14} {v}")
    t = data["terminal"]
    print(f"terminal: TERM={t['TERM']!r} COLORTERM={t['COLORTERM']!r} NO_COLOR={t['NO_COLOR']!r} "
          f"colour system: {t['colour_system']}")
    print("vault:")
    for k, v in data["vault"].items():
        print(f"  {k:<14} {v}")
    print("agent:")
    for k, v in data["agent"].items():
        print(f"  {k:<14} {v}")
    return 0
