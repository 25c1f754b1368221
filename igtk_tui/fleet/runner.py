"""Coordinating a fleet: one ordinary execution per gateway, `forks` at a time, batch after batch.

Why each gateway is an ordinary execution: it is recorded, shown, reported, resumed and
rerun like any other (`igtk show`, `igtk resume`); the fleet run is a record above them
(store/fleets.py) that says which gateways were planned, in which batch, and why one never
ran.

Why a launcher: this module is the single place that decides WHAT runs (batches, forks, the
stop rule of plan.py, the fleet record); a launcher decides WHERE one gateway's execution
runs and reports its outcome. `igtk run --on` runs them in its own process (fleet/local.py);
an agent runs them through its hub, or, with a PostgreSQL history, queues them for the
workers of every agent sharing it (agent/fleets.py). Whoever runs them, the coordinator
starts a gateway only when a fork is free and no stop was decided, waits for its outcome,
counts it against the current batch, and starts the next batch once this one has ended.
Cancel (Ctrl-C) cancels every execution in flight and starts nothing more; SIGTERM/SIGHUP
interrupt them (resumable), as for a single run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from igtk_tui.fleet.output import FleetOutput
from igtk_tui.fleet.plan import FleetOptions, batches
from igtk_tui.inventory import Gateway

log = logging.getLogger(__name__)
FAILED = frozenset({"failed", "interrupted"})  # what the stop rule counts (with gateways that could not start)


@dataclass
class Member:
    """One gateway of this fleet run, as the coordinator tracks it."""

    position: int
    gateway: Gateway
    batch: int
    request: Any = None  # engine.launch.RunRequest for this gateway (in-process runs only)
    status: str = "pending"
    execution_id: str | None = None
    execution: Any = None  # what cancel/interrupt reach while it runs (an Execution, or the launcher's handle)
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    reason: str | None = None
    failed_step: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.gateway.name

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at


class Launcher(Protocol):
    """Where one gateway's execution runs. `launch` runs it to its end and calls
    `run.finish_member` exactly once (also when it could not start)."""

    async def open(self, run: FleetRun) -> Any:
        """Prepare for the run; returns the opened history store."""

    async def launch(self, run: FleetRun, m: Member) -> None: ...

    async def close(self) -> None: ...


class FleetRun:
    def __init__(self, runtime: Any, playbook: Any, members: list[Member], *, targets: list[str],
                 options: FleetOptions, output: FleetOutput, params: dict[str, Any], warn: Any,
                 launcher: Launcher, run_id: str | None = None) -> None:
        self.id = run_id or str(uuid.uuid4())
        self.runtime = runtime
        self.playbook = playbook
        self.members = members
        self.targets = targets
        self.options = options
        self.output = output
        self.params = params
        self.warn = warn
        self.launcher = launcher
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
        self._batch_failed = 0
        self._batch_size = 0
        self._batch_number = 0
        self.store: Any = None
        self.created = asyncio.Event()  # the fleet record exists (an agent answers its client then)
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

    def rel(self, path: str) -> str | None:
        """The playbook's library path (None for a file outside the library)."""
        rel: str | None = self.runtime.library.relative(Path(path))
        return rel

    # -- controls (signal handlers, the agent stopping) -----------------------------------------
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
                m.task.cancel()  # probing, queued, or waiting for its lock: nothing ran on the gateway

    # -- the run ---------------------------------------------------------------------------------
    async def run(self) -> str:
        """Run every batch; the fleet's final status."""
        try:
            self.store = await self.launcher.open(self)
            await self._create()
            self.created.set()
            self.output.fleet_started(self)
            await self._run_batches()
            await self._skip_rest()
            self.status = self._final_status()
            self.finished_at = time.time()
            await self.record(self.store.fleets.finish(self.id, self.status, stop_reason=self.stop_reason,
                                                       ts=self.finished_at))
            self.output.fleet_finished(self, self.status)
            return self.status
        finally:
            await self.launcher.close()

    async def _create(self) -> None:
        from igtk_tui.store.fleets import PlannedGateway

        plan = [PlannedGateway(m.position, m.name, m.gateway.url, m.gateway.groups, m.batch) for m in self.members]
        path = self.playbook.path
        await self.store.fleets.create(
            self.id, playbook=self.playbook.name, playbook_path=str(path) if path else None,
            playbook_rel=self.rel(str(path)) if path else None, targets=self.targets,
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
        await self.record(self.store.fleets.skip(self.id, [m.position for m in rest], reason))
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
            await self.record(self.store.fleets.member_started(self.id, m.position, ts=m.started_at))
            try:
                await self.launcher.launch(self, m)
            except asyncio.CancelledError:
                await self.finish_member(m, "cancelled", reason="cancelled before its execution started")
            except Exception as exc:  # noqa: BLE001 - one gateway's trouble never stops the others
                log.exception("fleet run %s: gateway %s", self.id, m.name)
                await self.finish_member(m, "failed", error=f"could not run: {exc}")
            if m.status == "running":  # a launcher that returned without an outcome: never counted as done
                await self.finish_member(m, "failed", error="ended without an outcome")
        if m.status in FAILED and m.batch == self._batch_number:
            self._batch_failed += 1
            rule = self.options.rule
            if not self.stop_reason and rule.exceeded(self._batch_failed, self._batch_size):
                self._stop(rule.reason(self._batch_failed, self._batch_size, m.batch))

    async def started_member(self, m: Member, execution_id: str, execution: Any = None) -> None:
        """The launcher's news: the gateway's execution exists (recorded, and said)."""
        m.execution_id, m.execution = execution_id, execution
        await self.record(self.store.fleets.member_execution(self.id, m.position, execution_id))
        self.output.gateway_started(self, m)

    async def finish_member(self, m: Member, status: str, *, error: str | None = None, reason: str | None = None,
                            failed_step: str | None = None, record: bool = True) -> None:
        """A gateway's outcome: kept, recorded (unless the launcher's worker recorded it), said."""
        m.status, m.finished_at = status, time.time()
        m.error = error.splitlines()[0] if error else None
        m.reason = reason
        m.failed_step = m.failed_step or failed_step
        m.execution = None
        if record:
            await self.record(self.store.fleets.member_finished(self.id, m.position, status, error=m.error,
                                                                reason=reason, ts=m.finished_at))
        self.output.gateway_finished(self, m)

    async def record(self, write: Any) -> None:
        """A fleet-record write; a database that fails costs a warning, never the executions in flight."""
        try:
            await write
        except Exception as exc:  # noqa: BLE001 - StoreError, sqlite3.Error, disk full
            if not self._store_failed:
                self._store_failed = True
                self.warn(f"the fleet run record could not be updated: {exc}")
