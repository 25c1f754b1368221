"""The store's EventBus subscriber: every engine event, durably, without stalling the engine.

Why this shape:

- Subscribers run inside the engine's `emit` and must not block, so
  `__call__` only appends to a list. One writer task drains it: everything
  queued is folded into one batch and written in one IMMEDIATE transaction
  (group commit). A step boundary (StepFinished, ExecutionFinished, a pause,
  the start) wakes the writer at once; logs and attempt rows ride along, or
  are flushed after LOG_INTERVAL seconds or LOG_BATCH lines.
- Events are folded into idempotent row batches by `rows.EventFolder`
  (one row per step, updated in place).
- Post-commit delivery: listeners added with `add_listener` (the CLI's JSON
  lines and progress) receive every event in order, but a StepFinished,
  ExecutionStarted, ExecutionPaused or ExecutionFinished only after the
  transaction holding it committed. Whoever sees "step finished" on stdout can
  rely on it being in the database, also after a SIGKILL.
- A locked database (another process in a long transaction) is retried for
  as long as the run lasts and up to `busy_grace` seconds at close; meanwhile
  the listeners get their lines without waiting (with one warning). Any other
  database error stops recording with a warning: the run itself never fails
  or blocks because of history.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igtk_tui.engine.events import Event
from igtk_tui.engine.state import ExecutionState
from igtk_tui.store.db import Database, StoreBusy
from igtk_tui.store.owner import ProcessIdentity
from igtk_tui.store.rows import Batch, EventFolder, Expected, apply_all

log = logging.getLogger(__name__)

LOG_BATCH = 500
LOG_INTERVAL = 0.1
# Group commit: at most one transaction starts per COMMIT_INTERVAL; boundaries
# that arrive meanwhile share the next one (a slow step still commits at once).
COMMIT_INTERVAL = 0.005
BUSY_GRACE = 30.0
# Listeners see these only once they are committed.
DURABLE_KINDS = frozenset({"execution_started", "step_finished", "paused", "execution_finished"})
WAKING_KINDS = DURABLE_KINDS | {"steps_added"}  # the writer wakes for these at once

Listener = Callable[[Event], None]


class Recorder:
    """Subscribe an instance to the EventBus; `await close()` in a finally."""

    def __init__(
        self,
        db: Database,
        *,
        artifacts_root: Path,
        owner: ProcessIdentity | None = None,
        playbook_rel: Callable[[str], str | None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        log_batch: int = LOG_BATCH,
        log_interval: float = LOG_INTERVAL,
        commit_interval: float = COMMIT_INTERVAL,
        busy_grace: float = BUSY_GRACE,
    ) -> None:
        self._db = db
        self._folder = EventFolder(artifacts_root, owner or ProcessIdentity.current(), playbook_rel)
        self._warn = on_warning or (lambda text: log.warning("%s", text))
        self._log_batch = log_batch
        self._log_interval = log_interval
        self._commit_interval = commit_interval
        self._last_write = float("-inf")
        self.busy_grace = busy_grace
        self._listeners: list[Listener] = []
        self._queue: list[Any] = []  # events, and ("browser", id, version) notes
        self._outbox: deque[tuple[int, Event]] = deque()
        self._unwritten: list[Batch] = []
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._seq = 0
        self._committed = 0
        self._transactions = 0
        self._pending_logs = 0
        self._bypass = False  # listeners get events without waiting for a commit
        self._failed: BaseException | None = None
        self._closing = False
        self._close_started = 0.0
        self._writer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- wiring ---------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Deliver every event to `listener`, durable kinds only after their commit."""
        self._listeners.append(listener)

    def expect(self, execution_id: str, *, rerun_of: str | None = None, playbook_rel: str | None = None,
               fleet_run_id: str | None = None, state: ExecutionState | None = None) -> None:
        """Facts about an execution the events do not carry (set before it starts); `state`: its
        engine's fold of its events (`Execution.state`), read for the step rows instead of
        folding the events a second time."""
        self._folder.expected[execution_id] = Expected(rerun_of=rerun_of, playbook_rel=playbook_rel,
                                                       fleet_run_id=fleet_run_id)
        if state is not None:
            self._folder.states[execution_id] = state

    def set_browser_version(self, execution_id: str, version: str | None) -> None:
        """Record the browser an execution used, in order with its events
        (after close, use `ExecutionRepository.set_browser_version`)."""
        if self._failed is None and not (self._closing and self._writer is None):
            self._enqueue(("browser", execution_id, version), "browser")

    @property
    def failed(self) -> BaseException | None:
        """The error that stopped recording, if any."""
        return self._failed

    @property
    def committed_seq(self) -> int:
        """Sequence number of the last event known durable (events are numbered from 1)."""
        return self._committed

    @property
    def recorded_seq(self) -> int:
        """Sequence number of the last event received."""
        return self._seq

    @property
    def transactions(self) -> int:
        """Transactions committed so far (group commit makes this far fewer than events)."""
        return self._transactions

    # -- the subscriber (runs inside the engine's emit: never blocks) ---------
    def __call__(self, event: Event) -> None:
        kind = event.kind
        if kind == "note" and getattr(event, "key", None) == "browser_version":
            self.set_browser_version(event.execution_id, getattr(event, "value", None))
        if self._folder.own or kind == "execution_started":
            self._folder.follow(event)
        if self._failed is not None or (self._closing and self._writer is None):
            self._deliver(event)
            return
        seq = self._enqueue(event, kind)
        if self._listeners:
            if not self._outbox and (kind not in DURABLE_KINDS or self._bypass):
                self._deliver(event)  # nothing held before it (a log line): what _release would do, cheaper
                return
            self._outbox.append((seq, event))
            self._release()

    def _enqueue(self, item: Any, kind: str) -> int:
        """Queue an event (or a note): the writer wakes for a boundary, or within LOG_INTERVAL."""
        self._seq += 1
        self._queue.append(item)
        wake = self._wake if self._writer is not None else None
        if wake is None:
            wake = self._ensure_writer()
        if kind == "log":
            self._pending_logs += 1
            if self._pending_logs >= self._log_batch:
                wake.set()
                return self._seq
        if kind in WAKING_KINDS:
            if not wake.is_set():
                wake.set()
        elif self._timer is None:
            # One timer at a time, left to fire (cheaper than one per event): it
            # flushes logs and attempt rows within LOG_INTERVAL.
            self._timer = asyncio.get_running_loop().call_later(self._log_interval, self._tick)
        return self._seq

    def _tick(self) -> None:
        self._timer = None
        if self._queue and self._wake is not None:
            self._wake.set()

    def _ensure_writer(self) -> asyncio.Event:
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._run(), name="igtk-store-writer")
        return self._wake

    # -- delivery -------------------------------------------------------------
    def _deliver(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a broken sink must not stop recording
                log.exception("history listener %r failed on %s", listener, event.kind)

    def _release(self) -> None:
        outbox = self._outbox
        while outbox:
            seq, event = outbox[0]
            if seq > self._committed and event.kind in DURABLE_KINDS and not self._bypass:
                return
            outbox.popleft()
            self._deliver(event)

    def _notify(self) -> None:
        self._release()
        done = self._failed is not None or (self._bypass and self._closing)
        keep = []
        for target, fut in self._waiters:
            if target <= self._committed or done:
                if not fut.done():
                    fut.set_result(None)
            else:
                keep.append((target, fut))
        self._waiters = keep

    # -- public async API -----------------------------------------------------
    async def flush(self) -> None:
        """Commit everything recorded so far now, and wait for it (or for recording to stop)."""
        await self._wait_for(self._seq, force=True)

    async def committed(self, seq: int | None = None) -> None:
        """Wait, without hurrying the writer, until event `seq` (default: the last) is durable."""
        await self._wait_for(self._seq if seq is None else seq, force=False)

    async def _wait_for(self, target: int, *, force: bool) -> None:
        if target <= self._committed or self._failed is not None or self._writer is None:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, fut))
        if force:
            self._ensure_writer().set()
        await fut

    async def close(self) -> None:
        """Write everything queued, deliver every held event, stop the writer."""
        self._closing = True
        self._close_started = asyncio.get_running_loop().time()
        writer = self._writer
        if writer is not None and self._wake is not None:
            self._wake.set()
            try:
                await writer
            except asyncio.CancelledError:
                if not writer.cancelled():
                    raise
            except Exception as exc:  # noqa: BLE001 - a bug here must not lose the run's output
                self._fail(exc)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._writer = None
        self._bypass = True
        self._notify()

    # -- the writer -----------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                wait = self._last_write + self._commit_interval - asyncio.get_running_loop().time()
                if wait > 0 and not self._closing:
                    await asyncio.sleep(wait)  # group commit window, not synchronisation
                self._take_queue()
                if self._unwritten:
                    await self._write()
                self._notify()
                if self._failed is not None:
                    return
                if self._closing and not self._queue and not self._unwritten:
                    return
        except Exception as exc:  # noqa: BLE001 - never let a bug stall the output
            self._fail(exc)

    def _take_queue(self) -> None:
        if self._queue:
            items, self._queue = self._queue, []
            self._pending_logs = 0
            self._unwritten.append(self._folder.fold(items, self._seq))

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._unwritten:
            batches = list(self._unwritten)
            self._last_write = loop.time()
            try:
                await self._db.write(functools.partial(apply_all, batches))
            except StoreBusy as exc:
                if not self._bypass:
                    self._bypass = True
                    self._warn(f"history database {exc.reason} ({exc}); still trying to record this run")
                    self._release()
                if self._closing and loop.time() - self._close_started > self.busy_grace:
                    self._fail(exc, f"gave up recording after {self.busy_grace:g} s of a locked database")
                    return
                await asyncio.sleep(0.05)  # back-off between lock attempts, not synchronisation
                self._take_queue()
                continue
            except Exception as exc:  # noqa: BLE001 - a driver error, StoreError, disk full...
                self._fail(exc)
                return
            del self._unwritten[:len(batches)]
            self._transactions += 1
            self._committed = batches[-1].last_seq
            self._bypass = False

    def _fail(self, exc: BaseException, message: str | None = None) -> None:
        if self._failed is None:
            self._warn(message or f"could not record the execution history: {exc}; the run goes on unrecorded")
        self._failed = exc
        self._bypass = True
        self._queue.clear()
        self._unwritten.clear()
        self._notify()
