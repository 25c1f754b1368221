"""Text for the commands' tables: one way to fit a value into its column, one table of runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, ending in `…` when cut (never a silent cut)."""
    return text if len(text) <= width else text[:width - 1] + "…"


def print_runs(rows: list[Any], more: bool, *, what: str, last: str, last_cell: Callable[[Any], str],
               older: str) -> None:
    """`igtk history` (executions or fleet runs), newest first, in 80 columns: local start to the
    minute, playbook names cut at 20, then the `last` column; `older` is the command for the next page."""
    from igtk_tui.sinks.human import glyph
    from igtk_tui.timefmt import duration, local_time

    if not rows:
        print(f"no {what} recorded" + (" match" if more else ""))
        return
    width = min(20, max(8, *(len(r.playbook) for r in rows)))
    print(f"{'ID':<8}  {'STARTED':<16}  {'PLAYBOOK':<{width}}  {'STATUS':<13}  {'TIME':>7}  {last}")
    for r in rows:
        status = f"{glyph(r.status)} {r.status}"
        print(f"{r.id[:8]}  {local_time(r.started_at)[:16]:<16}  {cut(r.playbook, width):<{width}}  {status:<13}  "
              f"{duration(r.duration):>7}  {last_cell(r)}")
    if more:
        print(f"… older: {older} --before {rows[-1].id[:8]}")
