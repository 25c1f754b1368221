"""Fleet runs (`F`): every fleet run recorded in the store, newest first, with its counts.

Polled like the fleet view: a run started with `igtk run --on` in another terminal shows up
within POLL seconds and its counts move while it runs. `n` starts one through the agent
(screens/fleet_form.py); enter opens one run's gateways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from igtk_tui.timefmt import local_time
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for
from igtk_tui.tui.render import elapsed, status_text
from igtk_tui.tui.screens.fleet import POLL
from igtk_tui.tui.screens.history import HistoryTable
from igtk_tui.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp

LIMIT = 200


class FleetRunsScreen(RegistryChecks, Screen[None]):
    SCOPE = "fleets"
    BINDINGS = bindings_for("fleets")
    if TYPE_CHECKING:
        app = getters.app(IgtkApp)

    def __init__(self) -> None:
        super().__init__(id="fleets")
        self.rows: list[Any] = []
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield Static("Fleet runs  ·  igtk run PLAYBOOK --on TARGETS",
                     id="fleets-title", markup=False)
        yield HistoryTable(id="fleets-table", cursor_type="row")
        yield Static("", id="fleets-count", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(HistoryTable)
        for key, label in (("status", "status"), ("playbook", "playbook"), ("gateways", "gateways"),
                           ("started", "started"), ("took", "took"), ("id", "id")):
            table.add_column(label, key=key)
        table.focus()
        self.load()
        self.set_interval(POLL, self.poll, name="fleets-poll")

    def poll(self) -> None:
        if not self.rows or any(r.status == "running" for r in self.rows) or self.loads % 5 == 0:
            self.load()
        else:
            self.loads += 1  # finished runs change rarely: read every fifth tick for new ones

    @work(group="fleets-load", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        store = getattr(self.app, "store", None)
        count = self.query_one("#fleets-count", Static)
        if store is None:
            count.update("History is not available (the database did not open).")
            return
        rows = await store.fleets.list_runs(LIMIT)
        self.loads += 1
        self._show(rows)

    def _show(self, rows: list[Any]) -> None:
        table = self.query_one(HistoryTable)
        styles = getattr(self.app, "status_styles", {})
        cursor_id = self.rows[table.cursor_row].id if self.rows and 0 <= table.cursor_row < len(self.rows) else None
        table.clear()
        for r in rows:
            table.add_row(status_text(r.status, styles, width=11), Text(r.playbook), r.counts_text(),
                          local_time(r.started_at)[:16], elapsed(r.duration), r.id[:8], key=r.id)
        self.rows = rows
        if cursor_id is not None:
            index = next((i for i, r in enumerate(rows) if r.id == cursor_id), 0)
            table.move_cursor(row=index)
        self.query_one("#fleets-count", Static).update(
            f"{len(rows)} fleet run(s)" if rows else "No fleet runs recorded yet: run one with "
            "n, or `igtk run PLAYBOOK --on GROUP` (inventory: I)")
        self.refresh_bindings()

    def action_state(self) -> ActionState:
        table = self.query_one(HistoryTable)
        openable = bool(self.rows) and 0 <= table.cursor_row < len(self.rows) and isinstance(self.focused, HistoryTable)
        return ActionState(screen="fleets", openable=openable)

    def action_run_open(self) -> None:
        table = self.query_one(HistoryTable)
        if self.rows and 0 <= table.cursor_row < len(self.rows):
            from igtk_tui.tui.screens.fleet import FleetScreen

            self.app.push_screen(FleetScreen(self.rows[table.cursor_row].id))

    def action_start_fleet(self) -> None:
        from igtk_tui.tui.screens.fleet_form import FleetForm

        self.app.push_screen(FleetForm(self.app.runtime), self._started)

    def _started(self, started: dict[str, Any] | None) -> None:
        if not started:
            return
        from igtk_tui.tui.screens.fleet import FleetScreen

        where = "queued for the workers" if started.get("queued") else "run by the agent"
        self.app.notify(f"fleet run {started['id'][:8]} started: {started['total']} gateway(s), {where}")
        self.load()
        self.app.push_screen(FleetScreen(started["id"]))
