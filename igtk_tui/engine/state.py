"""One fold of engine events into execution state, shared by everything that keeps or shows a run.

Why one: the recorder (the step rows it writes), the CLI progress (labels and the summary
table), the agent (what `igtk ps` lists, the failed step a notification names) and the TUI
(the step tree) each folded the same events into a state of their own, and the four drifted
(a step back cleared the nested steps in one and not in another). Where an engine runs, its
Execution applies every event to its `ExecutionState` once, before any subscriber sees the
event, and the recorder, the progress sink and the agent read that one; a reader without an
engine (the TUI, `igtk attach`) applies the events it receives to its own.

Plain classes with __slots__: applying an event is a few attribute writes. Statuses are the
engine's status values as text (`StepStatus.COMPLETED.value`), as rows and views carry them.
Log lines are not state: each reader keeps them as it needs (rows, a pane, a process log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from igtk_tui import redact
from igtk_tui.engine.events import LIVE_STATUSES, Event, StepInfo

# A step in one of these is done: the progress counts it, the summary shows its result.
FINISHED_STEP = frozenset(("completed", "failed", "skipped", "cancelled"))


class StepState:
    """One step as the run stands: listed, running, finished, or pending again after a step back.

    `parent` is the step it sits under in the tree (a nested playbook's steps under their
    `playbook.run` step, a compensation step at its own level); `undoes` is the step a
    compensation step compensates (what the history records as its parent)."""

    __slots__ = ("path", "id", "name", "type", "parent", "undoes", "role", "breakpoint", "position", "top",
                 "status", "attempt", "max_attempts", "starts", "started_at", "finished_at", "duration",
                 "output", "error", "reason", "variables", "children", "waiting")

    def __init__(self, path: str, id: str, name: str, type: str, *, parent: str | None = None,  # noqa: A002
                 undoes: str | None = None, role: str = "step", breakpoint: bool = False,  # noqa: A002
                 status: str = "pending", attempt: int = 0, max_attempts: int = 1, starts: int = 0,
                 started_at: float | None = None, duration: float | None = None, error: str | None = None,
                 reason: str | None = None) -> None:
        # Parameters named as StepInfo's fields (id, type, breakpoint), shadowing builtins on purpose.
        self.path = path
        self.id = id
        self.name = name
        self.type = type
        self.parent = parent
        self.undoes = undoes
        self.role = role
        self.breakpoint = breakpoint
        self.position = 0  # in the order steps were listed (the history's order)
        self.top = 0  # 1-based place among the top-level steps, 0 for a nested one
        self.status = status
        self.attempt = attempt  # the attempt running or last run (1-based; 0 before the first)
        self.max_attempts = max_attempts
        self.starts = starts  # attempts started in all, step backs included (the history's count)
        self.started_at = started_at
        self.finished_at: float | None = None
        self.duration = duration
        self.output: dict[str, Any] | None = None
        self.error = error
        self.reason = reason  # why skipped: "operator", "condition", "restored"...
        self.variables: dict[str, Any] | None = None  # the variables when it finished
        self.children: list[str] = []
        self.waiting: tuple[str, float] | None = None  # a long wait's last state and its deadline

    @classmethod
    def listed(cls, info: StepInfo, level: str | None) -> StepState:
        """A step as an ExecutionStarted/StepsAdded lists it; `level` is the frame's parent step."""
        rollback = info.role == "rollback"
        return cls(info.path, info.id, redact.scrub(info.name), info.type,
                   parent=level if rollback else info.parent or level, undoes=info.parent if rollback else None,
                   role=info.role, breakpoint=info.breakpoint)

    @property
    def recorded_parent(self) -> str | None:
        """The parent the history keeps: the step compensated, for a compensation step."""
        return self.undoes if self.role == "rollback" else self.parent


class PauseInfo:
    """Where and why the run is paused (with what the pause offers: parameters, the error...)."""

    __slots__ = ("step", "reason", "context")

    def __init__(self, step: str | None, reason: str, context: dict[str, Any]) -> None:
        self.step = step
        self.reason = reason
        self.context = context


