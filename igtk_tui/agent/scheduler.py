"""The agent's scheduler: fires each schedule's due instants once, through Hub.start.

Why it works this way (docs/schedules.md):
- Fire instants come from the expression in the schedule's zone (schedules/timing.py),
  never from sleep drift. The loop sleeps until the nearest due instant, but at most
  `clock.max_sleep` seconds, so a wall-clock change is noticed within seconds.
- Per schedule, `last_handled` (the last instant dealt with) is persisted in the same
  transaction as the fires it decided; what is due is what lies in (last_handled, now]
  (schedules/plan.py). A clock set back, a DST overlap or a restart never fires an
  instant twice; instants missed while the agent was down follow the catch-up policy.
- Definitions are written by the CLI and the TUI straight into the store; each write
  bumps a change counter, which this loop reads at every wake and reloads on change
  (within `clock.max_sleep` seconds).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from igtk_tui.agent.fires import FireRun, FireRunner
from igtk_tui.agent.hub import Hub
from igtk_tui.schedules.clock import SchedulerClock
from igtk_tui.schedules.model import FIRE_MISSED, FIRE_PENDING, Fire, Schedule

log = logging.getLogger(__name__)

ABANDONED = "the agent that handled this fire stopped before it ended (killed or restarted)"


@dataclass
class Entry:
    schedule: Schedule
    times: Any = None  # schedules.timing.FireTimes
    next_due: float | None = None
    error: str | None = None


class Scheduler:
    def __init__(self, hub: Hub, clock: SchedulerClock | None = None) -> None:
        self.hub = hub
        self.clock = clock or SchedulerClock.from_env(hub.runtime.env)
        self.entries: dict[str, Entry] = {}
        self.version = -1
        self.observed: float | None = None  # the clock as the loop last read it (all due fires decided)
        self.repo: Any = None
        self.runner: FireRunner | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fires: set[asyncio.Task[None]] = set()
        self._warmed = False
        self._warm: asyncio.Task[None] | None = None

    # -- life -----------------------------------------------------------------------------------
    async def start(self) -> None:
        store = await self.hub.runtime.open_store()
        self.repo = store.schedules
        self.runner = FireRunner(self.hub, self.repo, store, self.clock)
        closed = await self.repo.close_abandoned_fires(ABANDONED)
        if closed:
            log.warning("%d fire(s) left open by a previous agent recorded interrupted", closed)
        await self._reload(await self.repo.version())
        self._task = asyncio.create_task(self._loop(), name="igtk-scheduler")

    async def stop(self) -> None:
        """Stop firing (fires in flight go on until their executions end: see `drain`)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def drain(self, timeout: float = 30.0) -> None:
        """After the hub cancelled its runs: let fires record their end, then cancel the rest."""
        fires = list(self._fires)
        if fires:
            _done, pending = await asyncio.wait(fires, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def nudge(self) -> None:
        self._wake.set()

    # -- the loop -----------------------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            delay = self.clock.max_sleep
            try:
                version = await self.repo.version()
                if version != self.version:
                    await self._reload(version)
                now = self.clock.now()
                due = [e for e in self.entries.values()
                       if e.schedule.enabled and e.next_due is not None and e.next_due <= now]
                if due:
                    await self._handle(due, now)
                self.observed = now
                upcoming = [e.next_due for e in self.entries.values()
                            if e.schedule.enabled and e.next_due is not None]
                if upcoming:
                    delay = max(0.0, min(delay, min(upcoming) - self.clock.now()))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a store hiccup must not stop the schedules
                log.exception("scheduler tick failed; trying again in %.0f s", delay)
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass
            self._wake.clear()

    async def _reload(self, version: int) -> None:
        """Read every definition; a schedule whose timing did not change keeps its computed next
        instant (1,000 schedules and one edit: one computation, not a thousand on the loop)."""
        from igtk_tui.schedules.timing import CronError, ZoneError, fire_times

        schedules = await self.repo.all()
        entries: dict[str, Entry] = {}
        for schedule in schedules:
            old = self.entries.get(schedule.name)
            if old is not None and old.times is not None and _timing(old.schedule) == _timing(schedule):
                entries[schedule.name] = Entry(schedule, old.times, old.next_due)
                continue
            entry = Entry(schedule)
            try:
                entry.times = fire_times(schedule.cron, schedule.tz)
                entry.next_due = entry.times.next_after(schedule.last_handled)
            except (CronError, ZoneError, ValueError) as exc:  # e.g. a zone removed from the system's data
                entry.error = str(exc)
                log.error("schedule %s cannot fire: %s", schedule.name, exc)
            entries[schedule.name] = entry
        self.entries, self.version = entries, version
        log.info("loaded %d schedule(s) (change %d)", len(entries), version)
        if schedules and not self._warmed:
            self._warmed = True
            self._warm = asyncio.create_task(asyncio.to_thread(_warm_engine), name="igtk-scheduler-warm")

    async def _handle(self, due: list[Entry], now: float) -> None:
        """Decide what fires for the schedules whose next instant has come, record it all in one
        transaction (with their new last_handled), then start the fires."""
        from igtk_tui.schedules.plan import plan

        records: list[Fire] = []
        handled: list[tuple[str, float]] = []
        moved: list[tuple[Entry, float]] = []
        runs: list[FireRun] = []
        for entry in due:
            schedule = entry.schedule
            step = plan(entry.times, schedule.last_handled, now, schedule.catch_up)
            if step is None:
                entry.next_due = entry.times.next_after(schedule.last_handled)
                continue
            if step.missed:
                count = f"more than {step.missed}" if step.missed_more else str(step.missed)
                records.append(Fire(
                    id=str(uuid.uuid4()), schedule=schedule.name, due_at=step.missed_last or now, kind="catch-up",
                    outcome=FIRE_MISSED, started_at=now, finished_at=now,
                    message=f"missed {count} fire time(s) from {_local(step.missed_first)} to "
                            f"{_local(step.missed_last)} (the agent was not running, the host slept or the clock "
                            f"jumped; catch-up: {schedule.catch_up})"))
            fires = [Fire(id=str(uuid.uuid4()), schedule=schedule.name, due_at=at, kind=kind, outcome=FIRE_PENDING,
                          started_at=now) for at, kind in step.fire]
            records += fires
            handled.append((schedule.name, step.last_handled))
            moved.append((entry, step.last_handled))
            runs += [FireRun(schedule.with_changes(last_handled=step.last_handled), fire) for fire in fires]
        if not handled:
            return
        # Written first: a failed write changes nothing here, and the next wake tries again. Claimed by
        # compare-and-set on last_handled: of several agents sharing a PostgreSQL history, exactly one
        # moves it past a due instant, and only that one fires it.
        claimed = await self.repo.record_fires(records, last_handled=handled,
                                               expected={e.schedule.name: e.schedule.last_handled for e, _ in moved})
        for entry, instant in moved:
            if entry.schedule.name in claimed:
                entry.schedule = entry.schedule.with_changes(last_handled=instant)
                entry.next_due = entry.times.next_after(instant)
            else:  # another agent handled it (or it was edited): follow the stored instant
                fresh = await self.repo.get(entry.schedule.name)
                if fresh is not None:
                    entry.schedule = fresh
                    entry.next_due = entry.times.next_after(fresh.last_handled)
        for run in runs:
            if run.schedule.name in claimed:
                self._spawn(run)

    def _spawn(self, run: FireRun) -> None:
        assert self.runner is not None
        task = asyncio.create_task(self.runner.run(run), name=f"igtk-fire:{run.schedule.name}")
        self._fires.add(task)
        task.add_done_callback(self._fires.discard)

    # -- run now and state ---------------------------------------------------------------------------
    async def run_now(self, name: str) -> dict[str, Any]:
        """Fire a schedule at once (enabled or not), with its overlap policy and gateway lock;
        answers once the fire started, waits, was skipped or could not start."""
        if self.hub.stopping:
            from igtk_tui.errors import InvalidInput

            raise InvalidInput("the agent is stopping; run the schedule again once it has stopped")
        schedule = await self.repo.require(name)
        now = self.clock.now()
        fire = Fire(id=str(uuid.uuid4()), schedule=name, due_at=now, kind="run-now", outcome=FIRE_PENDING,
                    started_at=now)
        await self.repo.record_fires([fire])
        run = FireRun(schedule, fire)
        self._spawn(run)
        return await asyncio.shield(run.decided)

    def state(self) -> dict[str, Any]:
        runner = self.runner
        items = []
        for entry in self.entries.values():
            s = entry.schedule
            running = [e.id for e in runner.own_runs(s)] if runner is not None else []
            items.append({"name": s.name, "enabled": s.enabled, "next_due": entry.next_due if s.enabled else None,
                          "last_handled": s.last_handled, "running": running,
                          "queued": runner is not None and s.name in runner.queued, "error": entry.error})
        return {"version": self.version, "now": self.observed, "clock_file": str(self.clock.path or "") or None,
                "fires_in_flight": len(self._fires), "schedules": items}


def _timing(schedule: Schedule) -> tuple[str, str, float]:
    return schedule.cron, schedule.tz, schedule.last_handled


def _warm_engine() -> None:
    """Import what a fire needs, in a thread, once there are schedules: the first fire of a
    fresh agent then starts its first step in milliseconds, not after ~0.5 s of imports."""
    import igtk_tui.engine.execution  # noqa: F401
    import igtk_tui.engine.launch  # noqa: F401
    import igtk_tui.playbook.loader  # noqa: F401
    import igtk_tui.sinks.process_log  # noqa: F401


def _local(ts: float | None) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z") if ts is not None else "?"

