"""Helpers for the secret tests: the `igtk` command in a subprocess with a private IGTK_HOME,
a canary secret in every encoding it could travel in, and byte-level scans for it."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, quote_plus

REPO = Path(__file__).resolve().parents[3]
VAULT_PASSPHRASE = "secrets-tests-vault-passphrase"
MASK = "••••"


def make_canary(label: str = "canary") -> str:
    """A long random secret with characters that URL, JSON and XML encode differently
    (a hex-only canary would make every encoded form identical to the raw one); its random
    part is the longest run of hex digits (see encoded_forms)."""
    return f"{label}-{secrets.token_hex(16)}-&/+%\"é"


def encoded_forms(secret: str, username: str = "admin") -> dict[str, bytes]:
    """Every form in which the secret could reach a file or a stream, as UTF-8 bytes.

    "random core" is the secret's random part alone (its longest run of at least 16 hex
    digits, so the secret must have one): it finds a secret that was cut,
    sanitised (a file name) or re-encoded in a way the other forms do not cover.
    """
    forms = {
        "raw": secret,
        "random core": max(re.findall(r"[0-9a-f]{16,}", secret), key=len),
        "url-encoded": quote(secret, safe=""),
        "url-encoded (form)": quote_plus(secret),
        "url-encoded (path)": quote(secret),
        "json-escaped": json.dumps(secret)[1:-1],
        "json-escaped (utf-8)": json.dumps(secret, ensure_ascii=False)[1:-1],
        "xml-escaped": html.escape(secret, quote=True),
        "repr": repr(secret)[1:-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 (basic auth)": base64.b64encode(f"{username}:{secret}".encode()).decode(),
    }
    return {name: text.encode("utf-8") for name, text in forms.items()}


def leaks_in(data: bytes | str, forms: dict[str, bytes]) -> list[str]:
    """The names of the forms of the secret found in `data`."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    return [name for name, form in forms.items() if form in blob]


def scan_files(paths: Iterable[Path], forms: dict[str, bytes]) -> dict[str, list[str]]:
    """{file: forms found} for every regular file among `paths` (folders are walked)."""
    found: dict[str, list[str]] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                hit = leaks_in(file.read_bytes(), forms) + [f"name: {n}" for n in leaks_in(str(file), forms)]
                if hit:
                    found[str(file)] = hit
    return found


class Igtk:
    """`igtk ...` in a subprocess, as an operator types it, with a private IGTK_HOME.

    `keyring_fail=True` pins keyring to its "no backend" (hermetic); False lets the real
    probe run, with the session bus hidden, as on a headless server without D-Bus.
    """

    def __init__(self, home: Path, *, passphrase: str | None = VAULT_PASSPHRASE, keyring_fail: bool = True) -> None:
        self.home = home
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("IGTK_", "DBUS_")) and k not in ("PYTHON_KEYRING_BACKEND", "VISUAL", "EDITOR")}
        env.update(IGTK_HOME=str(home), NO_COLOR="1", PYTHONUNBUFFERED="1")
        if passphrase is not None:
            env["IGTK_VAULT_PASSPHRASE"] = passphrase
        if keyring_fail:
            env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        else:  # keyring's config and any runtime bus socket come from private folders
            for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
                folder = home.parent / f"xdg-{name.lower()}"
                folder.mkdir(parents=True, exist_ok=True)
                env[name] = str(folder)
        self.env = env

    @property
    def db(self) -> Path:
        return self.home / "data" / "igtk.db"

    @property
    def logs_dir(self) -> Path:
        return self.home / "state" / "logs"

    @property
    def crash_dir(self) -> Path:
        return self.home / "state" / "crash"

    def artifacts(self, execution_id: str) -> Path:
        return self.home / "data" / "artifacts" / execution_id

    def __call__(self, *args: str, stdin: str | IO[Any] | None = None, unset: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        env = {**{k: v for k, v in self.env.items() if k not in unset}, **(env or {})}
        feed: dict[str, Any] = ({"input": stdin} if isinstance(stdin, str)
                                else {"stdin": stdin if stdin is not None else subprocess.DEVNULL})
        return subprocess.run([sys.executable, "-m", "igtk_tui", *args], **feed,
                              capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO)


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return (f"{' '.join(map(str, result.args[2:]))} -> {result.returncode}\n"
            f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def finished(evts: list[dict[str, Any]], step_id: str) -> dict[str, Any]:
    found = [e for e in evts if e["event"] == "step_finished" and e["step_id"] == step_id]
    assert found, f"step {step_id!r} never finished"
    return found[-1]
