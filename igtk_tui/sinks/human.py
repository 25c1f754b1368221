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
    ExecutionStarted,
    LogRecord,
    StepFinished,
    StepInfo,
    StepsAdded,
    StepStarted,
)
from igtk_tui.engine.state import ExecutionState
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


RUNNING = glyph("running")


class HumanProgress:
    """O(1) per event: labels and the summary read the run's ExecutionState (engine/state.py).

    `state`: the engine's fold of this run (`Execution.state`); without one (a run followed
    from the agent, `igtk attach`) the sink folds the events it receives itself. Lines come
    after the events' commit, when the engine may have gone on: a label's `[n/total]` counts
    the top-level steps listed up to the line's own event, not up to now."""

    def __init__(self, stream: IO[str] | None = None, *, quiet: bool = False,
                 state: ExecutionState | None = None) -> None:
        self.stream = stream or sys.stdout
        self.levels = QUIET_LEVELS if quiet else SHOWN_LEVELS
        self.state = state
        self._folds = state is None
        self.listed: set[str] = set()  # top-level steps listed as of the event being printed
        self._labels: dict[str, tuple[int, str]] = {}  # path -> (steps listed then, its label)
        self.out = LineStream(self.stream)

    def _print(self, text: str) -> None:
        self.out.write(redact.scrub(text) if redact.REDACTOR.active else text)

    def __call__(self, event: Event) -> None:
        if self._folds:
            if self.state is None or self.state.id != event.execution_id:
                self.state = ExecutionState(event.execution_id)
            self.state.apply(event)
        kind = event.kind
        if kind == "step_started":
            assert isinstance(event, StepStarted)
            if event.attempt > 1:
                self._print(f"  {RUNNING} {self._label(event.step_id)} attempt {event.attempt}/{event.max_attempts}")
            else:
                self._print(f"  {RUNNING} {self._label(event.step_id)}")
        elif kind == "step_finished":
            assert isinstance(event, StepFinished)
            status = event.status.value
            extra = f" — {event.error}" if event.error else (f" ({event.reason})" if event.reason else "")
            self._print(f"  {glyph(status)} {self._label(event.step_id)} {status} {duration(event.duration)}{extra}")
        elif kind == "log":
            assert isinstance(event, LogRecord)
            if event.level in self.levels:
                self._print(f"    {event.level}: {event.message}")
        elif kind == "execution_started":
            assert isinstance(event, ExecutionStarted)
            self._list(event.steps)
            self._print(f"igtk: running {event.playbook!r} ({len(event.steps)} steps) — execution {event.execution_id}")
        elif kind == "steps_added":
            assert isinstance(event, StepsAdded)
            self._list(event.steps)
        elif kind == "paused":
            assert isinstance(event, ExecutionPaused)
            self._print(f"  {glyph('paused')} paused ({event.reason}) at {event.step_id} — {PAUSE_HELP}")
        elif kind == "resumed":
            self._print("  ▶ resumed")
        elif kind == "execution_finished":
            assert isinstance(event, ExecutionFinished)
            self._summary(event)
            self.out.flush()  # the process may leave before the loop turns again

    def _list(self, infos: tuple[StepInfo, ...]) -> None:
        listed = self.listed
        for info in infos:
            if "/" not in info.path:
                listed.add(info.path)

    def _label(self, path: str) -> str:
        """`[n/total] id: name`, indented by depth; kept per step until more steps are listed."""
        total = len(self.listed)
        known = self._labels.get(path)
        if known is not None and known[0] == total:
            return known[1]
        depth = path.count("/")
        step = self.state.steps.get(path) if self.state is not None else None
        pos = f"[{step.top}/{total}] " if step is not None and step.top and depth == 0 else ""
        name = step.name if step is not None else path
        label = f"{'  ' * depth}{pos}{path.rsplit('/', 1)[-1]}: {name}"
        self._labels[path] = (total, label)
        return label

    def _summary(self, event: ExecutionFinished) -> None:
        steps = list(self.state.steps.values()) if self.state is not None else []
        width = max([len(s.path) for s in steps] + [4])
        self._print("")
        self._print(f"  {'step'.ljust(width)}  {'status':<10} {'tries':>5} {'time':>8}")
        for s in steps:
            self._print(f"  {s.path.ljust(width)}  {glyph(s.status)} {s.status:<8} {s.attempt:>5} "
                        f"{duration(s.duration or 0.0):>8}")
        failed = f", {event.failed_steps} failed step(s)" if event.failed_steps else ""
        error = f": {event.error}" if event.error else ""
        self._print(f"igtk: {glyph(event.status.value)} {event.status.value} in {duration(event.duration)}{failed}{error}")
