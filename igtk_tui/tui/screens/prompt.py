"""A one-line input at the bottom: the `:` command line, a log search, a file
name. Enter submits, esc cancels, up/down walk the history."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from igtk_tui.tui.keymap import RegistryChecks, bindings_for
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints


class PromptScreen(DismissOnce, RegistryChecks, ModalScreen[str | None]):
    SCOPE = "prompt"
    BINDINGS = bindings_for("prompt")

    def __init__(self, label: str, value: str = "", *, history: list[str] | None = None,
                 placeholder: str = "", hint: str = "", submit_label: str = "ok") -> None:
        super().__init__(classes="prompt-screen")
        self.label = label
        self.value = value
        self.history = history if history is not None else []
        self._pos = len(self.history)
        self.placeholder = placeholder
        self.hint = hint
        self.submit_label = submit_label

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            if self.hint:
                yield Static(self.hint, classes="prompt-hint", markup=False)
            yield Field(self.value, placeholder=self.placeholder, id="prompt-input", compact=True,
                        submit_label=self.submit_label)
            yield Static(self.label, classes="prompt-label", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_position = len(field.value)  # typing goes on after what is there (`:theme `)
        field.focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value and (not self.history or self.history[-1] != value):
            self.history.append(value)
        self.dismiss(value)

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        self._pos = max(0, min(len(self.history), self._pos + delta))
        field = self.query_one(Input)
        field.value = self.history[self._pos] if self._pos < len(self.history) else ""
        field.cursor_position = len(field.value)

    def action_back(self) -> None:
        self.dismiss(None)
