"""The log pane: a capped line widget (Textual `Log`) fed in batches.

Follow mode (Toolong's semantics): on by default; any scroll up leaves it and
counts new lines; `end`/`G` resumes. Level filter, per-step filter and search
(`n`/`N`) re-render from the execution's retained lines; `w` saves them.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from rich.highlighter import Highlighter
from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Log

from igtk_tui.tui.keymap import RegistryChecks, bindings_for
from igtk_tui.tui.render import Clock
from igtk_tui.tui.viewmodel import ExecutionView, LogLine

LEVELS = ("all", "info", "warning", "error")
DRAIN_BUDGET = 0.03  # seconds of formatting per slice before the loop gets a turn
DRAIN_SLICE = 500
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


class LogView(RegistryChecks, Log, inherit_bindings=False):
    """Lines of one execution; the pane header shows follow state, filters and the cap."""

    SCOPE = "log"
    BINDINGS = [
        *bindings_for("log"),
        Binding("up,k", "scroll_up", show=False),
        Binding("down,j", "scroll_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown,space", "page_down", show=False),
        Binding("home,g", "scroll_home", show=False),
        Binding("left", "scroll_left", show=False),
        Binding("right", "scroll_right", show=False),
    ]

    follow: reactive[bool] = reactive(True, repaint=False)

    def __init__(self, *, max_lines: int = 20000, clock: Clock | None = None, id: str | None = None) -> None:
        super().__init__(highlight=True, max_lines=max_lines, auto_scroll=True, id=id)
        self.clock = clock or Clock()
        self.highlighter = LogHighlighter()
        self.view: ExecutionView | None = None
        self.level = "all"
        self.step_filter: str | None = None
        self.search_term = ""
        self.match_index = -1
        self.unseen = 0
        self.last_seq = 0
        self._backlog: deque[LogLine] = deque()
        self._draining = False
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
        self._backlog.clear()
        self.clear()
        self.unseen = 0
        self.match_index = -1
        self.last_seq = 0
        if self.view is not None:
            stamp = self.clock.stamp
            lines = list(self.view.logs)
            self.last_seq = lines[-1].seq if lines else 0
            self.write_lines([ln.format(stamp) for ln in lines if self._keep(ln)], scroll_end=False)
        self.follow = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self._changed()

    def append(self, lines: Iterable[LogLine]) -> None:
        """One batch per UI tick (never one call per line); a huge batch is drained in slices."""
        fresh = [ln for ln in lines if ln.seq > self.last_seq]
        if not fresh:
            return
        self.last_seq = fresh[-1].seq
        self._backlog.extend(fresh)
        if not self._draining:
            self._draining = True
            self._drain()

    def _drain(self) -> None:
        """Write up to DRAIN_BUDGET seconds of lines, then yield to the loop (keys stay answered)."""
        stamp, keep, backlog = self.clock.stamp, self._keep, self._backlog
        deadline = time.perf_counter() + DRAIN_BUDGET
        batch: list[str] = []
        while backlog and time.perf_counter() < deadline:
            for _ in range(min(DRAIN_SLICE, len(backlog))):
                line = backlog.popleft()
                if keep(line):
                    batch.append(line.format(stamp))
        if batch:
            self.write_lines(batch, scroll_end=self.follow)
            if not self.follow:
                self.unseen += len(batch)
                self._changed()
        if backlog:
            self.call_later(self._drain)
        else:
            self._draining = False

    def set_tints(self, styles: dict[str, str]) -> None:
        self.highlighter.styles = styles
        self._render_line_cache.clear()
        self.refresh()

    def _changed(self) -> None:
        if self.status_changed is not None:
            self.status_changed(self)

    def describe(self) -> str:
        """Header text: follow state, filters, search and the cap (stated, as promised)."""
        parts = ["FOLLOW" if self.follow else f"PAUSED +{self.unseen} new (end: follow)"]
        if self.level != "all":
            parts.append(f"{self.level}+")
        if self.step_filter:
            parts.append(f"step {self.step_filter}")
        if self.search_term:
            total = len(self._matches())
            at = f"{self.match_index + 1}/{total}" if self.match_index >= 0 else f"{total} matches"
            parts.append(f"/{self.search_term} {at}")
        parts.append(f"cap {self.max_lines}")
        return " · ".join(parts)

    # -- follow ------------------------------------------------------------------------------
    def watch_follow(self, follow: bool) -> None:
        if follow:
            self.unseen = 0
        self._changed()

    def _leave_follow(self) -> None:
        if self.follow and self.max_scroll_y > 0:
            self.follow = False

    def action_scroll_up(self) -> None:
        self._leave_follow()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._leave_follow()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._leave_follow()
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event: Any) -> None:
        self._leave_follow()
        super()._on_mouse_scroll_up(event)

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
                self.notify("Select a step in the steps pane (2) first", severity="warning")
                return
            self.step_filter = selected
        self.rerender()

    # -- search ---------------------------------------------------------------------------------
    def search(self, term: str) -> None:
        self.search_term = term
        self.highlighter.term = term
        self._render_line_cache.clear()
        self.match_index = -1
        if term:
            self.action_search_next()
        self.refresh()
        self._changed()

    def _matches(self) -> list[int]:
        if not self.search_term:
            return []
        needle = self.search_term.lower()
        return [i for i, line in enumerate(self.lines) if needle in line.lower()]

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
    def action_save(self) -> None:
        save = getattr(self.screen, "save_log", None)
        if save is not None:
            save()

    def text_for_save(self) -> list[str]:
        """Every retained line of the execution (not only the filtered view)."""
        if self.view is None:
            return []
        stamp = self.clock.stamp
        return [ln.format(stamp) for ln in self.view.logs]
