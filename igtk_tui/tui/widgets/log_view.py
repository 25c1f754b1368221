"""The log pane: a LineView fed lazily from the execution's lines.

The widget keeps references to the execution's `LogLine` tuples and formats a
line only when it is drawn (Toolong's approach: work follows what is on screen,
not what arrived), so 100,000 lines cost an append each, not a format, a width
measure and a cache update each. Follow mode (Toolong's semantics): on by
default; any scroll up leaves it and counts new lines; `end`/`G` resumes. Level
filter, per-step filter and search (`n`/`N`) re-select from the retained lines;
`w` saves them. A line wider than the pane ends in `…` (LineView): never cut silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any, overload

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.text import Text
from textual import events
from textual.reactive import reactive

from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.fit import Part, gap, name, plain
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.render import Clock
from igtk_tui.tui.viewmodel import ExecutionView, LogLine
from igtk_tui.tui.widgets.line_view import LineView, clean_line

LEVELS = ("all", "info", "warning", "error")
SEP = gap(" · ", narrow="·")
_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


class LogHighlighter(Highlighter):
    """Level words get a tint (they are words already); search matches are reversed."""

    def __init__(self) -> None:
        self.term = ""
        self.styles: dict[str, str] = {}

    def highlight(self, text: Text) -> None:
        for level, style in (("ERROR", "error"), ("WARNING", "warning"), ("DEBUG", "debug")):
            if style in self.styles:
                text.highlight_regex(rf"(?<= ){level}(?= )", self.styles[style])
        if self.term:
            text.highlight_regex(f"(?i){re.escape(self.term)}", "reverse")


class FormattedLines(Sequence[str]):
    """The shown lines as the LineView reads them (`rows[y]`), formatted on access."""

    def __init__(self, stamp: Callable[[float], str]) -> None:
        self.rows: list[LogLine] = []
        self.stamp = stamp

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [row.format(self.stamp) for row in self.rows[index]]
        return self.rows[index].format(self.stamp)

    def __iter__(self) -> Iterator[str]:
        stamp = self.stamp
        return (row.format(stamp) for row in self.rows)

    def clear(self) -> None:
        self.rows.clear()


def line_width(row: LogLine) -> int:
    """Cells of `row.format(...)` without formatting it: exact for plain ASCII text (nearly
    every line), measured on the formatted line otherwise (tabs, wide characters)."""
    text = row.text
    if text.isascii() and "\t" not in text:
        step = len(row.step) + 3 if row.step else 0
        return 8 + 1 + max(7, len(row.level)) + step + 1 + len(text)
    return cell_len(clean_line(row.format(lambda _ts: "00:00:00")))


def batch_width(rows: list[LogLine]) -> int:
    """The widest of `rows` (as `line_width`), in one pass when all are plain ASCII."""
    texts = [row.text for row in rows]
    joined = "".join(texts)
    if not joined.isascii() or "\t" in joined:
        return max(map(line_width, rows))
    return 17 + max(len(row.text) + (len(row.step) + 3 if row.step else 0) + max(0, len(row.level) - 7)
                    for row in rows)


class LogView(RegistryChecks, LineView, inherit_bindings=False):
    """Lines of one execution; the pane header shows follow state, filters and the cap."""

    SCOPE = "log"
    BINDINGS = bindings_for("log")

    follow: reactive[bool] = reactive(True, repaint=False)

    def __init__(self, *, max_lines: int = 20000, clock: Clock | None = None, id: str | None = None) -> None:
        self.log_highlighter = LogHighlighter()
        super().__init__(highlighter=self.log_highlighter, id=id)
        self.max_lines = max_lines
        self.clock = clock or Clock()
        self.formatted = FormattedLines(self.clock.stamp)
        self.rows = self.formatted
        self.view: ExecutionView | None = None
        self.level = "all"
        self.step_filter: str | None = None
        self.search_term = ""
        self.match_index = -1
        self._match_rows: list[int] | None = None  # rows matching the search, kept up to date by _add
        self.unseen = 0
        self.last_seq = 0
        self.status_changed: Any = None  # callback(LogView) for the pane header

    # -- content ------------------------------------------------------------------------
    def _keep(self, line: LogLine) -> bool:
        if self.level != "all" and _RANK.get(line.level, 1) < _RANK[self.level]:
            return False
        if self.step_filter and not (line.step == self.step_filter
                                     or (line.step or "").startswith(self.step_filter + "/")):
            return False
        return True

    def show(self, view: ExecutionView | None) -> None:
        """Switch to another execution (or none): re-render its retained lines at once."""
        self.view = view
        self.rerender()

    def rerender(self) -> None:
        self.formatted.clear()
        self.content_width = 0
        self.rows_changed(moved=True)
        self.unseen = 0
        self.match_index = -1
        self._match_rows = None
        self.last_seq = 0
        if self.view is not None:
            lines = list(self.view.logs)
            self.last_seq = lines[-1].seq if lines else 0
            self._add(lines)
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._changed()

    def append(self, lines: Iterable[LogLine]) -> None:
        """One batch per UI tick (never one call per line): references kept, nothing formatted."""
        fresh = [ln for ln in lines if ln.seq > self.last_seq]
        if not fresh:
            return
        self.last_seq = fresh[-1].seq
        added = self._add(fresh)
        if added and self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif added:
            self.unseen += added
            self._changed()

    def _add(self, lines: list[LogLine]) -> int:
        """Keep the lines the filters pass, drop the oldest past the cap; the count kept."""
        kept = lines if self.level == "all" and not self.step_filter else [ln for ln in lines if self._keep(ln)]
        if not kept:
            return 0
        rows = self.formatted.rows
        first = len(rows)
        rows.extend(kept)
        if self._match_rows is not None:  # a search is shown: only the new rows are looked at
            needle, stamp = self.search_term.lower(), self.formatted.stamp
            self._match_rows += [first + i for i, ln in enumerate(kept) if needle in ln.format(stamp).lower()]
        excess = len(rows) - (self.max_lines or len(rows))
        if excess > 0:
            del rows[:excess]
            if self._match_rows is not None:
                self._match_rows = [i - excess for i in self._match_rows if i >= excess]
        self.content_width = max(self.content_width, batch_width(kept))
        self.rows_changed(moved=excess > 0)  # past the cap every y moved
        return len(kept)

    def set_tints(self, styles: dict[str, str]) -> None:
        self.log_highlighter.styles = styles
        self.restyle()

    def _changed(self) -> None:
        if self.status_changed is not None:
            self.status_changed(self)

    def describe_parts(self) -> list[Part]:
        """Header: follow state, filters, search and the cap (stated, as promised). The step's path
        and the search term give way first on a narrow pane; the states never do."""
        parts = [Part("FOLLOW" if self.follow
                      else f"PAUSED +{self.unseen} new ({key_text(self.app, 'log-follow', first=True)}: follow)")]
        if self.level != "all":
            parts += [SEP, Part(f"{self.level}+")]
        if self.step_filter:
            parts += [SEP, Part("step "), name(self.step_filter, keep=6)]
        if self.search_term:
            total = len(self._matches())
            at = f"{self.match_index + 1}/{total}" if self.match_index >= 0 else f"{total} matches"
            parts += [SEP, Part("/"), name(self.search_term, keep=4), Part(f" {at}")]
        parts += [SEP, Part(f"cap {self.max_lines}")]
        return parts

    def describe(self) -> str:
        return plain(self.describe_parts())

    def on_resize(self) -> None:
        """A following log keeps showing its last line when the pane changes height."""
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False)

    def action_state(self) -> ActionState:
        return ActionState(screen=self.SCOPE, searching=bool(self.search_term), following=self.follow)

    # -- follow ------------------------------------------------------------------------------
    def watch_follow(self, follow: bool) -> None:
        if follow:
            self.unseen = 0
        self._changed()
        if self.is_attached:
            self.screen.refresh_bindings()  # the footer's follow hint

    def _leave_follow(self) -> None:
        if self.follow and self.max_scroll_y > 0:
            self.follow = False

    # The registry's "log" handlers (nav-up, nav-down, nav-top): a log has no cursor, it scrolls.
    def action_cursor_up(self) -> None:
        self._leave_follow()
        self.action_scroll_up()

    def action_cursor_down(self) -> None:
        self.action_scroll_down()

    def action_page_up(self) -> None:
        self._leave_follow()
        super().action_page_up()

    def action_scroll_top(self) -> None:
        self._leave_follow()
        self.action_scroll_home()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """Runs before the scroll itself (ScrollView's handler): a wheel up leaves follow."""
        self._leave_follow()

    def action_follow(self) -> None:
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    # -- filters -------------------------------------------------------------------------------
    def action_cycle_level(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.rerender()

    def action_toggle_step_filter(self) -> None:
        if self.step_filter:
            self.step_filter = None
        else:
            selected = getattr(self.screen, "selected_step_path", lambda: None)()
            if not selected:
                self.notify(f"Select a step in the steps pane ({key_text(self.app, 'focus-steps')}) first",
                            severity="warning")
                return
            self.step_filter = selected
        self.rerender()

    # -- search ---------------------------------------------------------------------------------
    def search(self, term: str) -> None:
        self.search_term = term
        self.log_highlighter.term = term
        self.match_index = -1
        self._match_rows = None
        if term:
            self.action_search_next()
        self.restyle()
        self._changed()
        self.screen.refresh_bindings()  # the footer's next / prev hints

    def _matches(self) -> list[int]:
        """Rows matching the search: found once per search, then extended as lines arrive
        (the pane header asks at every tick)."""
        if not self.search_term:
            return []
        if self._match_rows is None:
            needle = self.search_term.lower()
            self._match_rows = [i for i, line in enumerate(self.lines) if needle in line.lower()]
        return self._match_rows

    def _goto_match(self, step: int) -> None:
        matches = self._matches()
        if not matches:
            if self.search_term:
                self.notify(f"no match for {self.search_term!r}", severity="warning")
            return
        self.match_index = (self.match_index + step) % len(matches)
        self.follow = False
        self.scroll_to(y=max(0, matches[self.match_index] - self.size.height // 2), animate=False)
        self._changed()

    def action_search_next(self) -> None:
        self._goto_match(1)

    def action_search_prev(self) -> None:
        self._goto_match(-1)

    # -- saving ----------------------------------------------------------------------------------
    def ask_search(self, term: str = "") -> None:
        """`/` on the log asks for the term (the last one offered); `:filter TEXT` searches at once."""
        if term:
            self.search(term)
            return
        from igtk_tui.tui.screens.prompt import PromptScreen

        def done(answer: str | None) -> None:
            if answer is not None:
                self.search(answer)
                self.focus()

        app: Any = self.app
        keys = f"{key_text(app, 'log-search-next')} / {key_text(app, 'log-search-prev')}"
        app.push_screen(PromptScreen(f"search the log ({keys}: next / previous; empty clears)", self.search_term,
                                     history=app.search_history), done)

    def action_save(self, path: str = "") -> None:
        """`w` asks where (the logs folder proposed); `:w FILE` writes there at once."""
        if self.view is None:
            self.notify("No execution selected", severity="warning")
            return
        if path:
            self.save_to(path)
            return
        from igtk_tui.tui.screens.prompt import PromptScreen

        app: Any = self.app
        default = str(app.runtime.paths.logs_dir / f"execution-{self.view.id[:8]}.log")
        app.push_screen(PromptScreen("save the log to", default, submit_label="save"),
                        lambda chosen: self.save_to(chosen) if chosen else None)

    def save_to(self, path: str) -> None:
        """Take the lines on the loop (the deque keeps growing), write them in a thread."""
        lines = self.text_for_save()
        self.run_worker(partial(write_log_file, self.app, path, lines), thread=True, group="save-log",
                        exit_on_error=False)

    def text_for_save(self) -> list[str]:
        """Every retained line of the execution (not only the filtered view)."""
        if self.view is None:
            return []
        stamp = self.clock.stamp
        return [ln.format(stamp) for ln in self.view.logs]


def write_log_file(app: Any, path: str, lines: list[str]) -> None:
    """Every retained line, scrubbed, written atomically (a reader never sees half a log)."""
    from pathlib import Path

    from igtk_tui import redact
    from igtk_tui.textfile import write_text_atomic

    try:
        target = write_text_atomic(Path(path), "".join(redact.scrub(line) + "\n" for line in lines))
    except OSError as exc:
        app.notify(f"could not save the log: {exc}", severity="error", markup=False)
        return
    app.notify(f"saved {len(lines)} lines to {target}", title="Log", markup=False)
