"""One fleet run, gateways x status, live from the store (`F`, then enter on a run).

Readable at 80x24 with 200 gateways: one line per gateway (name, group, status glyph and
word, current or failed step, duration) in a scrolling table, and the counts pinned above
it whatever the scroll position. The record is read back from the store every POLL seconds
while the run is live (a fleet run started by `igtk run --on` in another terminal, or on
another host sharing the store), and each refresh touches only the cells that changed.
`/` filters by name, group, status or step; enter opens that gateway's execution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from igtk_tui.glyphs import GLYPHS
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for
from igtk_tui.tui.render import elapsed, status_text
from igtk_tui.tui.screens.history import HistoryTable
from igtk_tui.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp

POLL = 1.0
COLUMNS = (("gateway", "gateway"), ("group", "group"), ("status", "status"), ("step", "step / note"),
           ("took", "took"))
STEP_WIDTH = 28
COUNTED = ("completed", "failed", "running", "pending", "skipped", "cancelled")


def counts_line(summary: Any, shown: int | None = None) -> Text:
    """`50 gateways: 17 ✓ completed  3 ✗ failed  30 ↷ skipped` (non-zero counts, glyph and word)."""
    counts = summary.counts()
    text = Text(f"{summary.total} gateways:")
    for key in COUNTED:
        if counts[key]:
            text.append(f"  {counts[key]} {GLYPHS.get(key, '?')} {key}")
    if shown is not None and shown != summary.total:
        text.append(f"   (filter: {shown} shown)", style="dim")
    return text


class FleetScreen(RegistryChecks, Screen[None]):
    SCOPE = "fleet"
    BINDINGS = bindings_for("fleet")
    if TYPE_CHECKING:  # the app this runs in, for the type checker only (as Textual does)
        app = getters.app(IgtkApp)

    def __init__(self, run_id: str) -> None:
        super().__init__(id="fleet")
        self.run_id = run_id
        self.detail: Any = None
        self.shown: list[Any] = []
        self.text = ""
        self._cells: dict[str, tuple[Any, ...]] = {}
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="fleet-title", markup=False)
        yield Static("", id="fleet-counts", markup=False)
        field = Input(placeholder="filter: gateway, group, status or step", id="fleet-filter", compact=True)
        field.display = False
        yield field
        yield HistoryTable(id="fleet-table", cursor_type="row")
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(HistoryTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        table.focus()
        self.load()
        self.set_interval(POLL, self.poll, name="fleet-poll")

    def poll(self) -> None:
        if self.detail is None or self.detail.summary.status == "running":
            self.load()

    @work(group="fleet-load", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        store = getattr(self.app, "store", None)
        if store is None:
            self.query_one("#fleet-title", Static).update("History is not available (the database did not open).")
            return
        detail = await store.fleets.get(self.run_id)
        if detail is None:
            self.query_one("#fleet-title", Static).update(f"Fleet run {self.run_id} is not in the history.")
            return
        self.detail = detail
        self.loads += 1
        self.show(detail)

    # -- drawing ---------------------------------------------------------------------------------
    def show(self, detail: Any) -> None:
        s = detail.summary
        styles = getattr(self.app, "status_styles", {})
        title = Text(f"Fleet {s.id[:8]}  ", no_wrap=True, overflow="ellipsis")
        title.append_text(status_text(s.status, styles, width=len(s.status)))
        title.append(f"  {s.playbook}  on {', '.join(s.targets)}")
        self.query_one("#fleet-title", Static).update(title)
        self._fill(detail.members)
        self._show_counts()

    def _show_counts(self) -> None:
        if self.detail is None:
            return
        s = self.detail.summary
        text = counts_line(s, len(self.shown) if self.text else None)
        if s.stop_reason:
            text.append(f"\nstopped: {s.stop_reason}", style="dim")
        self.query_one("#fleet-counts", Static).update(text)

    def _row(self, m: Any, now: float) -> tuple[Any, ...]:
        styles = getattr(self.app, "status_styles", {})
        if m.status == "skipped":
            note = "not started"
        elif m.status == "running":
            note = f"▶ {m.step_name or m.step or 'starting'}"
        elif m.status == "completed":
            note = ""
        elif m.step:
            said = f"step '{m.step}' failed: "
            note = f"{m.step}: {m.error.removeprefix(said)}" if m.error else m.step
        else:
            note = m.reason or m.error or ""
        took = m.duration if m.duration is not None else (now - m.started_at if m.started_at else None)
        return (m.name, m.group, status_text(m.status, styles, width=11), _cut(note, STEP_WIDTH),
                elapsed(took, live=m.status == "running"))

    def _fill(self, members: Any, *, keep_cursor: bool = True) -> None:
        table = self.query_one(HistoryTable)
        wanted = [m for m in members if self._matches(m)]
        now = self.app.clock.now()
        if [m.name for m in wanted] != [m.name for m in self.shown]:
            cursor = table.cursor_row if keep_cursor else 0
            table.clear()
            self._cells = {}
            for m in wanted:
                row = self._row(m, now)
                table.add_row(*row, key=m.name)
                self._cells[m.name] = row
            if wanted:
                table.move_cursor(row=min(max(0, cursor), len(wanted) - 1))
        else:
            keys = [key for key, _ in COLUMNS]
            for m in wanted:
                row = self._row(m, now)
                old = self._cells.get(m.name)
                for i, (new_cell, key) in enumerate(zip(row, keys)):
                    if old is None or str(old[i]) != str(new_cell):
                        table.update_cell(m.name, key, new_cell)
                self._cells[m.name] = row
        self.shown = wanted
        self.refresh_bindings()

    def _matches(self, m: Any) -> bool:
        if not self.text:
            return True
        hay = f"{m.name} {' '.join(m.groups)} {m.status} {m.step or ''} {m.reason or ''}".lower()
        return all(word in hay for word in self.text.lower().split())

    # -- filter -------------------------------------------------------------------------------------
    def action_filter(self) -> None:
        field = self.query_one("#fleet-filter", Input)
        field.display = True
        self.set_focus(field)

    @on(Input.Changed, "#fleet-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        if self.detail is not None:
            self._fill(self.detail.members, keep_cursor=False)
            self._show_counts()

    @on(Input.Submitted, "#fleet-filter")
    def filter_done(self) -> None:
        self.query_one(HistoryTable).focus()

    def clear_filter(self) -> bool:
        field = self.query_one("#fleet-filter", Input)
        if not field.display:
            return False
        field.value = ""
        field.display = False
        self.query_one(HistoryTable).focus()
        return True

    # -- opening a gateway's execution ----------------------------------------------------------------
    @property
    def selected(self) -> Any | None:
        table = self.query_one(HistoryTable)
        if not self.shown or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def action_state(self) -> ActionState:
        member = self.selected
        return ActionState(screen="fleet", openable=member is not None and isinstance(self.focused, HistoryTable))

    def action_run_open(self) -> None:
        member = self.selected
        if member is None:
            return
        if not member.execution_id:
            why = member.reason or member.error or "it has not started yet"
            self.notify(f"{member.name} has no execution: {why}", markup=False)
            return
        from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen

        self.app.push_screen(ExecutionDetailScreen(member.execution_id))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
