"""Live step progress for a plain terminal, then a summary table.

Line-oriented (no cursor tricks) so it reads well in cron mail, CI logs and
over a slow SSH link; glyph and word for every state, never colour alone.
"""

from __future__ import annotations

import sys
from typing import IO

from igtk_tui import redact
from igtk_tui.engine.events import (
    Event,
    ExecutionFinished,
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStarted,
    LogRecord,
    StepFinished,
    StepsAdded,
    StepStarted,
)
from igtk_tui.glyphs import GLYPHS
from igtk_tui.sinks.stream import LineStream
from igtk_tui.timefmt import duration

# Log lines shown under their step (debug ones stay in the history), so cron mail carries
# the result (`healthy=yes`, a report's summary); `-q` keeps only warnings and errors.
SHOWN_LEVELS = frozenset({"info", "warning", "error"})
QUIET_LEVELS = frozenset({"warning", "error"})

# The headless run's stdin commands (commands/run_controls.py), shown at each pause.
PAUSE_HELP = "enter: resume · p: pause · s: skip step · b: step back · d: debug on/off · x: cancel"


def glyph(status: str) -> str:
    return GLYPHS.get(status, "?")


class HumanProgress:
    """O(1) per event: top-level positions are numbered as steps are listed, never searched."""

    def __init__(self, stream: IO[str] | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.levels = QUIET_LEVELS if quiet else SHOWN_LEVELS
        self.order: list[str] = []
        self.names: dict[str, str] = {}
        self.top: dict[str, int] = {}  # top-level path -> its 1-based position
        self.rows: dict[str, tuple[str, int, float, str | None]] = {}
        self.total = 0
        self.out = LineStream(self.stream)

    def _print(self, text: str) -> None:
        self.out.write(redact.scrub(text))

    def __call__(self, event: Event) -> None:
        if isinstance(event, ExecutionStarted):
            self.total = len(event.steps)
            for s in event.steps:
                self._list(s.path, s.name)
            self._print(f"igtk: running {event.playbook!r} ({self.total} steps) — execution {event.execution_id}")
        elif isinstance(event, StepsAdded):
            for s in event.steps:
                if s.path not in self.names:
                    self._list(s.path, s.name)
        elif isinstance(event, StepStarted):
            retry = f" attempt {event.attempt}/{event.max_attempts}" if event.attempt > 1 else ""
            self._print(f"  {glyph('running')} {self._label(event.step_id)}{retry}")
        elif isinstance(event, StepFinished):
            self.rows[event.step_id] = (event.status.value, event.attempts, event.duration, event.error)
            extra = f" — {event.error}" if event.error else (f" ({event.reason})" if event.reason else "")
            self._print(f"  {glyph(event.status.value)} {self._label(event.step_id)} {event.status.value} "
                        f"{duration(event.duration)}{extra}")
        elif isinstance(event, LogRecord) and event.level in self.levels:
            self._print(f"    {event.level}: {event.message}")
        elif isinstance(event, ExecutionPaused):
            self._print(f"  {glyph('paused')} paused ({event.reason}) at {event.step_id} — {PAUSE_HELP}")
        elif isinstance(event, ExecutionResumed):
            self._print("  ▶ resumed")
        elif isinstance(event, ExecutionFinished):
            self._summary(event)
            self.out.flush()  # the process may leave before the loop turns again

    def _list(self, path: str, name: str) -> None:
        self.order.append(path)
        self.names[path] = name
        if "/" not in path:
            self.top[path] = len(self.top) + 1

    def _label(self, path: str) -> str:
        depth = path.count("/")
        indent = "  " * depth
        n = self.top.get(path) if depth == 0 else None
        pos = f"[{n}/{len(self.top)}] " if n is not None else ""
        name = self.names.get(path, path)
        return f"{indent}{pos}{path.rsplit('/', 1)[-1]}: {name}"

    def _summary(self, event: ExecutionFinished) -> None:
        width = max([len(p) for p in self.order] + [4])
        self._print("")
        self._print(f"  {'step'.ljust(width)}  {'status':<10} {'tries':>5} {'time':>8}")
        for path in self.order:
            status, attempts, spent, _ = self.rows.get(path, ("pending", 0, 0.0, None))
            self._print(f"  {path.ljust(width)}  {glyph(status)} {status:<8} {attempts:>5} {duration(spent):>8}")
        failed = f", {event.failed_steps} failed step(s)" if event.failed_steps else ""
        error = f": {event.error}" if event.error else ""
        self._print(f"igtk: {glyph(event.status.value)} {event.status.value} in {duration(event.duration)}{failed}{error}")
