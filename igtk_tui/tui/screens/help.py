"""`?`: every action of the registry with the key it answers to now (the
keymap applied), grouped; generated, never written by hand."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from igtk_tui.tui import actions
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce

SCOPE_NAMES = {"app": "everywhere", "main": "main", "history": "history", "detail": "detail",
               "log": "log pane", "vault-list": "vault list", "params": "form", "debug": "debug pause",
               "confirm": "dialogs", "help": "help", "vault": "vault", "unlock": "unlock",
               "prompt": "prompts", "credential": "credential form", "tree": "trees",
               "executions": "executions", "history-table": "history list"}


def help_table(app: object) -> Table:
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
    table.add_column("key", no_wrap=True, max_width=12)
    table.add_column("action", ratio=1)
    table.add_column("id (for [keymap])", no_wrap=True, style="dim")
    for group, entries in actions.grouped():
        table.add_row("", Text(group, style="bold underline"), "")
        for action in entries:
            where = ", ".join(SCOPE_NAMES.get(s, s) for s in action.scopes[:3])
            table.add_row(Text(key_text(app, action), style="bold"), f"{action.description}  ({where})",
                          action.id)
        table.add_row("", "", "")
    return table


class HelpScreen(DismissOnce, RegistryChecks, ModalScreen[None]):
    SCOPE = "help"
    BINDINGS = [*bindings_for("help"), Binding("q,question_mark", "back", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys (remap any of them by id in [keymap] of config.toml)  ·  esc closes",
                         classes="dialog-title", markup=False)
            with VerticalScroll(id="help-scroll"):
                yield Static(help_table(self.app), id="help-table")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_back(self) -> None:
        self.dismiss(None)
