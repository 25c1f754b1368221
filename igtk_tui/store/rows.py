"""Folding engine events into database rows, one transaction's worth at a time.

Step rows live in memory for the whole execution and are upserted whole, so a
step is one row however often it starts, retries or is stepped back (the
earlier toolkit inserted a second row on completion, so its history counted a step twice). Every
batch is idempotent (upserts and keyed inserts), so a retried batch never
duplicates anything.
"""

from __future__ import annotations

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
    StepReset,
    StepsAdded,
    StepStarted,
)
from igtk_tui.engine.state import ExecutionState, StepState
from igtk_tui.store.codec import dumps, scrub
from igtk_tui.store.owner import ProcessIdentity

_INSERT_EXECUTION = """
INSERT INTO executions (id, playbook, playbook_path, playbook_rel, playbook_hash, parameters, credentials,
    gateway_url, trigger, host, user, owner_pid, owner_start, status, started_at, debug, resumed_from, rerun_of,
    fleet_run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
_INSERT_ATTEMPT = ("INSERT INTO attempts (execution_id, path, seq, n, ok, error, duration, finished_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (execution_id, path, seq) DO NOTHING")
_INSERT_LOG = ("INSERT INTO logs (execution_id, seq, ts, step, level, message) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (execution_id, seq) DO NOTHING")
_INSERT_ARTIFACT = ("INSERT INTO artifacts (execution_id, seq, step, path, kind, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (execution_id, seq) DO NOTHING")
# DO UPDATE, not DO NOTHING: the upsert takes the row's lock, so retention deleting the last
# execution that used this text (in another process, at this very moment) cannot remove it
# under a new execution (PostgreSQL's REPEATABLE READ then retries one of the two).
_UPSERT_SOURCE = ("INSERT INTO playbook_sources (hash, text) VALUES (?, ?) "
                  "ON CONFLICT (hash) DO UPDATE SET text = excluded.text")


class _Execution:
    """What the recorder keeps about one running execution besides its steps' state: the execution
    row's fields (from the events it records: the agent records a run it stopped as interrupted)
    and the numbering of its attempts, log lines and artifacts."""

    __slots__ = ("id", "folder", "state", "status", "failed_steps", "finished_at", "duration", "error", "debug",
                 "log_seq", "attempt_seq", "artifact_seq")

    def __init__(self, state: ExecutionState, folder: Path, *, debug: bool = False) -> None:
        self.id = state.id
        self.state = state
        self.folder = folder
        self.status = "running"
        self.failed_steps = 0
        self.finished_at: float | None = None
        self.duration: float | None = None
        self.error: str | None = None
        self.debug = debug
        self.log_seq = 0
        self.attempt_seq = 0
        self.artifact_seq = 0

    def update_row(self) -> tuple[Any, ...]:
        return (self.status, self.failed_steps, self.finished_at, self.duration, self.error, int(self.debug),
                self.id)


def step_row(execution_id: str, step: StepState) -> tuple[Any, ...]:
    """A step's row, whole (upserted), from its state as the run stands."""
    variables = step.variables
    kept = None if variables is None or (not variables and step.reason == "restored") else dumps(variables)
    return (execution_id, step.path, step.id, step.recorded_parent, step.position, step.name, step.type,
            step.role, step.status, step.starts, step.started_at, step.finished_at, step.duration,
            dumps(step.output) if step.output is not None else None, scrub(step.error), step.reason, kept)


Rows = list[tuple[Any, ...]]


class Batch:
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
            c.executemany(_UPSERT_SOURCE, self.sources)
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


def apply_all(batches: list[Batch], c: Any) -> None:
    for batch in batches:
        batch.apply(c)


class Expected(NamedTuple):
    rerun_of: str | None = None
    playbook_rel: str | None = None
    fleet_run_id: str | None = None


