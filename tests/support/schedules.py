"""Helpers for the schedule tests: the moved clock, the store's fire rows, the agent's scheduler
state, and waits that poll a condition against a generous deadline (never a sleep)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from igtk_tui.agent.client import AgentClient
from igtk_tui.agent.location import AgentLocation
from igtk_tui.paths import resolve_paths
from tests.support.agent import AgentHandle, stop_agent
from tests.support.cli import Igtk
from tests.support.store_backend import db_rows
from tests.support.waiting import DEADLINE, poll_until

UTC = ZoneInfo("UTC")
START = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC).timestamp()  # 30 s before a minute boundary

QUICK = """\
    name: Quick
    version: 1
    steps:
      - {id: a, name: first, type: utility.log, parameters: {message: hello}}
    """


class TestClock:
    """The clock file the agent's scheduler reads (written whole: a rename, never a partial write)."""

    __test__ = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.now = 0.0

    def set(self, instant: float) -> float:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(repr(float(instant)), encoding="ascii")
        os.replace(tmp, self.path)
        self.now = float(instant)
        return self.now

    def advance(self, seconds: float) -> float:
        return self.set(self.now + seconds)


def at(tz: str, *parts: int, fold: int = 0) -> float:
    return datetime(*parts, tzinfo=ZoneInfo(tz), fold=fold).timestamp()


def fires(home: Path, name: str) -> list[dict[str, Any]]:
    """The schedule's fires, oldest due first."""
    rows = db_rows(home, "SELECT * FROM schedule_fires WHERE schedule = ? ORDER BY due_at, started_at", (name,))
    return [dict(r) for r in rows]


def execution(home: Path, execution_id: str) -> dict[str, Any]:
    (row,) = db_rows(home, "SELECT id, status, trigger, error FROM executions WHERE id = ?", (execution_id,))
    return dict(row)


_CLIENTS: dict[int, AgentClient] = {}  # one client per agent process: polls must not build one (and its TLS store) each


def scheduler_state(agent: AgentHandle) -> dict[str, Any]:
    client = _CLIENTS.get(agent.pid)
    if client is None:
        client = _CLIENTS[agent.pid] = agent.client()
    return dict(client.request("GET", "/v1/schedules"))


def wait_observed(agent: AgentHandle, instant: float, *, schedules: int | None = None) -> dict[str, Any]:
    """Until the agent's scheduler has read the clock at exactly `instant` and decided what was due then
    (and holds `schedules` schedules)."""
    def seen() -> dict[str, Any] | None:
        state = scheduler_state(agent)
        ok = state["now"] == instant and (schedules is None or len(state["schedules"]) == schedules)
        return state if ok else None

    return poll_until(seen, what=f"the scheduler to see {instant}" + (f" and {schedules} schedule(s)"
                                                                      if schedules is not None else ""))


def settle(agent: AgentHandle, instant: float) -> dict[str, Any]:
    """The clock at `instant` was seen and every fire started then has ended (nothing in flight)."""
    wait_observed(agent, instant)
    return poll_until(lambda: (s := scheduler_state(agent))["fires_in_flight"] == 0 and s,
                      what="the fires in flight to end")


def wait_fire(home: Path, name: str, predicate: Callable[[dict[str, Any]], bool], *, what: str,
              timeout: float = DEADLINE) -> dict[str, Any]:
    return poll_until(lambda: next((f for f in fires(home, name) if predicate(f)), None), what=what,
                      timeout=timeout)


def add(home: Path, *args: str, env: dict[str, str] | None = None) -> None:
    done = Igtk(home, passphrase=None)("schedule", "add", *args, env=env)
    assert done.code == 0, done.stderr


def stop_any_agent(home: Path) -> None:
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()
    paths = resolve_paths({"IGTK_HOME": str(home)})
    location = AgentLocation.of(paths)
    pid = location.holder_pid()
    if location.alive() and pid:
        stop_agent(AgentHandle(home, paths, pid))
