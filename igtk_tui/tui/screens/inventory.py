"""The gateway inventory (`I`): list, add (`a`), edit (enter), remove (del), filter (`/`).

The same file and the same rules as `igtk inventory`: read with tomllib, changed with tomlkit
so the operator's comments stay, written atomically, and a bad file shows its problems
(file:line:col) instead of a half-understood list. Reads and writes run in a thread:
the file may sit on a slow share. The last `igtk inventory check` of each gateway is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import getters, on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.history import HistoryTable
from igtk_tui.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp


class InventoryScreen(RegistryChecks, Screen[None]):
    SCOPE = "inventory"
    BINDINGS = bindings_for("inventory")
    if TYPE_CHECKING:
        app = getters.app(IgtkApp)

    def __init__(self) -> None:
        super().__init__(id="inventory")
        self.gateways: list[Any] = []
        self.shown: list[Any] = []
        self.checks: dict[str, Any] = {}
        self.text = ""
        self.problem = ""
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield Static("Gateway inventory  ·  credentials stay in the vault", id="inventory-title", markup=False)
        field = Input(placeholder="filter by name, URL, group, tag, credential", id="inventory-filter", compact=True)
        field.display = False
        yield field
        yield HistoryTable(id="inventory-table", cursor_type="row")
        yield Static("", id="inventory-note", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(HistoryTable)
        for key in ("name", "url", "credential", "groups", "last check"):
            table.add_column(key, key=key)
        table.focus()
        self.load()

    @property
    def path(self) -> Any:
        return self.app.runtime.paths.inventory_file

    @work(group="inventory-load", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        import asyncio

        from igtk_tui.errors import InvalidInput
        from igtk_tui.inventory import read_inventory

        try:
            inventory = await asyncio.to_thread(read_inventory, self.path)
            self.gateways, self.problem = inventory.gateways, "\n".join(inventory.warnings)
        except InvalidInput as exc:
            self.gateways, self.problem = [], str(exc)
        store = getattr(self.app, "store", None)
        self.checks = await store.checks.last() if store is not None else {}
        self.loads += 1
        self._fill()

    def _fill(self) -> None:
        from igtk_tui.values import gateway_key

        table = self.query_one(HistoryTable)
        cursor = table.cursor_row
        table.clear()
        self.shown = [g for g in self.gateways if self._matches(g)]
        for g in self.shown:
            last = self.checks.get(gateway_key(g.url))
            seen = f"{last.state} {last.version or ''}".strip() if last else "-"
            groups = ",".join(g.groups) + (" #" + ",#".join(g.tags) if g.tags else "")
            table.add_row(g.name, g.url, g.credential, groups, seen, key=g.name)
        if self.shown:
            table.move_cursor(row=min(max(0, cursor), len(self.shown) - 1))
        if self.problem:
            note = self.problem
        elif not self.gateways:
            note = f"No gateways in {self.path} yet: press {key_text(self.app, 'inventory-add')} to add the first"
        else:
            note = f"{len(self.shown)} of {len(self.gateways)} gateway(s)  ·  {self.path}"
        self.query_one("#inventory-note", Static).update(note)
        self.refresh_bindings()

    def _matches(self, g: Any) -> bool:
        if not self.text:
            return True
        hay = f"{g.name} {g.url} {g.credential} {' '.join(g.groups)} {' '.join(g.tags)}".lower()
        return all(word in hay for word in self.text.lower().split())

    # -- filter -------------------------------------------------------------------------------------
    def action_filter(self) -> None:
        field = self.query_one("#inventory-filter", Input)
        field.display = True
        self.set_focus(field)

    @on(Input.Changed, "#inventory-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        self._fill()

    @on(Input.Submitted, "#inventory-filter")
    def filter_done(self) -> None:
        self.query_one(HistoryTable).focus()

    def clear_filter(self) -> bool:
        field = self.query_one("#inventory-filter", Input)
        if not field.display:
            return False
        field.value = ""
        field.display = False
        self.query_one(HistoryTable).focus()
        return True

    # -- editing ------------------------------------------------------------------------------------
    @property
    def selected(self) -> Any | None:
        table = self.query_one(HistoryTable)
        if not self.shown or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def action_state(self) -> ActionState:
        chosen = self.selected is not None and isinstance(self.focused, HistoryTable)
        return ActionState(screen="inventory", openable=chosen, deletable=chosen)

    def action_add(self) -> None:
        self._form(None)

    def action_edit(self) -> None:
        if self.selected is not None:
            self._form(self.selected)

    def _form(self, gateway: Any) -> None:
        from igtk_tui.tui.screens.gateway_form import GatewayForm

        names = [c.name for c in getattr(self.app, "vault_infos", [])]
        self.app.push_screen(GatewayForm(gateway, names), self._saved)

    def _saved(self, result: Any) -> None:
        if result is not None:
            original, gateway = result
            self.write(original, gateway)

    @work(group="inventory-write", exclusive=True, exit_on_error=False)
    async def write(self, original: str | None, gateway: Any) -> None:
        import asyncio

        from igtk_tui.errors import InvalidInput
        from igtk_tui.inventory import add_gateway, update_gateway

        try:
            if original is None:
                await asyncio.to_thread(add_gateway, self.path, gateway)
            else:
                await asyncio.to_thread(update_gateway, self.path, original, gateway)
        except (InvalidInput, OSError) as exc:
            self.notify(str(exc), title="Inventory", severity="error", markup=False, timeout=10)
            return
        verb = "added" if original is None else "saved"
        self.notify(f"{verb} gateway {gateway.name}", title="Inventory", markup=False)
        known = {c.name for c in getattr(self.app, "vault_infos", [])}
        if getattr(self.app, "vault_state", "") == "open" and gateway.credential not in known:
            self.notify(f"credential {gateway.credential!r} is not in the vault yet (v to add it)",
                        title="Inventory", severity="warning", markup=False)
        self.load()

    def action_delete(self) -> None:
        gateway = self.selected
        if gateway is None:
            return
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.drop(gateway.name)

        self.app.push_screen(ConfirmScreen(f"Remove gateway {gateway.name} from the inventory?",
                                           f"{gateway.url}; its history and its vault credential stay."), confirmed)

    @work(group="inventory-write", exclusive=True, exit_on_error=False)
    async def drop(self, name: str) -> None:
        import asyncio

        from igtk_tui.errors import InvalidInput
        from igtk_tui.inventory import remove_gateway

        try:
            await asyncio.to_thread(remove_gateway, self.path, name)
        except (InvalidInput, OSError) as exc:
            self.notify(str(exc), title="Inventory", severity="error", markup=False, timeout=10)
            return
        self.notify(f"removed gateway {name}", title="Inventory", markup=False)
        self.load()
