"""A yes/no question (`y` / `n`, `esc` is no): cancel, quit, delete."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from igtk_tui.tui.keymap import RegistryChecks, bindings_for, keys_line
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints


class ConfirmScreen(DismissOnce, RegistryChecks, ModalScreen[bool]):
    SCOPE = "confirm"
    BINDINGS = bindings_for("confirm")

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(self.question, classes="dialog-title", markup=False)
            if self.detail:
                yield Static(self.detail, classes="dialog-detail", markup=False)
            yield Static(keys_line(self.app, self.SCOPE), classes="dialog-keys", markup=False)
        yield KeyHints()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)

    def action_back(self) -> None:
        self.dismiss(False)
