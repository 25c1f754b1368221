"""What the schedules screen asks of the store, the checks and the agent (no widgets here).

Why the same path as the CLI: a schedule saved from the TUI is checked by
`agent.schedule_checks.check_schedule` (the playbook loaded, its parameters bound with
`build_request`, credentials looked up) and written to the store, where the agent's
scheduler picks it up; run-now goes to the agent exactly as `igtk schedule run-now`.
The vault the operator unlocked in the TUI is the one credentials are checked against.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from igtk_tui.schedules.model import Fire, Schedule


@dataclass
class ScheduleRow:
    schedule: Schedule
    next_fires: list[float]
    last: Fire | None


@dataclass
class Listing:
    rows: list[ScheduleRow] = field(default_factory=list)
    agent_running: bool = False
    error: str | None = None


def compact_times(instants: list[float]) -> str:
    """`06-01 12:01 · 12:02 · 06-02 00:00`: local time, the date only when it changes."""
    out: list[str] = []
    last_day = None
    for t in instants:
        moment = datetime.fromtimestamp(t)
        day = moment.strftime("%m-%d")
        out.append(moment.strftime("%H:%M") if day == last_day else f"{day} {moment.strftime('%H:%M')}")
        last_day = day
    return " · ".join(out) or "-"


class ScheduleService:
    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def runtime(self) -> Any:
        return self.app.runtime

    def now(self) -> float:
        from igtk_tui.schedules.clock import SchedulerClock

        return SchedulerClock.from_env(self.runtime.env).now()

    def _repo(self) -> Any:
        store = getattr(self.app, "store", None)
        if store is None:
            from igtk_tui.errors import ServiceUnavailable

            raise ServiceUnavailable("the history database is not open: schedules live there")
        return store.schedules

    async def listing(self) -> Listing:
        from igtk_tui.agent.location import AgentLocation
        from igtk_tui.schedules.timing import fire_times

        try:
            repo = self._repo()
            schedules, last = await repo.all(), await repo.last_fires()
        except Exception as exc:  # noqa: BLE001 - shown on the screen
            return Listing(error=str(exc))
        now = self.now()
        rows = []
        for s in schedules:
            try:
                nexts = fire_times(s.cron, s.tz).upcoming(max(now, s.last_handled), 3) if s.enabled else []
            except ValueError:
                nexts = []
            rows.append(ScheduleRow(s, nexts, last.get(s.name)))
        return Listing(rows, AgentLocation.of(self.runtime.paths).alive())

    async def fires(self, name: str, limit: int = 5) -> list[Fire]:
        fires: list[Fire] = await self._repo().fires(name, limit)
        return fires

    async def save(self, draft: Schedule, original: Schedule | None) -> tuple[Schedule, list[str]]:
        """Check (in a thread: it reads files and maybe the vault) and store; IgtkError says what is wrong."""
        from igtk_tui.agent.schedule_checks import check_schedule

        now = self.now()
        checked = await asyncio.to_thread(check_schedule, self.runtime, draft, now=now, vault=self._vault)
        schedule = checked.schedule
        repo = self._repo()
        if original is None:
            await repo.add(schedule.with_changes(created_at=time.time(), updated_at=time.time(), last_handled=now))
        else:
            reset = schedule.cron != original.cron or schedule.tz != original.tz or (
                schedule.enabled and not original.enabled)
            await repo.replace(schedule.with_changes(updated_at=time.time()), handled_from=now if reset else None)
        return schedule, checked.warnings

    def _vault(self) -> Any:
        if getattr(self.app, "vault_state", "") == "open" and self.app.vault is not None:
            return self.app.vault
        return self.runtime.vault()

    async def set_enabled(self, name: str, on: bool) -> Schedule:
        repo = self._repo()
        old: Schedule = await repo.require(name)
        new = old.with_changes(enabled=on, updated_at=time.time())
        await repo.replace(new, handled_from=self.now() if on and not old.enabled else None)
        return new

    async def delete(self, name: str) -> None:
        await self._repo().delete(name)

    async def run_now(self, name: str) -> dict[str, Any]:
        """Through the agent (started when none runs), as `igtk schedule run-now`."""
        def ask() -> dict[str, Any]:
            from igtk_tui.agent.client import AgentClient

            with AgentClient.connect(self.runtime.paths, start=True) as client:
                return dict(client.request("POST", f"/v1/schedules/{name}/run"))

        return await asyncio.to_thread(ask)

    async def ensure_agent(self) -> int:
        """Start the agent when none runs (an enabled schedule needs it); its pid."""
        def start() -> int:
            from igtk_tui.agent.client import AgentClient

            with AgentClient.connect(self.runtime.paths, start=True) as client:
                return int(client.status()["pid"])

        return await asyncio.to_thread(start)
