"""Schedule tests: a real agent process, its real socket and store, under the test's IGTK_HOME, with
the scheduler's clock read from a file the test moves (IGTK_CLOCK_FILE, docs/schedules.md).

Every agent a test started (itself, or `igtk schedule add` on demand) is stopped at teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent import AgentHandle
from tests.support.schedules import START, TestClock, stop_any_agent


@pytest.fixture
def clock(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClock:
    """The scheduler's clock, at START; every igtk process of the test (and the agent) reads it."""
    moved = TestClock(tmp_path / "clock")
    moved.set(START)
    monkeypatch.setenv("IGTK_CLOCK_FILE", str(moved.path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # hermetic: no OS keyring
    return moved


@pytest.fixture
def agent(home: Path, clock: TestClock) -> AgentHandle:
    """The home's agent, started once the clock is set (stopped by `home`'s teardown)."""
    return AgentHandle.start(home)


@pytest.fixture(autouse=True)
def no_agent_left(home: Path) -> Iterator[None]:
    """The scheduler-state clients are closed and the agent stopped, whoever started it."""
    yield
    stop_any_agent(home)
