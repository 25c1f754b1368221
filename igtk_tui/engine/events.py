"""Typed engine events and the bus that delivers them to subscribers.

Payloads are already scrubbed of secrets when they are emitted, so every
subscriber (store, TUI, JSON lines, JUnit) receives safe data.

Events are treated as immutable once emitted but are plain (not frozen, no
generated __eq__) dataclasses: a frozen one costs ~3x more to define, which
`igtk run` pays at every start, and more to build, which every step pays.
A subscriber that needs a changed event builds a new one with `replace()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, ClassVar

log = logging.getLogger(__name__)


class ExecutionStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)


# The one definition of "live" and "resumable" for the store, the CLI and the TUI. Tuples of
# members: `"running" in LIVE_STATUSES` holds for the plain strings rows and views carry.
# Live: an owner process still drives it (PENDING exists only in memory, before it starts).
LIVE_STATUSES = (ExecutionStatus.PENDING, ExecutionStatus.RUNNING, ExecutionStatus.PAUSED)
RESUMABLE_STATUSES = (ExecutionStatus.INTERRUPTED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED)


class StepStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class StepInfo:
    """A step as listed up front: path is `id` or `parent/child` for nested steps."""

    path: str
    id: str
    name: str
    type: str
    parent: str | None = None
    role: str = "step"  # or "rollback"
    breakpoint: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.path, "step_id": self.id, "name": self.name, "type": self.type,
                "parent": self.parent, "role": self.role, "breakpoint": self.breakpoint}


@dataclass(eq=False)
class Event:
    """Base of every event: which execution, and when (epoch seconds)."""

    execution_id: str
    ts: float = field(default_factory=time.time, kw_only=True)
    kind: ClassVar[str] = "event"
    # Fields left out of JSON lines (large or internal).
    internal: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        names = _PUBLIC_FIELDS.get(type(self))
        if names is None:  # dataclasses.fields() per call cost a third of a JSON line
            names = _PUBLIC_FIELDS[type(self)] = tuple(f.name for f in fields(self) if f.name not in self.internal)
        out: dict[str, Any] = {"event": self.kind}
        for name in names:
            value = getattr(self, name)
            if isinstance(value, tuple) and value and isinstance(value[0], StepInfo):
                value = [s.to_dict() for s in value]
            elif isinstance(value, Enum):
                value = value.value
            out[name] = value
        return out


_PUBLIC_FIELDS: dict[type, tuple[str, ...]] = {}  # event class -> the fields JSON lines carry


@dataclass(eq=False)
class ExecutionStarted(Event):
    """The run began; every top-level step is listed, all pending."""

    playbook: str
    playbook_path: str | None
    playbook_hash: str
    parameters: dict[str, Any]
    steps: tuple[StepInfo, ...]
    debug: bool = False
    trigger: str = "cli"
    gateway_url: str | None = None
    credentials: tuple[str, ...] = ()
    resumed_from: str | None = None
    playbook_source: str = ""
    kind: ClassVar[str] = "execution_started"
    internal: ClassVar[tuple[str, ...]] = ("playbook_source",)


@dataclass(eq=False)
class StepsAdded(Event):
    """Steps that appear during a run: a nested playbook's steps or rollback steps."""

    parent: str | None
    steps: tuple[StepInfo, ...]
    kind: ClassVar[str] = "steps_added"


@dataclass(eq=False)
class StepStarted(Event):
    """An attempt of a step began (attempt counts from 1)."""

    step_id: str
    attempt: int
    max_attempts: int
    kind: ClassVar[str] = "step_started"


@dataclass(eq=False)
class AttemptFinished(Event):
    """One attempt ended; retries follow while attempts remain."""

    step_id: str
    attempt: int
    ok: bool
    error: str | None
    duration: float
    kind: ClassVar[str] = "attempt_finished"


@dataclass(eq=False)
class StepFinished(Event):
    """A step's final result, after all its attempts."""

    step_id: str
    status: StepStatus
    output: dict[str, Any]
    error: str | None
    attempts: int
    duration: float
    artifacts: tuple[str, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why skipped: "operator", "condition", ...
    kind: ClassVar[str] = "step_finished"


@dataclass(eq=False)
class StepReset(Event):
    """Step back: this step is pending again and will re-run."""

    step_id: str
    kind: ClassVar[str] = "step_reset"


@dataclass(eq=False)
class LogRecord(Event):
    """A line for the execution's log stream (scrubbed)."""

    step_id: str | None
    level: str
    message: str
    kind: ClassVar[str] = "log"

    def to_dict(self) -> dict[str, Any]:
        """The generic form, spelled out: a burst of log lines is most of what --json prints."""
        return {"event": "log", "execution_id": self.execution_id, "ts": self.ts, "step_id": self.step_id,
                "level": self.level, "message": self.message}


@dataclass(eq=False)
class StepWaiting(Event):
    """A long wait's progress (ctx.poll): what is awaited, time spent against the timeout and
    the last state seen, so a live view can show a countdown in the running step's line."""

    step_id: str
    what: str
    waited: float
    timeout: float
    last: str = ""
    kind: ClassVar[str] = "step_waiting"


@dataclass(eq=False)
class ArtifactAdded(Event):
    """A file the execution produced (screenshot, download, backup...)."""

    step_id: str | None
    path: str
    artifact_kind: str = "file"
    kind: ClassVar[str] = "artifact"


@dataclass(eq=False)
class ExecutionNote(Event):
    """A fact about the execution learned while it runs (e.g. `browser_version`)."""

    key: str
    value: Any
    kind: ClassVar[str] = "note"


@dataclass(eq=False)
class ExecutionPaused(Event):
    """The run is paused at a safe point; context says why and where."""

    step_id: str | None
    reason: str  # "operator", "breakpoint", "debug", "failure"
    context: dict[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "paused"


@dataclass(eq=False)
class ExecutionResumed(Event):
    """The run left its pause."""

    kind: ClassVar[str] = "resumed"


@dataclass(eq=False)
class ControlsChanged(Event):
    """Debug mode, breakpoints or a pending pause changed."""

    debug: bool
    breakpoints: tuple[str, ...]
    pause_requested: bool
    kind: ClassVar[str] = "controls"


@dataclass(eq=False)
class ExecutionFinished(Event):
    """The run ended; status is final."""

    status: ExecutionStatus
    error: str | None
    failed_steps: int
    duration: float
    kind: ClassVar[str] = "execution_finished"


Subscriber = Callable[[Event], None]


class EventBus:
    """Delivers events synchronously, in order, to every subscriber.

    Subscribers must not block: the store queues writes, the TUI coalesces.
    A failing subscriber is logged and never stops the engine.
    """

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber, *, first: bool = False) -> Callable[[], None]:
        """`first`: before every other subscriber (an Execution's own state, which the others read)."""
        if first:
            self._subscribers.insert(0, subscriber)
        else:
            self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in self._subscribers else None

    def emit(self, event: Event) -> None:
        for subscriber in tuple(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # noqa: BLE001 - one bad sink must not stop a gateway upgrade
                log.exception("event subscriber %r failed on %s", subscriber, event.kind)
