"""The vault screen (`v`): the credential list full size, the selected
credential's non-secret fields, and the same keys as the vault pane."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints
from igtk_tui.tui.widgets.vault_list import VaultList


class VaultScreen(RegistryChecks, Screen[None]):
    SCOPE = "vault"
    AUTO_FOCUS = "#vault-table"
    BINDINGS = bindings_for("vault")

    def compose(self) -> ComposeResult:
        yield Static("Credential vault  ·  secret values are never shown", id="vault-title", markup=False)
        yield Static("", id="vault-screen-note", markup=False)
        field = Field(placeholder="filter by name, user, gateway", id="vault-filter", compact=True)
        field.display = False
        yield field
        yield VaultList(id="vault-table")
        yield Static("", id="vault-selected", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one(VaultList).focus()
        self.vault_changed()

    def vault_changed(self) -> None:
        app: Any = self.app
        note = self.query_one("#vault-screen-note", Static)
        if app.vault_state == "open" and not app.vault_infos:
            note.update(f"no credentials yet in the {app.vault_detail}: press {key_text(app, 'vault-add')} to add "
                        "the first")
        elif app.vault_state == "open":
            note.update(f"{len(app.vault_infos)} credential(s) in the {app.vault_detail}")
        else:
            note.update(f"vault {app.vault_state}: {app.vault_detail}  ·  press {key_text(app, 'vault-unlock')} to unlock")
        self.query_one(VaultList).show_state(app.vault_state, app.vault_infos)
        self._describe()

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        app: Any = self.app
        name = self.query_one(VaultList).selected_name
        info = next((c for c in app.vault_infos if c.name == name), None)
        text = ""
        if info is not None:
            text = (f"{info.name}: {info.type}, user {info.username}, gateway {info.gateway_url or '-'}\n"
                    f"{info.description or ''}  created {info.created_at or '-'}  updated {info.updated_at or '-'}")
        self.query_one("#vault-selected", Static).update(text)

    def action_state(self) -> ActionState:
        return ActionState(screen="vault")

    def action_filter(self, text: str = "") -> None:
        field = self.query_one("#vault-filter", Input)
        field.display = True
        if text:
            field.value = text
        self.set_focus(field)  # at once: keys typed right after `/` must land in the field

    @on(Input.Changed, "#vault-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one(VaultList).set_query(event.value)

    @on(Input.Submitted, "#vault-filter")
    def filter_done(self) -> None:
        self.query_one(VaultList).focus()

    def clear_filter(self) -> bool:
        field = self.query_one("#vault-filter", Input)
        if not field.display:
            return False
        field.value = ""
        field.display = False
        self.query_one(VaultList).focus()
        return True
