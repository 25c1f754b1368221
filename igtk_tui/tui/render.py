"""Text for statuses, steps and executions: a glyph AND a word, never colour alone.

Colour is added on top from the theme (`styles`), so NO_COLOR and monochrome
terminals lose nothing but the tint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from rich.text import Text

from igtk_tui.glyphs import GLYPHS
from igtk_tui.tui.viewmodel import ExecutionView, StepView

BREAKPOINT = "●"
WORD_WIDTH = 9


def status_text(status: str, styles: Mapping[str, str] | None = None, *, width: int = WORD_WIDTH) -> Text:
    glyph = GLYPHS.get(status, "?")
    return Text(f"{glyph} {status:<{width}}", style=(styles or {}).get(status, ""))


def elapsed(seconds: float | None, *, live: bool = False) -> str:
    """Short duration; `live` (still counting) shows whole seconds: a counter that changes
    once a second costs a terminal line a second, not four."""
    if seconds is None:
        return ""
    if live and seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def step_elapsed(step: StepView, now: float) -> float | None:
    if step.duration is not None:
        return step.duration
    if step.status == "running" and step.started_at is not None:
        return max(0.0, now - step.started_at)
    return None


def step_label(step: StepView, view: ExecutionView, now: float, styles: Mapping[str, str] | None = None) -> Text:
    text = status_text(step.status, styles)
    text.append(f" {BREAKPOINT}" if step.breakpoint else "  ", style=(styles or {}).get("breakpoint", ""))
    text.append(f" {step.name}")
    if step.role == "rollback":
        text.append(" (rollback)", style="italic")
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
    if left is not None and step.waiting is not None:
        extra.append(f"{left:.0f} s left: {step.waiting[0]}")
    if extra:
        text.append("  " + "  ".join(extra), style="dim")
    return text


def execution_label(view: ExecutionView, now: float, styles: Mapping[str, str] | None = None) -> Text:
    text = Text(f"#{view.seq} ", no_wrap=True, overflow="ellipsis")
    text.append_text(status_text(view.status, styles, width=11 if view.status == "interrupted" else WORD_WIDTH))
    text.append(f" {view.playbook}")
    done, total = view.progress
    spent = view.duration if view.duration is not None else (now - view.started_at if view.started_at else None)
    bits = [f"{done}/{total}"]
    if spent is not None:
        bits.append(elapsed(spent, live=view.duration is None))
    if view.debug:
        bits.append("debug")
    if view.pause:
        bits.append(f"at {view.pause.step or '-'} ({view.pause.reason})")
    text.append("  " + "  ".join(bits), style="dim")
    return text


def _second_cache(convert: Callable[[float], time.struct_time]) -> Callable[[float], str]:
    """HH:MM:SS of a timestamp, formatted once per second (a log burst shares a handful of seconds)."""
    last: list[object] = [None, ""]

    def stamp(ts: float) -> str:
        second = int(ts)
        if last[0] != second:
            last[0], last[1] = second, time.strftime("%H:%M:%S", convert(second))
        return str(last[1])

    return stamp


local_stamp = _second_cache(time.localtime)


class Clock:
    """The UI's notion of now and of a timestamp's text; tests inject a fixed one."""

    def __init__(self, now: Callable[[], float] = time.time, stamp: Callable[[float], str] = local_stamp) -> None:
        self.now = now
        self.stamp = stamp


class FixedClock(Clock):
    """A clock that never moves, with UTC stamps: deterministic snapshots."""

    def __init__(self, at: float) -> None:
        super().__init__(now=lambda: at, stamp=_second_cache(time.gmtime))
