"""Engine events to JSON and back: the one place both directions live.

Why: the agent streams typed engine events to its clients; a client rebuilds
the very same dataclasses (`decode(encode(e))` has e's fields and types), so
everything fed by events (the CLI progress sink, view models) works the same
whether the engine runs in this process or in the agent.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from igtk_tui.engine.events import (
    ArtifactAdded,
    AttemptFinished,
    ControlsChanged,
    Event,
    ExecutionFinished,
    ExecutionNote,
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStarted,
    ExecutionStatus,
    LogRecord,
    StepFinished,
    StepInfo,
    StepReset,
    StepsAdded,
    StepStarted,
    StepStatus,
    StepWaiting,
)

EVENT_TYPES: dict[str, type[Event]] = {cls.kind: cls for cls in (
    ExecutionStarted, StepsAdded, StepStarted, AttemptFinished, StepFinished, StepReset, LogRecord,
    StepWaiting, ArtifactAdded, ExecutionNote, ExecutionPaused, ExecutionResumed, ControlsChanged, ExecutionFinished)}


def encode(event: Event) -> dict[str, Any]:
    """A JSON-ready mapping (`event` names the kind); internal fields are left out."""
    return event.to_dict()


def dumps(data: Any) -> str:
    return json.dumps(data, default=str, separators=(",", ":"))


def _step_info(d: dict[str, Any]) -> StepInfo:
    return StepInfo(path=d["id"], id=d["step_id"], name=d["name"], type=d["type"], parent=d.get("parent"),
                    role=d.get("role", "step"), breakpoint=bool(d.get("breakpoint", False)))


def decode(data: dict[str, Any]) -> Event:
    """The typed event `encode` produced; ValueError for an unknown kind."""
    cls = EVENT_TYPES.get(str(data.get("event")))
    if cls is None:
        raise ValueError(f"unknown event kind {data.get('event')!r}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "steps":
            value = tuple(_step_info(s) for s in value)
        elif f.name == "status":
            value = ExecutionStatus(value) if cls is ExecutionFinished else StepStatus(value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)
