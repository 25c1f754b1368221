"""Every execution of this session (and interrupted ones found at start), one
line each: number, glyph + status word, playbook, progress, elapsed, pause.

An OptionList (fast at hundreds of rows); prompts are replaced only for the
executions that changed in a tick.
"""

from __future__ import annotations

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

    def on_focus(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    @property
    def selected_id(self) -> str | None:
        if self.highlighted is None or self.option_count == 0:
            return None
        return self.get_option_at_index(self.highlighted).id

    def sync(self, views: list[ExecutionView], changed: frozenset[str], now: float,
             styles: dict[str, str], *, force: bool = False) -> None:
        new = [v for v in views if v.id not in self._row_of]
        for view in views:
            if view.id in self._row_of and (view.id in changed):
                label = execution_label(view, now, styles)
                key = label.plain
                if force or self._prompt_keys.get(view.id) != key:
                    self._prompt_keys[view.id] = key
                    self.replace_option_prompt_at_index(self._row_of[view.id], label)
        if new:
            options: list[Option] = []
            for view in new:
                label = execution_label(view, now, styles)
                self._prompt_keys[view.id] = label.plain
                self._row_of[view.id] = self.option_count + len(options)
                options.append(Option(label, id=view.id))
            self.add_options(options)

    def select_id(self, execution_id: str) -> None:
        index = self._row_of.get(execution_id)
        if index is not None:
            self.highlighted = index

    def step(self, delta: int) -> None:
        if self.option_count:
            current = self.highlighted if self.highlighted is not None else 0
            self.highlighted = max(0, min(self.option_count - 1, current + delta))
