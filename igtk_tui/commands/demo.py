"""`igtk demo`: the TUI against a simulated gateway started in this process.

Everything a first look needs works out of the box: the shipped playbooks, a
simulated 8.3 gateway on a free 127.0.0.1 port, and a vault (encrypted file,
generated passphrase) holding a demo API-token credential and a demo admin
login for that gateway. State lives in a throwaway folder removed on exit,
unless IGTK_HOME is set (then it stays, e.g. to read `igtk history` after).
A throwaway demo still reads the user's own config.toml and themes (keymap,
theme) and writes crash reports to the user's crash folder, so the path it
prints outlives the demo.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

DEMO_TOKEN_CREDENTIAL = "demo-gateway"
DEMO_LOGIN_CREDENTIAL = "demo-admin"
PASSPHRASE_FILE = "demo-vault-passphrase"


def add_parser(sub: Any) -> None:
    from igtk_tui.commands.tui import add_tui_options

    p = sub.add_parser("demo", help="open the TUI against a built-in simulated gateway, with the shipped playbooks",
                       description=__doc__.splitlines()[0])
    p.add_argument("--gateway-version", choices=("8.3", "8.1"), default="8.3",
                   help="which gateway generation to simulate (default 8.3)")
    add_tui_options(p)
    p.set_defaults(func=run)


def demo_environment(root: Path, base: dict[str, str]) -> dict[str, str]:
    """The demo's environment: its own state root and a file vault with a passphrase file."""
    env = dict(base)
    env["IGTK_HOME"] = str(root)
    if not (env.get("IGTK_VAULT_PASSPHRASE") or env.get("IGTK_VAULT_PASSPHRASE_FILE")):
        secret_file = root / PASSPHRASE_FILE
        if not secret_file.exists():
            root.mkdir(parents=True, exist_ok=True)
            fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(32) + "\n")
        env["IGTK_VAULT_PASSPHRASE_FILE"] = str(secret_file)
    # Never touch the operator's desktop keyring from a demo.
    env["IGTK_VAULT_BACKEND"] = "file"
    return env


def demo_paths(root: Path, env: dict[str, str]) -> Any:
    """A throwaway demo's locations: data and state under `root`; config and crash reports the user's."""
    from igtk_tui.paths import Paths, resolve_paths

    user = resolve_paths({k: v for k, v in env.items() if k != "IGTK_HOME"})
    return Paths(config_dir=user.config_dir, data_dir=root / "data", state_dir=root / "state",
                 crash_root=user.crash_dir)


def seed_vault(runtime: Any, url: str, token: str, admin: tuple[str, str]) -> str | None:
    """Put the demo credentials in the vault; a problem is returned as text, never raised."""
    from igtk_tui.errors import IgtkError
    from igtk_tui.vault import Credential, CredentialNotFound, Vault

    name, _, secret = token.partition(":")
    wanted = [
        Credential(DEMO_TOKEN_CREDENTIAL, "api-token", name, secret, url, "igtk demo: simulated gateway API token"),
        Credential(DEMO_LOGIN_CREDENTIAL, "basic", admin[0], admin[1], url, "igtk demo: simulated gateway admin"),
    ]
    try:
        vault = Vault.open(runtime.paths, env=runtime.env, backend="file")
        for cred in wanted:
            try:
                vault.get(cred.name)
                vault.update(cred.name, type=cred.type, username=cred.username, secret=cred.secret,
                             gateway_url=cred.gateway_url, description=cred.description)
            except CredentialNotFound:
                vault.add(cred)
    except IgtkError as exc:
        return str(exc).splitlines()[0]
    return None


def stop_demo_agent(paths: Any) -> None:
    """The demo's runs ran in an agent of the demo's own state root, against the gateway this
    process simulates: it stops with the demo (`q` asked first), so nothing is left behind.
    SIGTERM, as a service manager would: what still runs is recorded `interrupted` (nobody chose
    to cancel it), then the agent lets go of its lock as its last act."""
    import signal
    import time

    from igtk_tui.agent.location import AgentLocation

    location = AgentLocation.of(paths)
    pid = location.holder_pid() if location.alive() else None
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 40
    while location.alive() and time.monotonic() < deadline:
        time.sleep(0.02)  # polling the lock of a process we asked to stop


def run(args: argparse.Namespace) -> int:
    from igtk_tui.simulator.server import SimulatedGateway
    from igtk_tui.tui.app import DemoInfo, run_app
    from igtk_tui.tui.deferred import DeferredRuntime

    home = os.environ.get("IGTK_HOME")
    temporary = not home
    root = Path(tempfile.mkdtemp(prefix="igtk-demo-")) if temporary else Path(home or "").expanduser().resolve()
    # The demo keeps API tokens over plain HTTP working (a real 8.3 gateway requires HTTPS for
    # them by default; `igtk simulator --realistic` shows that).
    gateway = SimulatedGateway(version=getattr(args, "gateway_version", "8.3"))
    runtime: DeferredRuntime | None = None
    try:
        gateway.start()
        env = demo_environment(root, dict(os.environ))
        deferred = runtime = DeferredRuntime(env, paths=demo_paths(root, dict(os.environ)) if temporary else None)
        admin = (gateway.config.admin_username, gateway.config.admin_password)
        # Seeded by the app in its vault thread, after the first screen (DemoInfo.seed).
        demo = DemoInfo(gateway.url, gateway.api_token, str(root), credential=DEMO_TOKEN_CREDENTIAL,
                        temporary=temporary,
                        seed=lambda: seed_vault(deferred, gateway.url, gateway.api_token, admin))
        return run_app(runtime, demo=demo, theme=getattr(args, "theme", None), mouse=getattr(args, "mouse", None))
    finally:
        if runtime is not None:
            stop_demo_agent(runtime.paths)
        gateway.stop()
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
