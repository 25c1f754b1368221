"""Per-execution view models: plain Python, updated synchronously as events arrive, read by
widgets at the coalesced UI tick.

An ExecutionView is the engine's ExecutionState (engine/state.py: the one fold of events that
the recorder, the CLI and the agent read too) plus what only a screen needs: the log lines,
the order executions were opened in, a version the widgets compare. No textual import: applying
an event is a few attribute writes, and the models can be tested without an App.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple

from igtk_tui import redact
from igtk_tui.engine.state import ExecutionState, PauseInfo, StepState

StepView = StepState  # a step as the step tree shows it
__all__ = ["ExecutionView", "LogLine", "PauseInfo", "StepView"]


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


class ExecutionView(ExecutionState):
    """Everything the main screen shows about one execution."""

    def __init__(self, id: str, seq: int, playbook: str, playbook_ref: str = "", *, status: str = "pending",
                 trigger: str = "", started_at: float | None = None, duration: float | None = None,
                 error: str | None = None, parameters: dict[str, Any] | None = None, debug: bool = False) -> None:
        super().__init__(id, playbook, status=status, trigger=trigger, started_at=started_at, duration=duration,
                         error=error, parameters=parameters, debug=debug)
        self.seq = seq
        self.playbook_ref = playbook_ref
        self.logs: deque[LogLine] = deque(maxlen=20000)
        self.pending_logs: list[LogLine] = []
        self.log_seq = 0
        self.version = 0  # bumps on every change the widgets must show

    def apply(self, event: Any) -> bool:
        """Update from one engine event (payloads are already scrubbed by the engine)."""
        if event.kind == "log":  # by far the most frequent: no lookup
            self.add_log(event.ts, event.level, event.step_id, redact.scrub(event.message))
            return True
        changed = super().apply(event)
        if changed:
            self.version += 1
        return changed

    def add_log(self, ts: float, level: str, step: str | None, text: str) -> None:
        """One LogLine per line of `text`: the log pane draws one row per LogLine."""
        parts = (text.splitlines() or [""]) if "\n" in text or "\r" in text else (text,)
        for part in parts:
            self.log_seq += 1
            line = LogLine(ts, level, step, part, self.log_seq)
            self.logs.append(line)
            self.pending_logs.append(line)

    def take_pending_logs(self) -> list[LogLine]:
        lines, self.pending_logs = self.pending_logs, []
        return lines
