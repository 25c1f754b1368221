"""One fire of a schedule, from the decision to fire to the last notification.

Why a fire is recorded at every turn: an operator asking "did last night's backup run?"
must find the answer in the store whatever happened: started (with its execution id),
skipped (overlap or a busy gateway, and why), could not start (vault locked, playbook
gone, parameters no longer valid), or the execution's final status, plus what each
notification target answered. Nothing a fire does fails silently, and a notification
never changes the execution's status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from igtk_tui import redact
from igtk_tui.agent.hub import Hub, LiveExecution, StartSpec
from igtk_tui.errors import IgtkError
from igtk_tui.schedules.model import (
    FIRE_ERROR,
    FIRE_QUEUED,
    FIRE_RUNNING,
    FIRE_SKIPPED,
    Fire,
    NotificationResult,
    Schedule,
)

log = logging.getLogger(__name__)

VAULT_LOCKED = "vault locked: run `igtk agent unlock`"
ELSEWHERE_POLL = 1.0  # seconds between looks at another agent's run of a schedule (overlap: queue)


@dataclass
class FireRun:
    """A fire in progress; `decided` resolves once it started, waits, was skipped or failed to start
    (what `run-now` answers)."""

    schedule: Schedule
    fire: Fire
    decided: asyncio.Future[dict[str, Any]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())

    def decide(self, outcome: str, *, execution_id: str | None = None, message: str | None = None) -> None:
        if not self.decided.done():
            self.decided.set_result({"fire": self.fire.id, "schedule": self.schedule.name, "outcome": outcome,
                                     "execution_id": execution_id, "message": message})


class FireRunner:
    """Runs fires for the scheduler: overlap policy, gateway lock, Hub.start, notifications."""

    def __init__(self, hub: Hub, repo: Any, store: Any, clock: Any) -> None:
        self.hub = hub
        self.repo = repo
        self.store = store
        self.clock = clock
        self.queued: set[str] = set()  # schedules with a fire waiting for their previous run (overlap: queue)

    def own_runs(self, schedule: Schedule) -> list[LiveExecution]:
        return [e for e in self.hub.running() if e.trigger == schedule.trigger]

    async def run(self, run: FireRun) -> None:
        schedule, fire = run.schedule, run.fire
        try:
            if not await self._overlap_allows(run):
                return
            spec = StartSpec(playbook=schedule.playbook, params=dict(schedule.params),
                             credential=schedule.credential, gateway_url=schedule.gateway_url,
                             trigger=schedule.trigger)
            try:
                prepared = await self.hub.prepare(spec)
            except Exception as exc:  # noqa: BLE001 - every reason not to start is recorded and told
                await self._not_started(run, _why_not_started(exc), gateway=schedule.gateway_url)
                return
            gateway = prepared.request.gateway_url
            lock = None
            if schedule.gateway_lock and gateway:
                lock = await self._gateway_lock(run, gateway, prepared.request.playbook.name)
                if lock is None:
                    return
            try:
                try:
                    live = await self.hub.start(spec, prepared)
                except Exception as exc:  # noqa: BLE001
                    await self._not_started(run, _why_not_started(exc), gateway=gateway)
                    return
                if lock is not None:
                    await lock.hand_to(live.id, live.playbook)
                await self.repo.update_fire(fire.id, outcome=FIRE_RUNNING, execution_id=live.id,
                                            started_at=self.clock.now(), message=None)
                run.decide(FIRE_RUNNING, execution_id=live.id)
                if live.task is not None:
                    await asyncio.wait([live.task])
            finally:
                if lock is not None:
                    await asyncio.shield(lock.release())
            await self._finished(run, live, gateway)
        except asyncio.CancelledError:
            run.decide("interrupted", message="the agent stopped")
            raise
        except Exception as exc:  # noqa: BLE001 - a bug here must not stop the scheduler
            log.exception("fire %s of schedule %s failed", fire.id, schedule.name)
            run.decide(FIRE_ERROR, message=str(exc))
            await self._record_end(fire.id, FIRE_ERROR, redact.scrub(f"internal error: {exc}"))

    # -- overlap and gateway ------------------------------------------------------------------------
    async def elsewhere(self, schedule: Schedule) -> list[str]:
        """Live executions of this schedule that another agent sharing the history runs (PostgreSQL)."""
        from igtk_tui.engine.events import LIVE_STATUSES
        from igtk_tui.store.owner import ProcessIdentity, owner_alive

        me = ProcessIdentity.current()
        marks = ", ".join("?" for _ in LIVE_STATUSES)
        rows = await self.store.db.fetchall(
            f"SELECT id, host, owner_pid, owner_start FROM executions WHERE trigger = ? AND status IN ({marks})",
            (schedule.trigger, *(s.value for s in LIVE_STATUSES)))
        return [r["id"] for r in rows if r["id"] not in self.hub.executions
                and not (r["host"] == me.host and r["owner_pid"] == me.pid)
                and owner_alive(r["host"], r["owner_pid"], r["owner_start"], me)]

    async def _overlap_allows(self, run: FireRun) -> bool:
        schedule, fire = run.schedule, run.fire
        if schedule.overlap == "allow":
            return True
        mine = [e.id for e in self.own_runs(schedule)] or await self.elsewhere(schedule)
        if not mine:
            return True
        if schedule.overlap == "skip":
            await self._skipped(run, f"skipped: execution {mine[0][:8]} of this schedule is still running "
                                     "(overlap: skip)")
            return False
        if schedule.name in self.queued:
            await self._skipped(run, "skipped: a fire of this schedule already waits for the running one "
                                     "(overlap: queue holds one)")
            return False
        self.queued.add(schedule.name)
        try:
            message = f"queued: waits for execution {mine[0][:8]} of this schedule to end (overlap: queue)"
            await self.repo.update_fire(fire.id, outcome=FIRE_QUEUED, message=message)
            run.decide(FIRE_QUEUED, message=message)
            while True:
                local = self.own_runs(schedule)
                if local:
                    await asyncio.wait([e.task for e in local if e.task is not None])
                elif await self.elsewhere(schedule):
                    await asyncio.sleep(ELSEWHERE_POLL)  # another agent's run: its end is seen in the store
                else:
                    break
        finally:
            self.queued.discard(schedule.name)
        return True

    async def _gateway_lock(self, run: FireRun, gateway: str, playbook: str) -> Any:
        """The store's gateway lock for this fire (agent/gateway_lock.py); None when skipped."""
        from igtk_tui.agent.gateway_lock import acquire_gateway_lock
        from igtk_tui.store.locks import GatewayBusy

        async def waiting(reason: str) -> None:
            message = f"queued: gateway {gateway} is busy ({reason}); waits (gateway lock)"
            await self.repo.update_fire(run.fire.id, outcome=FIRE_QUEUED, message=message)
            run.decide(FIRE_QUEUED, message=message)

        try:
            return await acquire_gateway_lock(self.store, gateway, holder=run.fire.id, playbook=playbook,
                                              wait=run.schedule.overlap != "skip", on_wait=waiting)
        except GatewayBusy as exc:
            await self._skipped(run, f"skipped: {exc} (gateway lock, overlap: skip)")
            return None

    # -- outcomes ------------------------------------------------------------------------------------
    async def _skipped(self, run: FireRun, message: str) -> None:
        log.info("schedule %s: %s", run.schedule.name, message)
        run.decide(FIRE_SKIPPED, message=message)
        await self._record_end(run.fire.id, FIRE_SKIPPED, message)

    async def _record_end(self, fire_id: str, outcome: str, message: str | None,
                          notifications: tuple[NotificationResult, ...] | None = None,
                          execution_id: str | None = None) -> None:
        changes: dict[str, Any] = {"outcome": outcome, "message": message, "finished_at": self.clock.now()}
        if notifications is not None:
            changes["notifications"] = notifications
        if execution_id is not None:
            changes["execution_id"] = execution_id
        try:
            await self.repo.update_fire(fire_id, **changes)
        except Exception:  # noqa: BLE001 - logged; the store may be gone while the agent stops
            log.exception("could not record the end of fire %s", fire_id)

    async def _not_started(self, run: FireRun, message: str, *, gateway: str | None) -> None:
        from igtk_tui.notify.message import Notice

        schedule = run.schedule
        log.warning("schedule %s could not start: %s", schedule.name, message)
        run.decide(FIRE_ERROR, message=message)
        await self._record_end(run.fire.id, FIRE_ERROR, message)
        notice = Notice.make(schedule=schedule.name, playbook=schedule.playbook, status=FIRE_ERROR,
                             gateway=gateway, error=message, due_at=run.fire.due_at, fire_kind=run.fire.kind)
        results = await self._notify(schedule, notice)
        if results is not None:
            await self._record_end(run.fire.id, FIRE_ERROR, message, notifications=results)

    async def _finished(self, run: FireRun, live: LiveExecution, gateway: str | None) -> None:
        from igtk_tui.notify.message import Notice

        final = live.final or {}
        status = str(final.get("status") or live.status)
        error = final.get("error")
        step, step_error = live.failed_step or (None, None)
        message = error or (f"step {step}: {step_error}" if step else None)
        await self._record_end(run.fire.id, status, message, execution_id=live.id)
        notice = Notice.make(schedule=run.schedule.name, playbook=f"{live.playbook} ({run.schedule.playbook})",
                             status=status, execution_id=live.id, gateway=gateway, failed_step=step,
                             error=step_error or error, due_at=run.fire.due_at, started_at=live.started_at,
                             finished_at=live.finished_at or time.time(), fire_kind=run.fire.kind)
        results = await self._notify(run.schedule, notice)
        if results is not None:
            await self._record_end(run.fire.id, status, message, notifications=results, execution_id=live.id)
        await self.repo.prune_fires(run.schedule.name)

    async def _notify(self, schedule: Schedule, notice: Any) -> tuple[NotificationResult, ...] | None:
        """Deliver per the schedule's (or the [notify] default) policy; None when nobody is to be told."""
        from igtk_tui.notify.message import wanted
        from igtk_tui.notify.send import deliver

        settings = self.hub.runtime.settings
        notify_on = schedule.notify_on or settings.notify_on
        targets = schedule.notify or settings.notify_targets
        if not targets or not wanted(notify_on, notice.status):
            return None
        if self.hub.stopping:
            log.warning("schedule %s: not notified (%s), the agent is stopping", schedule.name, notice.status)
            return None
        results = await deliver(list(targets), notice, credential=self._credential,
                                attempts=settings.notify_attempts, backoff=settings.notify_backoff)
        return tuple(results)

    def _credential(self, name: str) -> Any:
        try:
            return self.hub.runtime.vault().get(name)
        except IgtkError as exc:
            if _is_vault_problem(exc):
                raise IgtkError(f"{VAULT_LOCKED} ({_first_line(exc)})") from None
            raise


def _is_vault_problem(exc: BaseException) -> bool:
    from igtk_tui.agent.hub import VaultNeeded
    from igtk_tui.vault.errors import VaultCorrupt, VaultLocked, VaultUnavailable

    return isinstance(exc, (VaultNeeded, VaultUnavailable, VaultLocked, VaultCorrupt))


def _first_line(exc: BaseException) -> str:
    return redact.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


def _why_not_started(exc: BaseException) -> str:
    """The fire's message for a run that could not start; a locked vault says how to unlock it."""
    if _is_vault_problem(exc):
        return f"{VAULT_LOCKED} ({_first_line(exc)})"
    if isinstance(exc, IgtkError):
        return redact.scrub(f"could not start: {exc}")
    log.error("a scheduled run could not start", exc_info=exc)
    return redact.scrub(f"could not start (internal error): {type(exc).__name__}: {exc}")
