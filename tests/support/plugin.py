"""The test suite's pytest plugin (loaded by `-p tests.support.plugin` in pyproject's addopts).

Every test runs hermetic: the developer's IGTK_* variables are removed for the whole session,
each test gets a private IGTK_HOME (`home`, autouse; every IGTK_* variable cleared), no OS
keyring, and an empty redaction registry. Fixtures here need no import; helpers are imported
from their modules (`from tests.support.cli import Igtk`).

History backends: a test that takes `store_backend` runs once per backend (`sqlite`,
`postgresql`; narrow it with `@pytest.mark.backends("sqlite")`). The PostgreSQL one is a
real server started once per session (tests/support/pg_server.py) with a fresh database
per test; without PostgreSQL binaries those tests fail, saying what to install.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from igtk_tui import redact
from igtk_tui.paths import Paths, resolve_paths
from igtk_tui.vault import Vault, keyring_backend
from igtk_tui.vault.kdf import CHEAP_TEST_KDF
from tests.support.cli import Igtk
from tests.support.simulator import faulted, fleet, gw, gw81, make_gw  # noqa: F401 - fixtures
from tests.support.store_backend import StoreBackend

BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    """No IGTK_* variable of the developer's shell reaches any test or any `igtk` it starts."""
    for name in [n for n in os.environ if n.startswith("IGTK_")]:
        del os.environ[name]


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


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's private IGTK_HOME (not created: igtk makes it), with every other IGTK_* variable
    and NO_COLOR cleared. Whatever agent serves it when the test ends is stopped."""
    from tests.support.agent import stop_agent_at

    root = tmp_path / "igtk-home"
    for name in [n for n in os.environ if n.startswith("IGTK_")] + ["NO_COLOR"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IGTK_HOME", str(root))
    yield root
    stop_agent_at(root)


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    """Secrets registered by one test are not masked in the next."""
    redact.REDACTOR.clear()
    yield
    redact.REDACTOR.clear()


@pytest.fixture
def paths(home: Path) -> Paths:
    return resolve_paths({"IGTK_HOME": str(home)})


@pytest.fixture
def igtk(home: Path) -> Igtk:
    """The `igtk` command on the test's home (the test vault passphrase set)."""
    return Igtk(home)


@pytest.fixture
def open_vault(paths: Paths) -> Callable[..., Vault]:
    """Vault.open with the cheap test KDF (new files only) and an empty environment."""

    def opener(**kwargs: Any) -> Vault:
        kwargs.setdefault("env", {})
        kwargs.setdefault("test_kdf", CHEAP_TEST_KDF)
        return Vault.open(paths, **kwargs)

    return opener


@pytest.fixture
def agent(home: Path) -> Any:
    """The home's agent, started before the test (stopped by `home`'s teardown)."""
    from tests.support.agent import AgentHandle

    return AgentHandle.start(home)


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
    from tests.support.pg_server import PostgresServer, PostgresUnavailable

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
def store_backend(request: pytest.FixtureRequest, home: Path, monkeypatch: pytest.MonkeyPatch) -> StoreBackend:
    """The history backend of this test; IGTK_STORE_URL points the CLI and Settings at it (set after
    `home` cleared the IGTK_* variables)."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("IGTK_STORE_URL", url)
        return StoreBackend("postgresql", url, server)
    monkeypatch.delenv("IGTK_STORE_URL", raising=False)
    return StoreBackend("sqlite")
