"""Shared fixtures. Every test runs without the real OS keyring (hermetic vault), and the
vault tests get IGTK_HOME in tmp with no vault environment variables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from igtk_tui.paths import Paths, resolve_paths
from igtk_tui.vault import Vault, keyring_backend
from igtk_tui.vault.kdf import CHEAP_TEST_KDF


@pytest.fixture(autouse=True)
def no_os_keyring() -> Iterator[None]:
    """Every test starts with keyring's "no backend" and a fresh probe.

    The previous choice is saved raw (possibly "not detected yet") so that these
    tests neither trigger keyring's own detection nor leave their doubles behind.
    """
    previous = keyring.core._keyring_backend
    keyring.set_keyring(fail.Keyring())
    keyring_backend.reset_probe()
    yield
    keyring.core._keyring_backend = previous
    keyring_backend.reset_probe()


@pytest.fixture
def paths(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("IGTK_HOME", str(tmp_path / "home"))
    for name in ("IGTK_VAULT_PASSPHRASE", "IGTK_VAULT_PASSPHRASE_FILE", "IGTK_VAULT_NEW_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return resolve_paths()


@pytest.fixture
def open_vault(paths: Paths) -> Callable[..., Vault]:
    """Vault.open with the cheap test KDF (new files only) and an empty environment."""

    def opener(**kwargs: Any) -> Vault:
        kwargs.setdefault("env", {})
        kwargs.setdefault("test_kdf", CHEAP_TEST_KDF)
        return Vault.open(paths, **kwargs)

    return opener


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Bytes parameters (zip fixtures embed timestamps) get ids that do not depend on
    their content, so every xdist worker collects the same test ids."""
    if isinstance(val, (bytes, bytearray)):
        return f"{argname}-{len(val)}b"
    return None
