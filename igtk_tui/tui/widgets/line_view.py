"""Lines of text, one row each, drawn only when on screen: the base of the log pane and
the execution detail's log.

Built on Textual's public line API (`ScrollView.render_line`), not on `Log`'s private
state. A line wider than the pane is never cut silently: the last cell shows `…` where it
goes on to the right, the first cell where it started to the left (after `left`/`right`
scrolling), so an operator knows there is more to read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

MORE = "…"
_CONTROL = re.compile("[\u0000-\u0008\u000a-\u001f\u007f]")


def clean_line(line: str) -> str:
    """What a row shows of `line`: tabs expanded, control characters made visible (a stray
    escape sequence in a gateway's answer must not drive the terminal)."""
    return _CONTROL.sub("�", line.expandtabs())


def mark_overflow(strip: Strip, full_width: int, scroll_x: int, width: int, style: Style) -> Strip:
    """`strip` (already cropped to the pane) with `…` at an edge where the line goes on."""
    if width < 2:
        return strip
    more = Segment(MORE, style + Style(bold=True))
    if full_width > scroll_x + width:
        strip = Strip.join([strip.crop(0, width - 1), Strip([more], 1)])
    if scroll_x > 0 and full_width > scroll_x:
        strip = Strip.join([Strip([more], 1), strip.crop(1, width)])
    return strip


class LineView(ScrollView, can_focus=True):
    """A scrolling list of text rows; subclasses fill `rows` (any sequence of str) and
    `content_width`, then call `rows_changed`."""

    ALLOW_SELECT = True
    DEFAULT_CSS = """
    LineView {
        background: $surface;
        color: $text;
        overflow: scroll;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    def __init__(self, *, highlighter: Highlighter | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[str] = []
        self.content_width = 0
        self.highlighter = highlighter
        self.row_cache: LRUCache[int, tuple[Strip, int]] = LRUCache(1024)

    @property
    def lines(self) -> Sequence[str]:
        """The rows as text (read only)."""
        return self.rows

    def rows_changed(self, *, moved: bool = False) -> None:
        """After rows were added (or, `moved`, removed at the top: every y shifted)."""
        if moved:
            self.row_cache.clear()
        self.virtual_size = Size(self.content_width, len(self.rows))
        self.refresh()

    def restyle(self) -> None:
        """Drop every drawn row (a new highlight, tint or search term)."""
        self.row_cache.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.row_cache.clear()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self.rows)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.restyle()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width  # the scrollbar would hide a marker in the last cell
        style = self.rich_style
        row = scroll_y + y
        if row >= len(self.rows):
            return Strip.blank(width, style)
        strip, full = self._row_strip(row, style)
        shown = strip.crop_extend(scroll_x, scroll_x + width, style)
        return mark_overflow(shown, full, scroll_x, width, style).apply_offsets(scroll_x, row)

    def _row_strip(self, row: int, style: Style) -> tuple[Strip, int]:
        selection = self.text_selection
        cached = self.row_cache.get(row) if selection is None else None
        if cached is not None:
            return cached
        line = clean_line(self.rows[row])
        text = Text(line, no_wrap=True)
        text.stylize(style)
        if self.highlighter is not None:
            text = self.highlighter(text)
        if selection is not None:
            span = selection.get_span(row)
            if span is not None:
                start, end = span
                text.stylize(self.screen.get_component_rich_style("screen--selection"), start,
                             len(text) if end == -1 else end)
        full = cell_len(line)
        drawn = (Strip(text.render(self.app.console), full), full)
        if selection is None:
            self.row_cache[row] = drawn
        return drawn


class TextLines(LineView):
    """A LineView of plain strings (the execution detail's log)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = []

    def set_lines(self, lines: Sequence[str]) -> None:
        self.rows = [part for line in lines for part in (line.splitlines() or [""])]
        self.content_width = max((cell_len(clean_line(r)) for r in self.rows), default=0)
        self.scroll_to(0, 0, animate=False)
        self.rows_changed(moved=True)
