"""Fitting a status line into the cells there are, status first.

A line is a list of parts. A "status" part (elapsed time, n/N, a status word, the debug
marker, a retry count, a countdown) is never cut. When the line is too wide, badges take
their short form first (`✓ verified` becomes `✓`: the glyph says it, the name matters more),
then names give way (shortened with `…`, down to what each keeps), then the gaps narrow, then
the names shrink to a bare `…`; as the very last resort the row ends in `…`: never a silent
cut. Where a second line is possible (the executions list), a line that still does not
fit once the names are down to what they keep wraps at its gaps instead, names whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.text import Text

MORE = "…"


@dataclass(frozen=True)
class Part:
    text: str
    style: str = ""
    kind: str = "status"  # "status": never cut · "badge": short form first · "name": gives way · "gap": narrows
    keep: int = 1  # a name: cells it keeps (its `…` included) before the gaps narrow
    narrow: str = " "  # a gap or a badge: what it becomes when space is short


def name(text: str, style: str = "", keep: int = 8) -> Part:
    return Part(text, style, "name", keep)


def gap(text: str = "  ", narrow: str = " ") -> Part:
    return Part(text, "", "gap", narrow=narrow)


def badge(text: str, style: str = "", narrow: str = "") -> Part:
    """Status with a short form that says the same (`✓ verified` / `✓`), taken before a name gives way."""
    return Part(text, style, "badge", narrow=narrow or text[:1])


def shorten(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, ending in `…` when cut."""
    if cell_len(text) <= cells:
        return text
    if cells <= 0:
        return ""
    return set_cell_size(text, cells - 1).rstrip() + MORE


def _shrink(parts: Sequence[Part], texts: list[str], over: int, floor: int | None) -> int:
    for i, part in enumerate(parts):
        if over <= 0:
            break
        if part.kind != "name" or not texts[i]:
            continue
        now = cell_len(texts[i])
        least = part.keep if floor is None else floor
        cut = min(over, now - least)
        if cut > 0:
            texts[i] = shorten(texts[i], now - cut)
            over -= now - cell_len(texts[i])
    return over


def fit(parts: Sequence[Part], width: int, *, wrap: bool = False, indent: int = 2) -> Text:
    """The parts as one Text no wider than `width` (more lines when `wrap`)."""
    width = max(width, 1)
    texts = [p.text for p in parts]
    over = sum(cell_len(t) for t in texts) - width
    for i, part in enumerate(parts):
        if over <= 0:
            break
        if part.kind == "badge":
            over -= cell_len(texts[i]) - cell_len(part.narrow)
            texts[i] = part.narrow
    if over > 0:
        over = _shrink(parts, texts, over, None)
    for i, part in enumerate(parts):
        if over <= 0:
            break
        if part.kind == "gap":
            over -= cell_len(texts[i]) - cell_len(part.narrow)
            texts[i] = part.narrow
    if over > 0 and wrap:  # a second line, where the names need not give way further
        return _wrapped(parts, width, indent)
    if over > 0:
        over = _shrink(parts, texts, over, 1)
    line = Text(no_wrap=True, overflow="ellipsis")
    for part, text in zip(parts, texts):
        line.append(text, style=part.style)
    if over > 0:
        line.truncate(width, overflow="ellipsis")  # the last resort: marked, not silent
    return line


def _wrapped(parts: Sequence[Part], width: int, indent: int) -> Text:
    """Lines broken at the gaps only (`at STEP (reason)` stays together); a piece wider than a
    line is fitted on its own (its names give way); continuation lines are indented."""
    pieces: list[tuple[str, list[Part]]] = []  # (the gap before it, its parts)
    pending = ""
    for part in parts:
        if part.kind == "gap":
            pending = part.text
        elif pieces and not pending:
            pieces[-1][1].append(part)
        else:
            pieces.append((pending if pieces else "", [part]))
            pending = ""
    out = Text(no_wrap=True, overflow="ellipsis")
    used = 0
    for before, group in pieces:
        piece = fit(group, width - indent)
        if used and used + cell_len(before) + piece.cell_len > width:
            out.append("\n" + " " * indent)
            used = indent
        elif used:
            out.append(before)
            used += cell_len(before)
        out.append_text(piece)
        used += piece.cell_len
    return out


def plain(parts: Sequence[Part]) -> str:
    return "".join(p.text for p in parts)
