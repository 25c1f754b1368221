"""Shared fixtures. Every test runs without the real OS keyring (hermetic vault), and the
vault tests get IGTK_HOME in tmp with no vault environment variables.

History backends: a test that takes `store_backend` runs once per backend (`sqlite`,
`postgresql`; narrow it with `@pytest.mark.backends("sqlite")`). The PostgreSQL one is a
real server started once per session (tests/support/pg_server.py) with a fresh database
per test; without PostgreSQL binaries those tests fail, saying what to install.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from igtk_tui.paths import Paths, resolve_paths
from igtk_tui.vault import Vault, keyring_backend
from igtk_tui.vault.kdf import CHEAP_TEST_KDF

sys.path.insert(0, str(Path(__file__).parent / "support"))

BACKENDS = ("sqlite", "postgresql")


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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker else BACKENDS
        metafunc.parametrize("store_backend", names, indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL server for this test session (one per xdist worker)."""
    from pg_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"the PostgreSQL tests need a server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: Any) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped afterwards."""
    name = postgres_server.fresh_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The history backend of this test; IGTK_STORE_URL points the CLI and Settings at it."""
    from store_backend import StoreBackend

    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("IGTK_STORE_URL", url)
        return StoreBackend("postgresql", url, server)
    monkeypatch.delenv("IGTK_STORE_URL", raising=False)
    return StoreBackend("sqlite")
