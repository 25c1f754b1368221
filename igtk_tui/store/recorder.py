"""The store's EventBus subscriber: every engine event, durably, without stalling the engine.

Why this shape:

- Subscribers run inside the engine's `emit` and must not block, so
  `__call__` only appends to a list. One writer task drains it: everything
  queued is folded into one batch and written in one IMMEDIATE transaction
  (group commit). A step boundary (StepFinished, ExecutionFinished, a pause,
  the start) wakes the writer at once; logs and attempt rows ride along, or
  are flushed after LOG_INTERVAL seconds or LOG_BATCH lines.
- Step rows live in memory for the whole execution and are upserted whole,
  so a step is one row however often it starts, retries or is stepped back
  (the earlier toolkit inserted a second row on completion, prior-art §4.9).
  Every batch is idempotent (upserts and keyed inserts), so a retried batch
  never duplicates anything.
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
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from igtk_tui.engine.events import (
    ArtifactAdded,
    AttemptFinished,
    ControlsChanged,
    Event,
    ExecutionFinished,
    ExecutionPaused,
    ExecutionStarted,
    LogRecord,
    StepFinished,
    StepInfo,
    StepReset,
    StepsAdded,
    StepStarted,
)
from igtk_tui.store.codec import dumps, scrub
from igtk_tui.store.db import Database, StoreBusy
from igtk_tui.store.owner import ProcessIdentity

log = logging.getLogger(__name__)

LOG_BATCH = 500
LOG_INTERVAL = 0.1
# Group commit: at most one transaction starts per COMMIT_INTERVAL; boundaries
# that arrive meanwhile share the next one (a slow step still commits at once).
COMMIT_INTERVAL = 0.005
BUSY_GRACE = 30.0
# Listeners see these only once they are committed.
DURABLE_KINDS = frozenset({"execution_started", "step_finished", "paused", "execution_finished"})

Listener = Callable[[Event], None]

_INSERT_EXECUTION = """
INSERT INTO executions (id, playbook, playbook_path, playbook_rel, playbook_hash, parameters, credentials,
    gateway_url, trigger, host, user, owner_pid, owner_start, status, started_at, debug, resumed_from, rerun_of)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO NOTHING"""
_UPDATE_EXECUTION = """
UPDATE executions SET status = ?, failed_steps = ?, finished_at = ?, duration = ?, error = ?, debug = ?
WHERE id = ?"""
_UPSERT_STEP = """
INSERT INTO steps (execution_id, path, step_id, parent, position, name, type, role, status, attempts,
    started_at, finished_at, duration, output, error, reason, variables)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(execution_id, path) DO UPDATE SET
    name = excluded.name, type = excluded.type, parent = excluded.parent, role = excluded.role,
    status = excluded.status, attempts = excluded.attempts, started_at = excluded.started_at,
    finished_at = excluded.finished_at, duration = excluded.duration, output = excluded.output,
    error = excluded.error, reason = excluded.reason, variables = excluded.variables"""
_INSERT_ATTEMPT = ("INSERT OR IGNORE INTO attempts (execution_id, path, seq, n, ok, error, duration, finished_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_LOG = ("INSERT OR IGNORE INTO logs (execution_id, seq, ts, step, level, message) "
               "VALUES (?, ?, ?, ?, ?, ?)")
_INSERT_ARTIFACT = ("INSERT OR IGNORE INTO artifacts (execution_id, seq, step, path, kind, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)")


class _Step:
    """One step row, kept in memory and upserted whole."""

    __slots__ = ("path", "step_id", "parent", "position", "name", "type", "role", "status", "attempts",
                 "started_at", "finished_at", "duration", "output", "error", "reason", "variables")

    def __init__(self, info: StepInfo, position: int) -> None:
        self.path = info.path
        self.step_id = info.id
        self.parent = info.parent
        self.position = position
        self.name = info.name
        self.type = info.type
        self.role = info.role
        self.status = "pending"
        self.attempts = 0
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.duration: float | None = None
        self.output: str | None = None
        self.error: str | None = None
        self.reason: str | None = None
        self.variables: str | None = None

    def row(self, execution_id: str) -> tuple[Any, ...]:
        return (execution_id, self.path, self.step_id, self.parent, self.position, self.name, self.type,
                self.role, self.status, self.attempts, self.started_at, self.finished_at, self.duration,
                self.output, self.error, self.reason, self.variables)


class _Execution:
    """What the recorder keeps about one running execution (plain class: built per run, cheap to import)."""

    __slots__ = ("id", "folder", "status", "failed_steps", "finished_at", "duration", "error", "debug", "steps",
                 "positions", "log_seq", "attempt_seq", "artifact_seq")

    def __init__(self, execution_id: str, folder: Path, *, debug: bool = False) -> None:
        self.id = execution_id
        self.folder = folder
        self.status = "running"
        self.failed_steps = 0
        self.finished_at: float | None = None
        self.duration: float | None = None
        self.error: str | None = None
        self.debug = debug
        self.steps: dict[str, _Step] = {}
        self.positions = 0
        self.log_seq = 0
        self.attempt_seq = 0
        self.artifact_seq = 0

    def add_step(self, info: StepInfo) -> _Step:
        step = self.steps.get(info.path)
        if step is None:
            step = self.steps[info.path] = _Step(info, self.positions)
            self.positions += 1
        return step

    def step(self, path: str) -> _Step:
        """A step the engine never listed (defensive): created on first sight."""
        step = self.steps.get(path)
        if step is None:
            parent, _, own = path.rpartition("/")
            step = self.add_step(StepInfo(path, own, own, "", parent=parent or None))
        return step

    def update_row(self) -> tuple[Any, ...]:
        return (self.status, self.failed_steps, self.finished_at, self.duration, self.error, int(self.debug),
                self.id)


Rows = list[tuple[Any, ...]]


class _Batch:
    """Rows for one transaction, as immutable tuples (safe to hand to the DB thread)."""

    __slots__ = ("last_seq", "sources", "inserts", "resumed_by", "steps", "attempts", "logs", "artifacts",
                 "updates", "browser")

    def __init__(self, last_seq: int) -> None:
        self.last_seq = last_seq
        self.sources: Rows = []
        self.inserts: Rows = []
        self.resumed_by: Rows = []
        self.steps: Rows = []
        self.attempts: Rows = []
        self.logs: Rows = []
        self.artifacts: Rows = []
        self.updates: Rows = []
        self.browser: Rows = []

    def apply(self, c: Any) -> None:
        if self.sources:
            c.executemany("INSERT OR IGNORE INTO playbook_sources (hash, text) VALUES (?, ?)", self.sources)
        if self.inserts:
            c.executemany(_INSERT_EXECUTION, self.inserts)
        if self.resumed_by:
            c.executemany("UPDATE executions SET resumed_by = ? WHERE id = ?", self.resumed_by)
        if self.steps:
            c.executemany(_UPSERT_STEP, self.steps)
        if self.attempts:
            c.executemany(_INSERT_ATTEMPT, self.attempts)
        if self.logs:
            c.executemany(_INSERT_LOG, self.logs)
        if self.artifacts:
            c.executemany(_INSERT_ARTIFACT, self.artifacts)
        if self.updates:
            c.executemany(_UPDATE_EXECUTION, self.updates)
        if self.browser:
            c.executemany("UPDATE executions SET browser_version = ? WHERE id = ?", self.browser)


def _apply_all(batches: list[_Batch], c: Any) -> None:
    for batch in batches:
        batch.apply(c)


class _Expected(NamedTuple):
    rerun_of: str | None = None
    playbook_rel: str | None = None


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
        self._artifacts_root = artifacts_root
        self._owner = owner or ProcessIdentity.current()
        self._playbook_rel = playbook_rel
        self._warn = on_warning or (lambda text: log.warning("%s", text))
        self._log_batch = log_batch
        self._log_interval = log_interval
        self._commit_interval = commit_interval
        self._last_write = float("-inf")
        self.busy_grace = busy_grace
        self._listeners: list[Listener] = []
        self._expected: dict[str, _Expected] = {}
        self._executions: dict[str, _Execution] = {}
        self._queue: list[Any] = []  # events, and ("browser", id, version) notes
        self._outbox: deque[tuple[int, Event]] = deque()
        self._unwritten: list[_Batch] = []
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

    def expect(self, execution_id: str, *, rerun_of: str | None = None, playbook_rel: str | None = None) -> None:
        """Facts about an execution the events do not carry (set before it starts)."""
        self._expected[execution_id] = _Expected(rerun_of=rerun_of, playbook_rel=playbook_rel)

    def set_browser_version(self, execution_id: str, version: str | None) -> None:
        """Record the browser an execution used, in order with its events
        (after close, use `ExecutionRepository.set_browser_version`)."""
        if self._failed is None and not (self._closing and self._writer is None):
            self._enqueue(("browser", execution_id, version))

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
        if event.kind == "note" and getattr(event, "key", None) == "browser_version":
            self.set_browser_version(event.execution_id, getattr(event, "value", None))
        if self._failed is not None or (self._closing and self._writer is None):
            self._deliver(event)
            return
        seq = self._enqueue(event)
        if self._listeners:
            self._outbox.append((seq, event))
            self._release()

    def _enqueue(self, item: Any) -> int:
        self._seq += 1
        self._queue.append(item)
        wake = self._ensure_writer()
        kind = getattr(item, "kind", "")
        if kind == "log":
            self._pending_logs += 1
            if self._pending_logs >= self._log_batch:
                wake.set()
                return self._seq
        if kind in DURABLE_KINDS or kind == "steps_added":
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
        done = self._failed is not None or self._bypass and self._closing
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
            self._unwritten.append(self._fold(items, self._seq))

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        while self._unwritten:
            batches = list(self._unwritten)
            self._last_write = loop.time()
            try:
                await self._db.write(lambda c: _apply_all(batches, c))
            except StoreBusy as exc:
                if not self._bypass:
                    self._bypass = True
                    self._warn(f"history database is locked by another process ({exc}); "
                               "still trying to record this run")
                    self._release()
                if self._closing and loop.time() - self._close_started > self.busy_grace:
                    self._fail(exc, f"gave up recording after {self.busy_grace:g} s of a locked database")
                    return
                await asyncio.sleep(0.05)  # back-off between lock attempts, not synchronisation
                self._take_queue()
                continue
            except Exception as exc:  # noqa: BLE001 - sqlite3.Error, StoreError, disk full...
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

    # -- folding events into rows ---------------------------------------------
    def _fold(self, items: list[Any], last_seq: int) -> _Batch:
        batch = _Batch(last_seq=last_seq)
        dirty_steps: dict[tuple[str, str], _Step] = {}
        dirty_execs: dict[str, _Execution] = {}
        finished: list[str] = []
        for item in items:
            if isinstance(item, tuple):
                batch.browser.append((item[2], item[1]))
                continue
            event: Event = item
            if isinstance(event, ExecutionStarted):
                self._started(event, batch, dirty_steps)
                continue
            ex = self._executions.get(event.execution_id)
            if ex is None:
                continue  # an execution that started before we subscribed
            kind = event.kind
            if kind == "step_started":
                assert isinstance(event, StepStarted)
                step = ex.step(event.step_id)
                step.status = "running"
                step.attempts += 1
                if event.attempt == 1 or step.started_at is None:
                    step.started_at = event.ts
                    step.finished_at = step.duration = None
                    step.error = step.reason = None
                dirty_steps[(ex.id, step.path)] = step
            elif kind == "attempt_finished":
                assert isinstance(event, AttemptFinished)
                ex.attempt_seq += 1
                if event.step_id not in ex.steps:
                    dirty_steps[(ex.id, event.step_id)] = ex.step(event.step_id)
                batch.attempts.append((ex.id, event.step_id, ex.attempt_seq, event.attempt, int(event.ok),
                                       scrub(event.error), event.duration, event.ts))
            elif kind == "step_finished":
                assert isinstance(event, StepFinished)
                step = ex.step(event.step_id)
                step.status = event.status.value
                step.finished_at = event.ts
                step.duration = event.duration
                if step.started_at is None:
                    step.started_at = event.ts - event.duration
                step.output = dumps(event.output) if event.output is not None else None
                step.error = scrub(event.error)
                step.reason = event.reason
                restored_skip = event.reason == "restored" and not event.variables
                step.variables = None if restored_skip else dumps(event.variables)
                dirty_steps[(ex.id, step.path)] = step
            elif kind == "log":
                assert isinstance(event, LogRecord)
                ex.log_seq += 1
                batch.logs.append((ex.id, ex.log_seq, event.ts, event.step_id, event.level,
                                   scrub(event.message) or ""))
            elif kind == "steps_added":
                assert isinstance(event, StepsAdded)
                for info in event.steps:
                    dirty_steps[(ex.id, info.path)] = ex.add_step(info)
            elif kind == "step_reset":
                assert isinstance(event, StepReset)
                step = ex.step(event.step_id)
                step.status = "pending"
                step.finished_at = step.duration = None
                step.output = step.error = step.reason = step.variables = None
                dirty_steps[(ex.id, step.path)] = step
            elif kind == "artifact":
                assert isinstance(event, ArtifactAdded)
                ex.artifact_seq += 1
                batch.artifacts.append((ex.id, ex.artifact_seq, event.step_id, self._relative(ex, event.path),
                                        event.artifact_kind, event.ts))
            elif kind == "paused":
                assert isinstance(event, ExecutionPaused)
                ex.status = "paused"
                dirty_execs[ex.id] = ex
                ex.log_seq += 1
                where = f" at {event.step_id}" if event.step_id else ""
                batch.logs.append((ex.id, ex.log_seq, event.ts, event.step_id, "info",
                                   f"paused ({event.reason}){where}"))
            elif kind == "resumed":
                ex.status = "running"
                dirty_execs[ex.id] = ex
                ex.log_seq += 1
                batch.logs.append((ex.id, ex.log_seq, event.ts, None, "info", "resumed"))
            elif kind == "controls":
                assert isinstance(event, ControlsChanged)
                if ex.debug != event.debug:
                    ex.debug = event.debug
                    dirty_execs[ex.id] = ex
            elif kind == "execution_finished":
                assert isinstance(event, ExecutionFinished)
                ex.status = event.status.value
                ex.error = scrub(event.error)
                ex.failed_steps = event.failed_steps
                ex.finished_at = event.ts
                ex.duration = event.duration
                dirty_execs[ex.id] = ex
                finished.append(ex.id)
        batch.steps = [step.row(eid) for (eid, _), step in dirty_steps.items()]
        batch.updates = [ex.update_row() for ex in dirty_execs.values()]
        for eid in finished:
            self._executions.pop(eid, None)
            self._expected.pop(eid, None)
        return batch

    def _started(self, event: ExecutionStarted, batch: _Batch, dirty: dict[tuple[str, str], _Step]) -> None:
        ex = _Execution(event.execution_id, self._artifacts_root / event.execution_id, debug=event.debug)
        self._executions[ex.id] = ex
        expected = self._expected.get(ex.id) or _Expected()
        rel = expected.playbook_rel
        if rel is None and event.playbook_path and self._playbook_rel is not None:
            try:
                rel = self._playbook_rel(event.playbook_path)
            except Exception:  # noqa: BLE001 - a library lookup must not stop recording
                rel = None
        if event.playbook_source:
            batch.sources.append((event.playbook_hash, event.playbook_source))
        owner = self._owner
        batch.inserts.append((
            ex.id, event.playbook, event.playbook_path, rel, event.playbook_hash, dumps(event.parameters),
            dumps(list(event.credentials)), event.gateway_url, event.trigger, owner.host, owner.user, owner.pid,
            owner.start, "running", event.ts, int(event.debug), event.resumed_from, expected.rerun_of,
        ))
        if event.resumed_from:
            batch.resumed_by.append((ex.id, event.resumed_from))
        for info in event.steps:
            dirty[(ex.id, info.path)] = ex.add_step(info)

    def _relative(self, ex: _Execution, path: str) -> str:
        """Artifacts are stored relative to their execution's folder when inside it."""
        try:
            return Path(path).relative_to(ex.folder).as_posix()
        except ValueError:
            return path
