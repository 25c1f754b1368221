"""Credentials by name, type, user and gateway: secret values are never shown
(the widget only ever receives secret-free `CredentialInfo` objects).

Used in the main screen's vault pane and on the vault screen; its keys (add,
edit, delete, unlock) come from the registry's "vault-list" scope and call the
app's vault controller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual import getters
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for

COLUMNS = ("name", "type", "username", "gateway")

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp


class VaultList(RegistryChecks, DataTable[str], inherit_bindings=False):
    SCOPE = "vault-list"
    BINDINGS = bindings_for("vault-list")
    if TYPE_CHECKING:  # the app this runs in, for the type checker only (as Textual does)
        app = getters.app(IgtkApp)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.infos: list[Any] = []
        self.query_text = ""
        self.shown_columns: tuple[str, ...] = ()

    def on_resize(self) -> None:
        """Columns refitted to the new width, the selected credential back in view."""
        if self.columns_that_fit() != self.shown_columns:
            self._fill()
        if self.row_count:
            self.move_cursor(row=self.cursor_row, scroll=True)

    def on_mount(self) -> None:
        self.show_state(getattr(self.app, "vault_state", "opening"), getattr(self.app, "vault_infos", []))

    def cells(self, info: Any) -> tuple[str, ...]:
        return info.name, info.type, info.username, info.gateway_url or ""

    def columns_that_fit(self) -> tuple[str, ...]:
        """The columns shown whole in the pane's width, from the left (a narrow pane shows the name
        and the type; the vault screen, `v`, shows them all): never a column cut at the edge."""
        width = self.size.width - self.styles.scrollbar_size_vertical
        if width <= 0:
            return COLUMNS
        rows = [self.cells(info) for info in self.infos]
        shown: list[str] = []
        used = 0
        for i, column in enumerate(COLUMNS):
            need = max([cell_len(column), *(cell_len(r[i]) for r in rows)]) + 2 * self.cell_padding
            if shown and used + need > width:
                break
            shown.append(column)
            used += need
        return tuple(shown)

    def show_state(self, state: str, infos: list[Any]) -> None:
        self.infos = list(infos) if state == "open" else []
        self._fill()

    def set_query(self, query: str) -> None:
        self.query_text = query.lower()
        self._fill()

    def _fill(self) -> None:
        selected = self.selected_name
        columns = self.columns_that_fit()
        if columns != self.shown_columns:
            self.clear(columns=True)
            self.shown_columns = columns
            for column in columns:
                self.add_column(column, key=column)
        else:
            self.clear()
        for info in self.infos:
            hay = f"{info.name} {info.username} {info.gateway_url} {info.description}".lower()
            if self.query_text and self.query_text not in hay:
                continue
            self.add_row(*self.cells(info)[:len(columns)], key=info.name)
        if selected is not None and selected in self.rows:
            self.move_cursor(row=self.get_row_index(selected))

    @property
    def selected_name(self) -> str | None:
        if self.row_count == 0 or self.cursor_row < 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value)
        except Exception:  # noqa: BLE001 - empty or shrinking table
            return None

    def action_state(self) -> ActionState:
        return ActionState(screen=self.SCOPE, vault_open=getattr(self.app, "vault_state", "") == "open",
                           vault_item=self.selected_name is not None)

    def _controller(self) -> Any:
        return self.app.vault_ui

    def action_add(self) -> None:
        self._controller().add()

    def action_edit(self) -> None:
        if self.selected_name:
            self._controller().edit(self.selected_name)

    def action_delete(self) -> None:
        if self.selected_name:
            self._controller().delete(self.selected_name)

    def action_unlock(self) -> None:
        self._controller().unlock()
