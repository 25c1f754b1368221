"""Schedule tests: a real agent process, its real socket and store, under a tmp IGTK_HOME, with
the scheduler's clock read from a file the test moves (IGTK_CLOCK_FILE, docs/schedules.md).

Every agent a test started (itself, or `igtk schedule add` on demand) is stopped at teardown."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "agent"))

from agent_helpers import AgentHandle, home, stop_agent  # noqa: E402,F401 - `home` is a fixture
from schedule_helpers import START, TestClock, stop_any_agent  # noqa: E402


@pytest.fixture
def clock(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClock:  # noqa: F811 - `home` is the fixture
    """The scheduler's clock, at START; every igtk process of the test (and the agent) reads it."""
    moved = TestClock(tmp_path / "clock")
    moved.set(START)
    monkeypatch.setenv("IGTK_CLOCK_FILE", str(moved.path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # hermetic: no OS keyring
    return moved


@pytest.fixture
def agent(home: Path, clock: TestClock) -> Iterator[AgentHandle]:  # noqa: F811 - `home` is the fixture
    handle = AgentHandle.start(home)
    try:
        yield handle
    finally:
        stop_agent(handle)


@pytest.fixture(autouse=True)
def no_agent_left(home: Path) -> Iterator[None]:  # noqa: F811 - `home` is the fixture
    yield
    stop_any_agent(home)