class ExecutionState:
    """One execution as its events describe it. `apply` each event once, in order."""

    def __init__(self, id: str, playbook: str = "", *, status: str = "pending", trigger: str = "",  # noqa: A002
                 started_at: float | None = None, duration: float | None = None, error: str | None = None,
                 parameters: dict[str, Any] | None = None, debug: bool = False) -> None:
        self.id = id
        self.playbook = playbook
        self.status = status
        self.trigger = trigger  # who started it: "cli", "tui", "schedule: NAME"...
        self.started_at = started_at
        self.finished_at: float | None = None
        self.duration = duration
        self.error = error
        self.failed_steps = 0
        self.parameters: dict[str, Any] = parameters if parameters is not None else {}
        self.debug = debug
        self.breakpoints: tuple[str, ...] = ()
        self.pause_requested = False
        self.pause: PauseInfo | None = None
        self.paused_at: float | None = None  # engine time the current pause began: long-wait countdowns stand still
        self.steps: dict[str, StepState] = {}  # in the order listed
        self.roots: list[str] = []  # top-level steps, compensation steps of the playbook included
        self.done = 0  # top-level steps finished
        self.current: str | None = None  # the step whose attempt started last, until it finishes
        self.failed: tuple[str, str | None] | None = None  # the first step that failed, and its error
        self.failed_top: str | None = None  # the first top-level step that failed (what a fleet names)
        self.artifacts: list[str] = []
        self._artifact_set: set[str] = set()

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    def wait_left(self, step: StepState, now: float) -> float | None:
        """Seconds left of `step`'s long wait: paused time is not spent (the engine does not
        count it against the timeout either), so the countdown stands still during a pause."""
        if step.waiting is None:
            return None
        at = self.paused_at if self.paused_at is not None else now
        return max(0.0, step.waiting[1] - at)

    @property
    def progress(self) -> tuple[int, int]:
        """(finished, total) over top-level steps."""
        return self.done, len(self.roots)

    # -- building -----------------------------------------------------------------------
    def add(self, step: StepState) -> StepState:
        """List a step (once: a step listed again keeps its state), under its parent if known."""
        known = self.steps.get(step.path)
        if known is not None:
            return known
        step.position = len(self.steps)
        self.steps[step.path] = step
        if self.breakpoints and step.path in self.breakpoints:  # marked before it was listed
            step.breakpoint = True
        owner = self.steps.get(step.parent) if step.parent else None
        if owner is not None:
            owner.children.append(step.path)
        else:
            self.roots.append(step.path)
            step.top = len(self.roots)
            if step.status in FINISHED_STEP:
                self.done += 1
        return step

    def add_artifact(self, path: str) -> None:
        if path not in self._artifact_set:
            self._artifact_set.add(path)
            self.artifacts.append(path)

    def step(self, path: str) -> StepState:
        """A step by path; one the engine never listed (defensive) is listed on first sight."""
        step = self.steps.get(path)
        if step is None:
            parent, _, own = path.rpartition("/")
            step = self.add(StepState(path, own, own, "", parent=parent or None))
        return step

    def _set_status(self, step: StepState, status: str) -> None:
        if step.top and (step.status in FINISHED_STEP) != (status in FINISHED_STEP):
            self.done += 1 if status in FINISHED_STEP else -1
        step.status = status

    # -- the fold -----------------------------------------------------------------------
    def apply(self, event: Event) -> bool:
        """Fold one event in; False for kinds that change nothing here (log lines, notes)."""
        fold = _FOLDS.get(event.kind)
        if fold is None:
            return False
        fold(self, event)
        return True

    def _started(self, e: Any) -> None:
        self.status = "running"
        self.playbook = self.playbook or e.playbook
        self.started_at = e.ts
        self.trigger = e.trigger
        self.parameters = dict(e.parameters)
        self.debug = e.debug
        for info in e.steps:
            self.add(StepState.listed(info, None))

    def _steps_added(self, e: Any) -> None:
        for info in e.steps:
            self.add(StepState.listed(info, e.parent))

    def _step_started(self, e: Any) -> None:
        step = self.step(e.step_id)
        self._set_status(step, "running")
        step.attempt, step.max_attempts = e.attempt, e.max_attempts
        step.starts += 1
        if e.attempt == 1 or step.started_at is None:
            step.started_at = e.ts
            step.finished_at = step.reason = None
        step.duration = step.error = step.waiting = None
        self.current = step.path

    def _step_waiting(self, e: Any) -> None:
        step = self.steps.get(e.step_id)
        if step is not None and step.status == "running":
            step.waiting = (redact.scrub(e.last or e.what), e.ts + max(0.0, e.timeout - e.waited))

    def _attempt_finished(self, e: Any) -> None:
        step = self.step(e.step_id)
        if not e.ok:
            step.error = e.error

    def _step_finished(self, e: Any) -> None:
        step = self.step(e.step_id)
        status = e.status.value
        self._set_status(step, status)
        step.finished_at, step.duration, step.error, step.reason = e.ts, e.duration, e.error, e.reason
        if step.started_at is None:
            step.started_at = e.ts - e.duration
        if e.attempts:
            step.attempt = e.attempts
        step.output, step.variables, step.waiting = e.output, e.variables, None
        for path in e.artifacts:
            self.add_artifact(path)
        if status == "failed":
            if self.failed is None:
                self.failed = (step.path, e.error)
            if self.failed_top is None and step.top:
                self.failed_top = step.path
        if self.current == step.path:
            self.current = None

    def _step_reset(self, e: Any) -> None:
        self._reset(self.step(e.step_id))

    def _reset(self, step: StepState) -> None:
        """Step back: pending again, and so is everything it ran (a nested playbook's steps)."""
        self._set_status(step, "pending")
        step.attempt = 0
        step.started_at = step.finished_at = step.duration = None
        step.output = step.error = step.reason = step.variables = step.waiting = None
        for child in step.children:
            self._reset(self.steps[child])

    def _artifact(self, e: Any) -> None:
        self.add_artifact(e.path)

    def _paused(self, e: Any) -> None:
        self.status = "paused"
        self.pause = PauseInfo(e.step_id, e.reason, dict(e.context))
        if self.paused_at is None:
            self.paused_at = e.ts

    def _resumed(self, e: Any) -> None:
        if self.status == "paused":
            self.status = "running"
        self.pause = None
        if self.paused_at is not None:  # the waits' deadlines move on by the time spent paused
            shift = max(0.0, e.ts - self.paused_at)
            for step in self.steps.values():
                if step.waiting is not None:
                    step.waiting = (step.waiting[0], step.waiting[1] + shift)
            self.paused_at = None

    def _controls(self, e: Any) -> None:
        self.debug, self.pause_requested = e.debug, e.pause_requested
        before, self.breakpoints = set(self.breakpoints), tuple(e.breakpoints)
        for path in before.symmetric_difference(self.breakpoints):  # only the steps whose mark changed
            step = self.steps.get(path)
            if step is not None:
                step.breakpoint = path in self.breakpoints

    def _finished(self, e: Any) -> None:
        self.status, self.duration, self.error = e.status.value, e.duration, e.error
        self.failed_steps, self.finished_at = e.failed_steps, e.ts
        self.pause = self.current = self.paused_at = None
        if self.status == "cancelled":
            for step in self.steps.values():
                if step.status == "running":
                    self._set_status(step, "cancelled")


_FOLDS: dict[str, Callable[[ExecutionState, Any], None]] = {
    "execution_started": ExecutionState._started,
    "steps_added": ExecutionState._steps_added,
    "step_started": ExecutionState._step_started,
    "step_waiting": ExecutionState._step_waiting,
    "attempt_finished": ExecutionState._attempt_finished,
    "step_finished": ExecutionState._step_finished,
    "step_reset": ExecutionState._step_reset,
    "artifact": ExecutionState._artifact,
    "paused": ExecutionState._paused,
    "resumed": ExecutionState._resumed,
    "controls": ExecutionState._controls,
    "execution_finished": ExecutionState._finished,
}


def steps_of(state: ExecutionState, paths: Iterable[str]) -> list[StepState]:
    """The states of `paths` that are listed (a helper for readers that kept paths)."""
    return [state.steps[p] for p in paths if p in state.steps]
