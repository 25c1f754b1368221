"""Every execution of this session (and interrupted ones found at start), one
line each: number, glyph + status word, playbook, progress, elapsed, pause.

An OptionList (fast at hundreds of rows); prompts are replaced only for the
executions that changed in a tick. Each prompt is fitted to the list's width:
the playbook's name gives way first, the status never does (it wraps onto a
second line when even a bare name does not leave room). The highlighted
execution is scrolled back into view after a resize.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from igtk_tui.tui.keymap import bindings_for
from igtk_tui.tui.render import execution_label
from igtk_tui.tui.viewmodel import ExecutionView


class ExecutionsBar(OptionList, inherit_bindings=False):
    BINDINGS = bindings_for("executions")

    def action_scroll_top(self) -> None:
        self.action_first()

    def action_scroll_bottom(self) -> None:
        self.action_last()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._row_of: dict[str, int] = {}
        self._prompt_keys: dict[str, str] = {}
        self.shown_views: dict[str, ExecutionView] = {}
        self.prompt_lines: dict[str, int] = {}
        self.fitted_to = 0
        self.max_rows = 5  # lines shown at most (the screen lowers it on a short terminal)
        self.shown_rows = 0

    @property
    def line_count(self) -> int:
        """Lines the prompts take (a prompt wraps when the list is narrow)."""
        return sum(self.prompt_lines.values())

    def on_focus(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    @property
    def selected_id(self) -> str | None:
        if self.highlighted is None or self.option_count == 0:
            return None
        return self.get_option_at_index(self.highlighted).id

    def label_width(self) -> int:
        """The cells a prompt may use: the list less its scrollbar (kept free: it comes and goes)."""
        width = self.size.width - self.styles.scrollbar_size_vertical
        return width if width > 0 else 10_000

    def _label(self, view: ExecutionView, now: float, styles: dict[str, str]) -> Text:
        label = execution_label(view, now, styles, self.label_width())
        self.prompt_lines[view.id] = label.plain.count("\n") + 1
        return label

    def sync(self, views: list[ExecutionView], changed: frozenset[str], now: float,
             styles: dict[str, str], *, force: bool = False) -> None:
        new = [v for v in views if v.id not in self._row_of]
        refit = self.label_width() != self.fitted_to
        self.fitted_to = self.label_width()
        for view in views:
            self.shown_views[view.id] = view
            if view.id in self._row_of and (view.id in changed or refit):
                label = self._label(view, now, styles)
                key = label.plain + str(label.spans)
                if force or refit or self._prompt_keys.get(view.id) != key:
                    self._prompt_keys[view.id] = key
                    self.replace_option_prompt_at_index(self._row_of[view.id], label)
        if new:
            options: list[Option] = []
            for view in new:
                label = self._label(view, now, styles)
                self._prompt_keys[view.id] = label.plain + str(label.spans)
                self._row_of[view.id] = self.option_count + len(options)
                options.append(Option(label, id=view.id))
            self.add_options(options)
        self.fit_height()

    def fit_height(self) -> None:
        """A fixed height, changed only when the line count does: with `height: auto` every new
        label (an elapsed second) would re-layout the whole screen and repaint every pane."""
        rows = min(self.line_count, self.max_rows)
        if self.display != (rows > 0):  # a style write, even of the same value, relayouts
            self.display = rows > 0
        if rows and rows != self.shown_rows:
            self.shown_rows = rows
            self.styles.height = rows + 1  # and its bottom rule
            self.call_after_refresh(self.scroll_to_highlight)

    def on_resize(self, event: events.Resize) -> None:
        """Refit every prompt to the new width, then bring the highlighted one back into view."""
        app: Any = self.app
        self.sync(list(self.shown_views.values()), frozenset(), app.clock.now(), app.status_styles)
        self.call_after_refresh(self.scroll_to_highlight)

    def select_id(self, execution_id: str) -> None:
        index = self._row_of.get(execution_id)
        if index is not None:
            self.highlighted = index
            self.scroll_to_highlight()

    def step(self, delta: int) -> None:
        if self.option_count:
            current = self.highlighted if self.highlighted is not None else 0
            self.highlighted = max(0, min(self.option_count - 1, current + delta))
