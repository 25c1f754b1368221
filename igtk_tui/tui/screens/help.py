"""`?`: every action of the registry with the key it answers to now (the
keymap applied), grouped; generated, never written by hand."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from igtk_tui.tui import actions
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints

SCOPE_NAMES = {"app": "everywhere", "main": "main", "history": "history", "detail": "detail",
               "log": "log pane", "vault-list": "vault list", "params": "form", "debug": "debug pause",
               "confirm": "dialogs", "help": "help", "vault": "vault", "unlock": "unlock",
               "prompt": "prompts", "credential": "credential form", "tree": "trees",
               "executions": "executions", "history-table": "history list", "fleets": "fleet runs",
               "fleet": "fleet view", "inventory": "inventory", "gateway-form": "gateway form"}


def help_table(app: object, query: str = "") -> Table:
    """The registry as rows; `query` (the `/` search) keeps the actions whose key, text or id hold it."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
    table.add_column("key", max_width=14, overflow="fold")  # `:run PLAYBOOK` folds, never cut
    table.add_column("action", ratio=1)
    table.add_column("id (for [keymap])", no_wrap=True, style="dim")
    needle = query.strip().lower()
    for group, entries in actions.grouped():
        rows = []
        for action in entries:
            key = key_text(app, action)
            where = ", ".join(SCOPE_NAMES.get(s, s) for s in action.scopes[:3])
            text = f"{action.description}  ({where})"
            if action.argument and action.key:  # a key, and a `:` command that takes more
                text += f"  {action.command_form}"
            if needle and needle not in f"{key} {text} {action.id} {group}".lower():
                continue
            rows.append((Text(key, style="bold"), text, action.id))
        if not rows:
            continue
        table.add_row("", Text(group, style="bold underline"), "")
        for row in rows:
            table.add_row(*row)
        table.add_row("", "", "")
    if needle and not table.row_count:
        table.add_row("", f"no key or action matches {query.strip()!r}", "")
    return table


class HelpScreen(DismissOnce, RegistryChecks, ModalScreen[None]):
    SCOPE = "help"
    BINDINGS = bindings_for("help")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(f"Keys (remap any of them by id in [keymap] of config.toml)  ·  {key_text(self.app, 'filter')} "
                         f"searches  ·  {key_text(self.app, 'back')} closes", classes="dialog-title", markup=False)
            search = Field(placeholder=f"search keys and actions ({key_text(self.app, 'back')} clears)",
                           id="help-filter", compact=True)
            search.display = False
            yield search
            with VerticalScroll(id="help-scroll"):
                yield Static(help_table(self.app), id="help-table")
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_filter(self, text: str = "") -> None:
        search = self.query_one("#help-filter", Input)
        search.display = True
        if text:
            search.value = text
        search.focus()

    @on(Input.Changed, "#help-filter")
    def _search(self, event: Input.Changed) -> None:
        self.query_one("#help-table", Static).update(help_table(self.app, event.value))

    @on(Input.Submitted, "#help-filter")
    def _searched(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_back(self) -> None:
        """esc clears an open search first, then closes."""
        search = self.query_one("#help-filter", Input)
        if search.display:
            search.value, search.display = "", False
            self.query_one("#help-scroll").focus()
            return
        self.dismiss(None)
