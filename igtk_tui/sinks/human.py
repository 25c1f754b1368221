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

# The headless run's stdin commands (commands/run_controls.py), shown at each pause.
PAUSE_HELP = "enter: resume · p: pause · s: skip step · b: step back · d: debug on/off · x: cancel"


def glyph(status: str) -> str:
    return GLYPHS.get(status, "?")


class HumanProgress:
    def __init__(self, stream: IO[str] | None = None, *, show_logs: bool = True) -> None:
        self.stream = stream or sys.stdout
        self.show_logs = show_logs
        self.order: list[str] = []
        self.names: dict[str, str] = {}
        self.rows: dict[str, tuple[str, int, float, str | None]] = {}
        self.total = 0

    def _print(self, text: str) -> None:
        self.stream.write(redact.scrub(text) + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, ExecutionStarted):
            self.total = len(event.steps)
            for s in event.steps:
                self.order.append(s.path)
                self.names[s.path] = s.name
            self._print(f"igtk: running {event.playbook!r} ({self.total} steps) — execution {event.execution_id}")
        elif isinstance(event, StepsAdded):
            for s in event.steps:
                if s.path not in self.names:
                    self.order.append(s.path)
                    self.names[s.path] = s.name
        elif isinstance(event, StepStarted):
            retry = f" attempt {event.attempt}/{event.max_attempts}" if event.attempt > 1 else ""
            self._print(f"  {glyph('running')} {self._label(event.step_id)}{retry}")
        elif isinstance(event, StepFinished):
            self.rows[event.step_id] = (event.status.value, event.attempts, event.duration, event.error)
            extra = f" — {event.error}" if event.error else (f" ({event.reason})" if event.reason else "")
            self._print(f"  {glyph(event.status.value)} {self._label(event.step_id)} {event.status.value} "
                        f"{event.duration:.2f}s{extra}")
        elif isinstance(event, LogRecord) and self.show_logs and event.level in ("warning", "error"):
            self._print(f"    {event.level}: {event.message}")
        elif isinstance(event, ExecutionPaused):
            self._print(f"  {glyph('paused')} paused ({event.reason}) at {event.step_id} — {PAUSE_HELP}")
        elif isinstance(event, ExecutionResumed):
            self._print("  ▶ resumed")
        elif isinstance(event, ExecutionFinished):
            self._summary(event)

    def _label(self, path: str) -> str:
        depth = path.count("/")
        indent = "  " * depth
        try:
            top = [p for p in self.order if "/" not in p]
            pos = f"[{top.index(path) + 1}/{len(top)}] " if depth == 0 else ""
        except ValueError:
            pos = ""
        name = self.names.get(path, path)
        return f"{indent}{pos}{path.rsplit('/', 1)[-1]}: {name}"

    def _summary(self, event: ExecutionFinished) -> None:
        width = max([len(p) for p in self.order] + [4])
        self._print("")
        self._print(f"  {'step'.ljust(width)}  {'status':<10} {'tries':>5} {'time':>8}")
        for path in self.order:
            status, attempts, duration, _ = self.rows.get(path, ("pending", 0, 0.0, None))
            self._print(f"  {path.ljust(width)}  {glyph(status)} {status:<8} {attempts:>5} {duration:>7.2f}s")
        failed = f", {event.failed_steps} failed step(s)" if event.failed_steps else ""
        error = f": {event.error}" if event.error else ""
        self._print(f"igtk: {glyph(event.status.value)} {event.status.value} in {event.duration:.2f}s{failed}{error}")
