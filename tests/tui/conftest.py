"""Fixtures of the TUI tests (helpers: tests/support/tui.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent import agents_left
from tests.support.tui import FixtureRuntime, make_runtime


@pytest.fixture
def runtime(home: Path) -> FixtureRuntime:
    return make_runtime(home)


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """New vault files use a cheap KDF in tests (the real one is deliberately slow)."""
    from igtk_tui.vault import kdf

    monkeypatch.setattr(kdf, "DEFAULT_KDF", kdf.CHEAP_TEST_KDF)


@pytest.fixture(scope="session", autouse=True)
def no_agent_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session, no agent process may run under any of its temporary folders (read in /proc:
    an agent's working folder is its state root's agent folder)."""
    yield
    left = agents_left([tmp_path_factory.getbasetemp()])
    assert not left, f"agent processes left running after the TUI tests: {left}"
