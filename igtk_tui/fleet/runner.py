"""Running a fleet: one ordinary execution per gateway, `forks` at a time, batch after batch.

Why each gateway is an ordinary execution: it is recorded, shown, reported, resumed and
rerun like any other (`igtk show`, `igtk resume`); the fleet run is a record above them
(store/fleets.py) that says which gateways were planned, in which batch, and why one never
ran. The same engine and recorder as `igtk run` are used, in this one process.

For each gateway, once a fork is free and no stop was decided: a quick probe (a playbook
with gateway steps: nothing answering fails that gateway at once, exit 3's rule for one
run), the execution built from the inventory entry (its URL and credential through the
run's one gateway rule, engine/launch.py), the gateway's lock (store/locks.py; busy fails
that gateway unless `--lock-wait` lets it wait), the run, the lock released. The stop rule
is plan.py's. Cancel (Ctrl-C) cancels every execution in flight and starts nothing more;
SIGTERM/SIGHUP interrupt them (resumable), as for a single run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui.fleet.output import FleetOutput
from igtk_tui.fleet.plan import FleetOptions, batches
from igtk_tui.inventory import Gateway

log = logging.getLogger(__name__)
FAILED = frozenset({"failed", "interrupted"})  # what the stop rule counts (with gateways that could not start)


@dataclass
class Member:
    """One gateway of this fleet run, as the runner tracks it."""

    position: int
    gateway: Gateway
    batch: int
    request: Any  # engine.launch.RunRequest for this gateway
    status: str = "pending"
    execution_id: str | None = None
    execution: Any = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    reason: str | None = None
    failed_step: str | None = None  # the first top-level step that failed (its execution's state)
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.gateway.name

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at


class FleetRun:
    def __init__(self, runtime: Any, playbook: Any, members: list[Member], *, targets: list[str],
                 options: FleetOptions, output: FleetOutput, credentials: Any, params: dict[str, Any],
                 warn: Any) -> None:
        self.id = str(uuid.uuid4())
        self.runtime = runtime
        self.playbook = playbook
        self.members = members
        self.targets = targets
        self.options = options
        self.output = output
        self.credentials = credentials
        self.params = params
        self.warn = warn
        self.batches = batches(len(members), options.serial)
        for number, batch in enumerate(self.batches, 1):
            for position in batch:
                members[position].batch = number
        self.stop_reason: str | None = None
        self.ending: str | None = None  # "cancelled" or "interrupted" once asked
        self.started_at = time.time()
        self.finished_at: float | None = None
        self.status = "running"
        self._forks = asyncio.Semaphore(options.forks)
        self._by_execution: dict[str, Member] = {}
        self._batch_failed = 0
        self._batch_size = 0
        self._batch_number = 0
        self._store: Any = None
        self._recorder: Any = None
        self._store_failed = False

    # -- what the outputs read ---------------------------------------------------------------
    @property
    def duration(self) -> float:
        return (self.finished_at or time.time()) - self.started_at

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("completed", "failed", "cancelled", "skipped", "running", "pending"), 0)
        for m in self.members:
            key = "cancelled" if m.status == "interrupted" else m.status
            out[key] = out.get(key, 0) + 1
        out["total"] = len(self.members)
        return out

    # -- controls (signal handlers) -------------------------------------------------------------
    def cancel(self) -> None:
        """Ctrl-C: cancel everything in flight, start nothing more."""
        self._end("cancelled", "cancelled by the operator", lambda ex: ex.cancel())

    def interrupt(self, reason: str) -> None:
        """SIGTERM/SIGHUP: the executions in flight end `interrupted` (resumable)."""
        self._end("interrupted", f"interrupted: {reason}", lambda ex: ex.interrupt(reason))

    def _end(self, how: str, reason: str, stop: Any) -> None:
        if self.ending is None:
            self.ending = how
            self.stop_reason = self.stop_reason or reason
        for m in self.members:
            if m.status != "running":
                continue
            if m.execution is not None:
                stop(m.execution)
            elif m.task is not None:
                m.task.cancel()  # probing, or waiting for its lock: nothing ran on the gateway

    # -- the run ---------------------------------------------------------------------------------
    async def run(self) -> str:
        """Run every batch; the fleet's final status."""
        from igtk_tui.errors import ServiceUnavailable
        from igtk_tui.store import StoreError

        try:
            self._store = await self.runtime.open_store(retention=True)
        except (StoreError, OSError) as exc:
            raise ServiceUnavailable(f"fleet runs are recorded and locked in the history database, which is "
                                     f"unavailable: {exc}") from None
        try:
            for item in self._store.recovered:
                self.warn(f"execution {item.id} was left running by a process that died; marked interrupted")
            self._recorder = self._store.recorder(playbook_rel=self._rel, on_warning=self.warn)
            self._recorder.add_listener(self._on_event)
            await self._create()
            self.output.fleet_started(self)
            await self._run_batches()
            await self._skip_rest()
            self.status = self._final_status()
            self.finished_at = time.time()
            await self._record(self._store.fleets.finish(self.id, self.status, stop_reason=self.stop_reason,
                                                         ts=self.finished_at))
            self.output.fleet_finished(self, self.status)
            return self.status
        finally:
            try:
                if self._recorder is not None:
                    await self._recorder.close()
            finally:
                await self.runtime.close()

    def _rel(self, path: str) -> str | None:
        rel: str | None = self.runtime.library.relative(Path(path))
        return rel

    async def _create(self) -> None:
        from igtk_tui.store.fleets import PlannedGateway

        plan = [PlannedGateway(m.position, m.name, m.gateway.url, m.gateway.groups, m.batch) for m in self.members]
        path = self.playbook.path
        await self._store.fleets.create(
            self.id, playbook=self.playbook.name, playbook_path=str(path) if path else None,
            playbook_rel=self._rel(str(path)) if path else None, targets=self.targets,
            options={**self.options.to_json(), "params": self.params}, plan=plan, started_at=self.started_at)

    async def _run_batches(self) -> None:
        for number, batch in enumerate(self.batches, 1):
            if self.stop_reason:
                return
            members = [self.members[p] for p in batch]
            self._batch_number, self._batch_size, self._batch_failed = number, len(members), 0
            self.output.batch_started(self, number, members)
            for m in members:
                m.task = asyncio.get_running_loop().create_task(self._member(m), name=f"fleet:{m.name}")
            await asyncio.gather(*(m.task for m in members if m.task is not None))
            rule = self.options.rule
            if not self.stop_reason and rule.stops_after(self._batch_failed, self._batch_size):
                self._stop(rule.reason(self._batch_failed, self._batch_size, number))

    def _stop(self, reason: str) -> None:
        self.stop_reason = reason
        self.output.stopping(self, reason)

    async def _skip_rest(self) -> None:
        rest = [m for m in self.members if m.status == "pending"]
        if not rest:
            return
        reason = f"not started: {self.stop_reason or 'the fleet run ended'}"
        for m in rest:
            m.status, m.reason = "skipped", reason
        await self._record(self._store.fleets.skip(self.id, [m.position for m in rest], reason))
        for m in rest:
            self.output.gateway_skipped(self, m)

    def _final_status(self) -> str:
        if self.ending:
            return self.ending
        return "completed" if all(m.status == "completed" for m in self.members) else "failed"

    # -- one gateway -----------------------------------------------------------------------------
    async def _member(self, m: Member) -> None:
        async with self._forks:
            if self.stop_reason:
                return  # stays pending: skipped with the reason
            m.status, m.started_at = "running", time.time()
            await self._record(self._store.fleets.member_started(self.id, m.position, ts=m.started_at))
            try:
                await self._start_and_run(m)
            except asyncio.CancelledError:
                await self._finish(m, "cancelled", reason="cancelled before its execution started")
            except Exception as exc:  # noqa: BLE001 - one gateway's trouble never stops the others
                log.exception("fleet run %s: gateway %s", self.id, m.name)
                await self._finish(m, "failed", error=f"could not run: {exc}")
        if m.status in FAILED and m.batch == self._batch_number:
            self._batch_failed += 1
            rule = self.options.rule
            if not self.stop_reason and rule.exceeded(self._batch_failed, self._batch_size):
                self._stop(rule.reason(self._batch_failed, self._batch_size, m.batch))

    async def _start_and_run(self, m: Member) -> None:
        from igtk_tui.engine.events import EventBus
        from igtk_tui.sinks.process_log import ExecutionLogCopy
        from igtk_tui.store.locks import GatewayBusy

        if not await self._reachable(m):
            return
        request = m.request
        bus = EventBus()
        bus.subscribe(ExecutionLogCopy())
        execution = self.runtime.new_execution(
            request.playbook, request.params, bus=bus, trigger="fleet", gateway_url=request.gateway_url,
            gateway_override=m.gateway.url, credential_names=request.credential_names, credentials=self.credentials)
        m.execution_id = execution.id
        self._by_execution[execution.id] = m
        path = request.playbook.path
        self._recorder.expect(execution.id, playbook_rel=self._rel(str(path)) if path else None,
                              fleet_run_id=self.id, state=execution.state)
        bus.subscribe(self._recorder)
        try:
            lock = await self._store.locks.acquire(
                m.gateway.url, execution.id, playbook=request.playbook.name, fleet_run_id=self.id,
                wait=self.options.lock_wait,
                on_wait=lambda holder: self.warn(f"gateway {m.name} is busy: waiting up to "
                                                 f"{self.options.lock_wait:g}s for {holder.describe()}"))
        except GatewayBusy as exc:
            await self._finish(m, "failed", error=str(exc), reason="busy")
            return
        try:
            m.execution = execution
            await self._record(self._store.fleets.member_execution(self.id, m.position, execution.id))
            self.output.gateway_started(self, m)
            if self.ending == "cancelled":
                execution.cancel()
            result = await execution.run()
            await self._recorder.flush()  # the execution's last rows before the member's
        finally:
            await asyncio.shield(self._release(lock))
        m.failed_step = execution.state.failed_top
        await self._finish(m, result.status.value, error=result.error)

    async def _reachable(self, m: Member) -> bool:
        """A playbook with gateway steps first checks something answers (what exit 3 is for one run)."""
        from igtk_tui.gateway.probe import GatewayUnreachable, probe, uses_gateway

        if not uses_gateway(self.playbook):
            return True
        settings = self.runtime.settings
        try:
            await probe(m.gateway.url, bool(settings.verify_tls), float(settings.connect_timeout or 10.0),
                        ca_bundle=settings.ca_bundle)
        except GatewayUnreachable as exc:
            await self._finish(m, "failed", error=f"unreachable: {exc}", reason="unreachable")
            return False
        return True

    async def _release(self, lock: Any) -> None:
        try:
            await lock.release()
        except Exception as exc:  # noqa: BLE001 - crash recovery frees it once this process has gone
            self.warn(f"the lock of {lock.url} was not released: {exc}")

    async def _finish(self, m: Member, status: str, *, error: str | None = None, reason: str | None = None) -> None:
        m.status, m.finished_at = status, time.time()
        m.error = error.splitlines()[0] if error else None
        m.reason = reason
        await self._record(self._store.fleets.member_finished(self.id, m.position, status, error=m.error,
                                                              reason=reason, ts=m.finished_at))
        self.output.gateway_finished(self, m)

    # -- events and records ------------------------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        """Post-commit engine events (the recorder's listener): the JSON lines."""
        m = self._by_execution.get(event.execution_id)
        if m is None:
            return
        self.output.engine_event(self, m, event)

    async def _record(self, write: Any) -> None:
        """A fleet-record write; a database that fails costs a warning, never the executions in flight."""
        try:
            await write
        except Exception as exc:  # noqa: BLE001 - StoreError, sqlite3.Error, disk full
            if not self._store_failed:
                self._store_failed = True
                self.warn(f"the fleet run record could not be updated: {exc}")