class EventFolder:
    """Turns queued events into a Batch; steps' rows come from each execution's ExecutionState.

    The state is the engine's (handed over with `Recorder.expect`), or one this folder keeps for
    an execution whose events arrive without one (`own`, folded as they arrive). Rows are made
    when a batch is written, from the state as it stands then: a step that started and finished
    in one batch is one row."""

    def __init__(self, artifacts_root: Path, owner: ProcessIdentity,
                 playbook_rel: Callable[[str], str | None] | None) -> None:
        self.artifacts_root = artifacts_root
        self.owner = owner
        self.playbook_rel = playbook_rel
        self.expected: dict[str, Expected] = {}
        self.states: dict[str, ExecutionState] = {}  # execution id -> its state, shared or own
        self.own: set[str] = set()  # executions whose state this folder folds itself
        self.executions: dict[str, _Execution] = {}

    def follow(self, event: Event) -> None:
        """At arrival, in order: fold the event into the state this folder keeps (if it keeps it)."""
        eid = event.execution_id
        if eid in self.own:
            self.states[eid].apply(event)
        elif event.kind == "execution_started" and eid not in self.states:
            state = self.states[eid] = ExecutionState(eid)
            self.own.add(eid)
            state.apply(event)

    def fold(self, items: list[Any], last_seq: int) -> Batch:
        batch = Batch(last_seq=last_seq)
        dirty_steps: dict[tuple[str, str], StepState] = {}
        dirty_execs: dict[str, _Execution] = {}
        finished: list[str] = []
        for item in items:
            if isinstance(item, tuple):
                batch.browser.append((item[2], item[1]))
                continue
            event: Event = item
            kind = event.kind
            if kind == "execution_started":
                assert isinstance(event, ExecutionStarted)
                self._started(event, batch, dirty_steps)
                continue
            ex = self.executions.get(event.execution_id)
            if ex is None:
                continue  # an execution that started before we subscribed
            if kind == "step_started" or kind == "step_finished":
                assert isinstance(event, (StepStarted, StepFinished))
                step = ex.state.steps.get(event.step_id)
                if step is not None:
                    dirty_steps[(ex.id, step.path)] = step
            elif kind == "attempt_finished":
                assert isinstance(event, AttemptFinished)
                ex.attempt_seq += 1
                step = ex.state.steps.get(event.step_id)
                if step is not None:  # its row first: the attempt row refers to it
                    dirty_steps[(ex.id, step.path)] = step
                batch.attempts.append((ex.id, event.step_id, ex.attempt_seq, event.attempt, int(event.ok),
                                       scrub(event.error), event.duration, event.ts))
            elif kind == "log":
                assert isinstance(event, LogRecord)
                ex.log_seq += 1
                batch.logs.append((ex.id, ex.log_seq, event.ts, event.step_id, event.level,
                                   scrub(event.message) or ""))
            elif kind == "steps_added":
                assert isinstance(event, StepsAdded)
                for info in event.steps:
                    step = ex.state.steps.get(info.path)
                    if step is not None:
                        dirty_steps[(ex.id, step.path)] = step
            elif kind == "step_reset":
                assert isinstance(event, StepReset)
                step = ex.state.steps.get(event.step_id)
                if step is not None:
                    self._dirty_tree(ex, step, dirty_steps)
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
        batch.steps = [step_row(eid, step) for (eid, _), step in dirty_steps.items()]
        batch.updates = [ex.update_row() for ex in dirty_execs.values()]
        for eid in finished:
            self.executions.pop(eid, None)
            self.expected.pop(eid, None)
            self.states.pop(eid, None)
            self.own.discard(eid)
        return batch

    def _dirty_tree(self, ex: _Execution, step: StepState, dirty: dict[tuple[str, str], StepState]) -> None:
        """A step back resets the step and what it ran (a nested playbook's steps): all their rows."""
        dirty[(ex.id, step.path)] = step
        for child in step.children:
            self._dirty_tree(ex, ex.state.steps[child], dirty)

    def _started(self, event: ExecutionStarted, batch: Batch, dirty: dict[tuple[str, str], StepState]) -> None:
        state = self.states.get(event.execution_id)
        if state is None:  # neither handed over nor seen arriving (fed to fold directly): keep one now
            state = self.states[event.execution_id] = ExecutionState(event.execution_id)
            state.apply(event)
        ex = _Execution(state, self.artifacts_root / event.execution_id, debug=event.debug)
        self.executions[ex.id] = ex
        expected = self.expected.get(ex.id) or Expected()
        rel = expected.playbook_rel
        if rel is None and event.playbook_path and self.playbook_rel is not None:
            try:
                rel = self.playbook_rel(event.playbook_path)
            except Exception:  # noqa: BLE001 - a library lookup must not stop recording
                rel = None
        if event.playbook_source:
            batch.sources.append((event.playbook_hash, event.playbook_source))
        owner = self.owner
        batch.inserts.append((
            ex.id, event.playbook, event.playbook_path, rel, event.playbook_hash, dumps(event.parameters),
            dumps(list(event.credentials)), event.gateway_url, event.trigger, owner.host, owner.user, owner.pid,
            owner.start, "running", event.ts, int(event.debug), event.resumed_from, expected.rerun_of,
            expected.fleet_run_id,
        ))
        if event.resumed_from:
            batch.resumed_by.append((ex.id, event.resumed_from))
        for step in state.steps.values():
            dirty[(ex.id, step.path)] = step

    def _relative(self, ex: _Execution, path: str) -> str:
        """Artifacts are stored relative to their execution's folder when inside it."""
        try:
            return Path(path).relative_to(ex.folder).as_posix()
        except ValueError:
            return path
