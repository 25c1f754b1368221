"""Text for statuses, steps and executions: a glyph AND a word, never colour alone.

Colour is added on top from the theme (`styles`), so NO_COLOR and monochrome
terminals lose nothing but the tint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from rich.cells import cell_len
from rich.text import Text

from igtk_tui.glyphs import GLYPHS
from igtk_tui.schedules.model import TRIGGER_PREFIX
from igtk_tui.timefmt import clock, duration
from igtk_tui.tui.fit import Part, fit, gap, name
from igtk_tui.tui.viewmodel import ExecutionView, StepView

BREAKPOINT = "●"
WORD_WIDTH = 9


def status_text(status: str, styles: Mapping[str, str] | None = None, *, width: int = WORD_WIDTH) -> Text:
    glyph = GLYPHS.get(status, "?")
    return Text(f"{glyph} {status:<{width}}", style=(styles or {}).get(status, ""))


def status_parts(status: str, styles: Mapping[str, str] | None = None, *, width: int = WORD_WIDTH) -> list[Part]:
    """Glyph and word (never cut), then the padding that aligns the next column (narrows)."""
    word = f"{GLYPHS.get(status, '?')} {status}"
    pad = max(0, width + 2 - cell_len(word))
    return [Part(word, (styles or {}).get(status, "")), gap(" " * pad, narrow="")]


def elapsed(seconds: float | None, *, live: bool = False) -> str:
    """Short duration; `live` (still counting) shows whole seconds: a counter that changes
    once a second costs a terminal line a second, not four."""
    return duration(seconds, compact=True, live=live, missing="")


def step_elapsed(step: StepView, now: float) -> float | None:
    if step.duration is not None:
        return step.duration
    if step.status == "running" and step.started_at is not None:
        return max(0.0, now - step.started_at)
    return None


def step_parts(step: StepView, view: ExecutionView, now: float, styles: Mapping[str, str] | None = None) -> list[Part]:
    """A step's line: status, breakpoint mark, name (gives way first), then its status bits."""
    tints = styles or {}
    parts = status_parts(step.status, styles)
    parts.append(Part(f" {BREAKPOINT}" if step.breakpoint else "  ", tints.get("breakpoint", "")))
    parts += [gap(" "), name(step.name)]
    if step.role == "rollback":
        parts.append(Part(" (rollback)", "italic"))
    extra = []
    if step.children:
        done = sum(1 for c in step.children if view.steps[c].status not in ("pending", "running"))
        extra.append(f"{done}/{len(step.children)} sub")
    if step.max_attempts > 1 and step.attempt:
        extra.append(f"try {step.attempt}/{step.max_attempts}")
    spent = elapsed(step_elapsed(step, now), live=step.duration is None)
    if spent:
        extra.append(spent)
    left = view.wait_left(step, now) if step.status == "running" else None
    if left is not None:
        extra.append(f"{left:.0f} s left:")
    for bit in extra:
        parts += [gap(), Part(bit, "dim")]
    if left is not None and step.waiting is not None:
        parts += [gap(" "), name(step.waiting[0], "dim", keep=6)]  # the last state seen gives way like a name
    return parts


def step_label(step: StepView, view: ExecutionView, now: float, styles: Mapping[str, str] | None = None,
               width: int = 10_000) -> Text:
    return fit(step_parts(step, view, now, styles), width)


def execution_parts(view: ExecutionView, now: float, styles: Mapping[str, str] | None = None) -> list[Part]:
    """`#n status playbook  n/N  elapsed  debug  at STEP (reason)`: the playbook and the step give way."""
    parts = [Part(f"#{view.seq}"), gap(" ", narrow=" ")]
    parts += status_parts(view.status, styles, width=11 if view.status == "interrupted" else WORD_WIDTH)
    parts += [gap(" "), name(view.playbook)]
    done, total = view.progress
    spent = view.duration if view.duration is not None else (now - view.started_at if view.started_at else None)
    bits = [f"{done}/{total}"]
    if spent is not None:
        bits.append(elapsed(spent, live=view.duration is None))
    if view.debug:
        bits.append("debug")
    for bit in bits:
        parts += [gap(), Part(bit, "dim")]
    if view.pause:
        parts += [gap(), Part("at ", "dim"), name(view.pause.step or "-", "dim", keep=6),
                  Part(f" ({view.pause.reason})", "dim")]
    if view.trigger.startswith(TRIGGER_PREFIX):  # who started it matters when nobody at this terminal did
        parts += [gap(), name(view.trigger, "dim", keep=12)]
    return parts


def execution_label(view: ExecutionView, now: float, styles: Mapping[str, str] | None = None,
                    width: int = 10_000) -> Text:
    return fit(execution_parts(view, now, styles), width, wrap=True)


def _second_cache(utc: bool) -> Callable[[float], str]:
    """HH:MM:SS of a timestamp, formatted once per second (a log burst shares a handful of seconds)."""
    last: list[object] = [None, ""]

    def stamp(ts: float) -> str:
        second = int(ts)
        if last[0] != second:
            last[0], last[1] = second, clock(second, utc=utc)
        return str(last[1])

    return stamp


local_stamp = _second_cache(utc=False)


class Clock:
    """The UI's notion of now and of a timestamp's text; tests inject a fixed one."""

    def __init__(self, now: Callable[[], float] = time.time, stamp: Callable[[float], str] = local_stamp) -> None:
        self.now = now
        self.stamp = stamp


class FixedClock(Clock):
    """A clock that never moves, with UTC stamps: deterministic snapshots."""

    def __init__(self, at: float) -> None:
        super().__init__(now=lambda: at, stamp=_second_cache(utc=True))
