"""History: executions from the store, newest first, in keyset pages of 200.

Never loads every row: the next page is fetched when the cursor comes near
the end. Status and playbook filters go to SQL; the text filter narrows the
loaded rows and fetches more pages while too few match.

Live: every POLL_INTERVAL seconds, while the screen is shown, the first page
is read again (one indexed query) and, when an execution appeared or changed
status (another process, or another host sharing a PostgreSQL history), the
list reloads with the cursor kept on the same execution. Polling, not
LISTEN/NOTIFY: it works the same on SQLite, and a few queries a minute cost
nothing next to a shared server's load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static

from igtk_tui.engine.events import RESUMABLE_STATUSES
from igtk_tui.timefmt import local_time
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.render import elapsed, status_text
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints

PAGE = 200
NEAR_END = 20
MAX_PAGES_PER_FILTER = 10
POLL_INTERVAL = 5.0
STATUSES = ("completed", "failed", "cancelled", "interrupted", "running", "paused")

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp


class HistoryTable(DataTable[Any], inherit_bindings=False):
    """Moving keys from the registry ("history-table"): DataTable implements every handler.
    After a resize the selected row is scrolled back into view."""

    BINDINGS = bindings_for("history-table")

    def on_resize(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.cursor_row, scroll=True)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        """DataTable widens its columns to their cells when idle after rows are added, but keeps
        serving the lines it drew before that under the same cache key: a paint in between left
        `plan` for gateway `plant` and `htt` for its URL on screen until a key or a resize. Wider
        columns make a wider table: draw it again."""
        if new.width != old.width:
            self.notify_style_update()


class HistoryScreen(RegistryChecks, Screen[None]):
    SCOPE = "history"
    BINDINGS = bindings_for("history")
    if TYPE_CHECKING:  # the app this runs in, for the type checker only (as Textual does)
        app = getters.app(IgtkApp)

    def __init__(self) -> None:
        super().__init__(id="history")
        self.rows: list[Any] = []
        self.shown: list[Any] = []
        self.has_more = True
        self.loading_page = False
        self.status: str | None = None
        self.recorded_none = False  # the unfiltered first page was empty: say how to run the first
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Static("History of executions", id="history-title", markup=False)
        with Horizontal(id="history-filters"):
            yield Select([(s, s) for s in STATUSES], prompt="any status", id="history-status", compact=True)
            yield Field(placeholder="playbook (exact name or library path)", id="history-playbook", compact=True,
                        submit_label="filter")
            yield Field(placeholder="search loaded rows (id, playbook, error)", id="history-text", compact=True)
        yield HistoryTable(id="history-table", cursor_type="row")
        yield Static("", id="history-count", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(HistoryTable)
        for key, label in (("status", "status"), ("playbook", "playbook"), ("started", "started"),
                           ("duration", "took"), ("trigger", "by"), ("id", "id")):
            table.add_column(label, key=key)
        table.focus()
        self.reload()
        self.set_interval(POLL_INTERVAL, self.poll)

    @property
    def store(self) -> Any:
        return getattr(self.app, "store", None)

    # -- loading -------------------------------------------------------------------------------------
    def reload(self, keep: str | None = None) -> None:
        """Load from the first page again; `keep`: the execution id to put the cursor back on."""
        self.rows, self.shown, self.has_more = [], [], True
        self.query_one(HistoryTable).clear()
        self.load_page(first=True, keep=keep)

    def poll(self) -> None:
        if self.is_current and not self.loading_page and self.store is not None:
            self.check_for_changes()

    @work(group="history-poll", exclusive=True, exit_on_error=False)
    async def check_for_changes(self) -> None:
        """Reload when the newest executions differ from the loaded ones (new, or a new status)."""
        store = self.store
        if store is None:
            return
        playbook = self.query_one("#history-playbook", Input).value.strip() or None
        loaded = self.rows[:PAGE]
        page = await store.executions.list_executions(max(1, len(loaded)), status=self.status, playbook=playbook)

        def key(rows: list[Any]) -> list[tuple[str, str, float | None]]:
            return [(r.id, r.status, r.finished_at) for r in rows]

        if key(page) != key(loaded[:len(page)]) or len(page) > len(loaded):
            if not self.loading_page:
                row = self.selected
                self.reload(keep=row.id if row is not None else None)

    @work(group="history-page", exclusive=True, exit_on_error=False)
    async def load_page(self, first: bool = False, keep: str | None = None) -> None:
        store = self.store
        count = self.query_one("#history-count", Static)
        if store is None:
            count.update("History is not available (the database did not open).")
            self.has_more = False
            return
        self.loading_page = True
        try:
            playbook = self.query_one("#history-playbook", Input).value.strip() or None
            pages = 0
            while self.has_more and pages < MAX_PAGES_PER_FILTER:
                before = self.rows[-1].keyset if self.rows else None
                page = await store.executions.list_executions(PAGE, before=before, status=self.status,
                                                              playbook=playbook)
                pages += 1
                if before is None:
                    self.recorded_none = not page and playbook is None and self.status is None
                self.has_more = len(page) == PAGE
                self.rows.extend(page)
                added = self._append([r for r in page if self._matches(r)])
                if added >= NEAR_END or not self.text:
                    break
        finally:
            self.loading_page = False
        self._show_count()
        if keep is not None:
            index = next((i for i, r in enumerate(self.shown) if r.id == keep), None)
            if index is not None:
                self.query_one(HistoryTable).move_cursor(row=index)

    def _show_count(self) -> None:
        """The footer count, from the rows held now (after a page, a filter or a delete)."""
        if self.recorded_none:
            self.query_one("#history-count", Static).update(
                f"No executions recorded yet: press {key_text(self.app, 'back')}, pick a playbook "
                f"and press {key_text(self.app, 'run-open')} to run the first")
            return
        more = "  (more below: keep scrolling)" if self.has_more else ""
        self.query_one("#history-count", Static).update(f"{len(self.shown)} shown of {len(self.rows)} loaded{more}")

    def _matches(self, row: Any) -> bool:
        if not self.text:
            return True
        hay = f"{row.id} {row.playbook} {row.error or ''} {row.trigger} {row.gateway_url or ''}".lower()
        return self.text.lower() in hay

    def _append(self, rows: list[Any]) -> int:
        table = self.query_one(HistoryTable)
        styles = getattr(self.app, "status_styles", {})
        for row in rows:
            table.add_row(status_text(row.status, styles, width=11), Text(row.playbook), local_time(row.started_at),
                          elapsed(row.duration), row.trigger, row.id[:8], key=row.id)
            self.shown.append(row)
        return len(rows)

    @on(DataTable.RowHighlighted, "#history-table")
    def near_end(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()
        if self.has_more and not self.loading_page and event.cursor_row >= len(self.shown) - NEAR_END:
            self.load_page()

    # -- filters -----------------------------------------------------------------------------------------
    @on(Select.Changed, "#history-status")
    def status_changed(self, event: Select.Changed) -> None:
        self.status = event.value if isinstance(event.value, str) else None
        self.reload()

    @on(Input.Submitted, "#history-playbook")
    def playbook_changed(self) -> None:
        self.reload()
        self.query_one(HistoryTable).focus()

    @on(Input.Changed, "#history-text")
    def text_changed(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        table = self.query_one(HistoryTable)
        table.clear()
        self.shown = []
        self._append([r for r in self.rows if self._matches(r)])
        self._show_count()
        if self.has_more and len(self.shown) < NEAR_END:
            self.load_page()

    @on(Input.Submitted, "#history-text")
    def text_done(self) -> None:
        self.query_one(HistoryTable).focus()

    def action_filter(self, text: str = "") -> None:
        field = self.query_one("#history-text", Input)
        if text:
            field.value = text
        self.set_focus(field)

    def action_cycle_status(self) -> None:
        select = self.query_one("#history-status", Select)
        order = (None, *STATUSES)
        nxt = order[(order.index(self.status) + 1) % len(order)]
        select.value = nxt if nxt is not None else Select.NULL

    def clear_filter(self) -> bool:
        field = self.query_one("#history-text", Input)
        if self.focused is field and field.value:
            field.value = ""
            return True
        return False

    # -- selection and actions ---------------------------------------------------------------------------
    @property
    def selected(self) -> Any | None:
        table = self.query_one(HistoryTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def action_state(self) -> ActionState:
        row = self.selected
        views = self.app.executions.views
        live = bool(row and row.id in views and views[row.id].live)
        table_focused = isinstance(self.focused, HistoryTable)
        return ActionState(screen="history", openable=row is not None and table_focused,
                           resumable=bool(row and row.status in RESUMABLE_STATUSES and not live),
                           rerunnable=row is not None, deletable=bool(row and not live and table_focused),
                           reportable=row is not None)

    def action_run_open(self) -> None:
        row = self.selected
        if row is not None:
            from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen

            self.app.push_screen(ExecutionDetailScreen(row.id))

    def action_rerun(self) -> None:
        row = self.selected
        if row is not None:
            self.app.rerun_execution(row.id)
            self.app.pop_screen()

    def action_resume(self) -> None:
        row = self.selected
        if row is not None:
            self.app.resume_execution(row.id)
            self.app.pop_screen()

    def action_report(self) -> None:
        row = self.selected
        if row is not None:
            from igtk_tui.tui.report_action import ask_and_write

            ask_and_write(self, row.id)

    def action_delete(self) -> None:
        row = self.selected
        if row is None:
            return
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_rows([row.id])

        self.app.push_screen(ConfirmScreen(f"Delete execution {row.id[:8]} ({row.playbook})?",
                                           "Removes its record, logs and artifacts."), confirmed)

    @work(group="history-delete", exit_on_error=False)
    async def delete_rows(self, ids: list[str]) -> None:
        store = self.store
        if store is None:
            return
        deleted, problems = await store.executions.delete(ids)
        table = self.query_one(HistoryTable)
        for execution_id in deleted:
            if execution_id in table.rows:
                table.remove_row(execution_id)
        self.rows = [r for r in self.rows if r.id not in deleted]
        self.shown = [r for r in self.shown if r.id not in deleted]
        self._show_count()
        self.notify(f"deleted {len(deleted)} execution(s)" + (f"; {'; '.join(problems)}" if problems else ""),
                    markup=False)
        self.run_worker(self.app.refresh_last_results(), exit_on_error=False)
