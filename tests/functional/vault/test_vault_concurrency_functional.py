"""Two processes adding at once: the flock around read-modify-write means both land."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from igtk_tui.paths import Paths
from igtk_tui.vault import Credential, Vault


def _create(open_vault: Callable[..., Vault], passphrase: str) -> None:
    """Make the file now, with the cheap test KDF (the first write creates it)."""
    vault = open_vault(passphrase=passphrase)
    vault.add(Credential("seed", "basic", "u", "seed-secret"))
    vault.delete("seed")


WRITER = r"""
import os, sys, time
from pathlib import Path
from igtk_tui.paths import resolve_paths
from igtk_tui.vault import Credential, Vault
tag, go, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
vault = Vault.open(resolve_paths(), backend="file")  # passphrase from the environment
while not go.exists():
    time.sleep(0.005)
for i in range(count):
    vault.add(Credential(f"{tag}-{i}", "basic", f"user-{tag}", f"secret-{tag}-{i}"))
"""


def test_two_writers_twenty_credentials(open_vault: Callable[..., Vault], paths: Paths, tmp_path: Path) -> None:
    _create(open_vault, "shared-pp")
    env = {**os.environ, "IGTK_VAULT_PASSPHRASE": "shared-pp", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, tag, str(go), "10"], env=env, stderr=subprocess.PIPE, text=True)
        for tag in ("a", "b")
    ]
    time.sleep(0.5)  # both have opened the vault and wait at the line
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    vault = open_vault(passphrase="shared-pp")
    names = vault.names()
    assert len(names) == 20
    assert sorted(names) == sorted([f"a-{i}" for i in range(10)] + [f"b-{i}" for i in range(10)])
    assert vault.get("b-7").secret == "secret-b-7"


def test_two_processes_creating_the_vault_at_once(paths: Paths, tmp_path: Path) -> None:
    """No file yet: both derive a key for their own new salt; the later writer adopts the file."""
    env = {**os.environ, "IGTK_VAULT_PASSPHRASE": "first-pp", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, tag, str(go), "3"], env=env, stderr=subprocess.PIPE, text=True)
        for tag in ("x", "y")
    ]
    time.sleep(0.8)  # both opened (real KDF) before the file exists
    assert not paths.vault_file.exists()
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    vault = Vault.open(paths, env={}, passphrase="first-pp", backend="file")
    assert sorted(vault.names()) == ["x-0", "x-1", "x-2", "y-0", "y-1", "y-2"]
