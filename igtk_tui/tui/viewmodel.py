"""Per-execution view models: plain Python, updated synchronously by the bus
subscriber, read by widgets at the coalesced UI tick.

No textual import: applying an event is a few dict operations so the engine is
never slowed by the UI, and the models can be tested without an App.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from igtk_tui import redact
from igtk_tui.engine.events import LIVE_STATUSES


@dataclass
class StepView:
    path: str
    id: str
    name: str
    type: str
    parent: str | None = None
    role: str = "step"
    breakpoint: bool = False
    status: str = "pending"
    attempt: int = 0
    max_attempts: int = 1
    started_at: float | None = None
    duration: float | None = None
    error: str | None = None
    reason: str | None = None
    children: list[str] = field(default_factory=list)
    waiting: tuple[str, float] | None = None  # a long wait's last state and its deadline (StepWaiting)


class LogLine(NamedTuple):
    """One log line (a tuple: a burst of 100k of them must be cheap to make)."""

    ts: float
    level: str
    step: str | None
    text: str
    seq: int = 0  # per execution, increasing: a widget never shows a line twice

    def format(self, stamp: Callable[[float], str]) -> str:
        """One plain text line: the log pane is a line widget, styling comes from its highlighter."""
        step = f" [{self.step}]" if self.step else ""
        return f"{stamp(self.ts)} {self.level.upper():<7}{step} {self.text}"


@dataclass
class PauseInfo:
    step: str | None
    reason: str
    context: dict[str, Any]


@dataclass
class ExecutionView:
    """Everything the main screen shows about one execution."""

    id: str
    seq: int
    playbook: str
    playbook_ref: str = ""
    status: str = "pending"
    trigger: str = ""  # who started it: "tui", "cli-detach", "schedule: NAME"...
    started_at: float | None = None
    duration: float | None = None
    error: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepView] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    debug: bool = False
    breakpoints: tuple[str, ...] = ()
    pause_requested: bool = False
    pause: PauseInfo | None = None
    paused_at: float | None = None  # engine time the current pause began: long-wait countdowns stand still
    artifacts: list[str] = field(default_factory=list)
    logs: deque[LogLine] = field(default_factory=lambda: deque(maxlen=20000))
    pending_logs: list[LogLine] = field(default_factory=list)
    log_seq: int = 0
    version: int = 0  # bumps on every change the widgets must show

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES

    def wait_left(self, step: StepView, now: float) -> float | None:
        """Seconds left of `step`'s long wait: paused time is not spent (the engine does not
        count it against the timeout either), so the countdown stands still during a pause."""
        if step.waiting is None:
            return None
        at = self.paused_at if self.paused_at is not None else now
        return max(0.0, step.waiting[1] - at)

    @property
    def progress(self) -> tuple[int, int]:
        """(finished, total) over top-level steps."""
        done = sum(1 for p in self.roots if self.steps[p].status not in ("pending", "running"))
        return done, len(self.roots)

    # -- applying engine events -------------------------------------------------------
    def apply(self, event: Any) -> None:
        """Update from one engine event (payloads are already scrubbed by the engine)."""
        if event.kind == "log":  # by far the most frequent: no lookup
            self._on_log(event)
            return
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event)
            self.version += 1

    def _add_steps(self, infos: Any, parent: str | None) -> None:
        for info in infos:
            if info.path in self.steps:
                continue
            # A compensation step sits at its frame's level, in execution order (its info.parent
            # names the step it undoes, which it is not a child of).
            owner_path = parent if info.role == "rollback" else info.parent or parent
            view = StepView(info.path, info.id, redact.scrub(info.name), info.type, parent=owner_path,
                            role=info.role, breakpoint=info.breakpoint or info.path in self.breakpoints)
            self.steps[info.path] = view
            owner = self.steps.get(view.parent) if view.parent else None
            if owner is not None:
                owner.children.append(info.path)
            else:
                self.roots.append(info.path)

    def _on_execution_started(self, e: Any) -> None:
        self.status = "running"
        self.started_at = e.ts
        self.trigger = e.trigger
        self.parameters = dict(e.parameters)
        self.debug = e.debug
        self._add_steps(e.steps, None)

    def _on_steps_added(self, e: Any) -> None:
        self._add_steps(e.steps, e.parent)

    def _on_step_started(self, e: Any) -> None:
        step = self.steps.get(e.step_id)
        if step:
            step.status, step.attempt, step.max_attempts = "running", e.attempt, e.max_attempts
            if e.attempt == 1 or step.started_at is None:
                step.started_at = e.ts
            step.duration, step.error, step.waiting = None, None, None

    def _on_step_waiting(self, e: Any) -> None:
        step = self.steps.get(e.step_id)
        if step and step.status == "running":
            step.waiting = (redact.scrub(e.last or e.what), e.ts + max(0.0, e.timeout - e.waited))

    def _on_attempt_finished(self, e: Any) -> None:
        step = self.steps.get(e.step_id)
        if step and not e.ok:
            step.error = e.error

    def _on_step_finished(self, e: Any) -> None:
        step = self.steps.get(e.step_id)
        if step:
            step.status, step.duration, step.error, step.reason = e.status.value, e.duration, e.error, e.reason
            step.waiting = None
            if e.attempts:
                step.attempt = e.attempts
            self.artifacts.extend(a for a in e.artifacts if a not in self.artifacts)

    def _on_step_reset(self, e: Any) -> None:
        self._reset(e.step_id)

    def _reset(self, path: str) -> None:
        step = self.steps.get(path)
        if step:
            step.status, step.attempt, step.started_at, step.duration, step.error = "pending", 0, None, None, None
            step.waiting = None
            for child in step.children:
                self._reset(child)

    def _on_log(self, e: Any) -> None:
        self.add_log(e.ts, e.level, e.step_id, redact.scrub(e.message))

    def add_log(self, ts: float, level: str, step: str | None, text: str) -> None:
        """One LogLine per line of `text`: the log pane draws one row per LogLine."""
        parts = (text.splitlines() or [""]) if "\n" in text or "\r" in text else (text,)
        for part in parts:
            self.log_seq += 1
            line = LogLine(ts, level, step, part, self.log_seq)
            self.logs.append(line)
            self.pending_logs.append(line)

    def _on_artifact(self, e: Any) -> None:
        if e.path not in self.artifacts:
            self.artifacts.append(e.path)

    def _on_paused(self, e: Any) -> None:
        self.status = "paused"
        self.pause = PauseInfo(e.step_id, e.reason, dict(e.context))
        if self.paused_at is None:
            self.paused_at = e.ts

    def _on_resumed(self, e: Any) -> None:
        if self.status == "paused":
            self.status = "running"
        self.pause = None
        if self.paused_at is not None:  # the waits' deadlines move on by the time spent paused
            shift = max(0.0, e.ts - self.paused_at)
            for step in self.steps.values():
                if step.waiting is not None:
                    step.waiting = (step.waiting[0], step.waiting[1] + shift)
            self.paused_at = None

    def _on_controls(self, e: Any) -> None:
        self.debug, self.pause_requested = e.debug, e.pause_requested
        self.breakpoints = tuple(e.breakpoints)
        for path, step in self.steps.items():
            step.breakpoint = path in self.breakpoints

    def _on_execution_finished(self, e: Any) -> None:
        self.status, self.duration, self.error = e.status.value, e.duration, e.error
        self.pause, self.paused_at = None, None
        for step in self.steps.values():
            if step.status == "running":
                step.status = "cancelled" if self.status == "cancelled" else step.status

    def take_pending_logs(self) -> list[LogLine]:
        lines, self.pending_logs = self.pending_logs, []
        return lines
