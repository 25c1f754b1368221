"""The schedules screen (`c`): every schedule with its next fire times (local time) and last
result; add and edit (a checked form), enable/disable, run now, delete (asks).

Workers read and write the store and ask the agent; they post messages and the handlers here
update the widgets. The list refreshes every REFRESH seconds, so a fire the agent records
shows up without a key press.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.schedules_ui import Listing, ScheduleService, compact_times
from igtk_tui.tui.widgets.key_hints import KeyHints

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from igtk_tui.tui.app import IgtkApp

REFRESH = 2.0  # seconds between re-reads of the schedules and their last fires


class ScheduleTable(DataTable[Any], inherit_bindings=False):
    """Moving keys from the registry ("schedule-table"); the screen's keys act on the cursor's row."""

    BINDINGS = bindings_for("schedule-table")


@dataclass
class SchedulesLoaded(Message):
    listing: Listing


@dataclass
class FiresLoaded(Message):
    name: str
    fires: list[Any]


@dataclass
class ScheduleDone(Message):
    """An action finished: what to tell the operator, and whether the list must be read again."""

    text: str
    severity: SeverityLevel = "information"
    reload: bool = True


class SchedulesScreen(RegistryChecks, Screen[None]):
    SCOPE = "schedules"
    AUTO_FOCUS = "#schedule-table"
    BINDINGS = bindings_for("schedules")
    if TYPE_CHECKING:
        app = getters.app(IgtkApp)

    def __init__(self) -> None:
        super().__init__(id="schedules")
        self.service: ScheduleService | None = None
        self.listing = Listing()

    def compose(self) -> ComposeResult:
        yield Static("Schedules  ·  playbooks that run on their own, fired by the agent",
                     id="schedules-title", markup=False)
        yield Static("", id="schedules-note", markup=False)
        yield ScheduleTable(id="schedule-table", cursor_type="row")
        yield Static("", id="schedule-detail", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        self.service = ScheduleService(self.app)
        table = self.query_one(ScheduleTable)
        for key, label in (("name", "name"), ("on", "on"), ("cron", "cron (zone)"), ("next", "next (local)"),
                           ("last", "last")):
            table.add_column(label, key=key)
        table.focus()
        self.reload()
        self.set_interval(REFRESH, self.reload)

    @property
    def selected(self) -> Any:
        table = self.query_one(ScheduleTable)
        if not self.listing.rows or table.cursor_row is None or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.listing.rows[row] if 0 <= row < len(self.listing.rows) else None

    def action_state(self) -> ActionState:
        return ActionState(screen="schedules", schedule_selected=self.selected is not None)

    # -- loading ----------------------------------------------------------------------------------------
    @work(group="schedules-load", exclusive=True, exit_on_error=False)
    async def reload(self) -> None:
        assert self.service is not None
        self.post_message(SchedulesLoaded(await self.service.listing()))

    def on_schedules_loaded(self, message: SchedulesLoaded) -> None:
        listing = message.listing
        table = self.query_one(ScheduleTable)
        keep = self.selected.schedule.name if self.selected is not None else None
        self.listing = listing
        table.clear()
        styles = getattr(self.app, "status_styles", {})
        for row in listing.rows:
            s, last = row.schedule, row.last
            last_text = Text(f"{last.outcome} {compact_times([last.due_at])}", style=styles.get(last.outcome, "")) \
                if last else Text("-")
            table.add_row(s.name, "yes" if s.enabled else "no", f"{s.cron} ({s.tz})",
                          compact_times(row.next_fires) if s.enabled else "-", last_text, key=s.name)
        names = [r.schedule.name for r in listing.rows]
        if keep in names:
            table.move_cursor(row=names.index(keep))
        self._note()
        self._describe()
        self.refresh_bindings()

    def _note(self) -> None:
        listing = self.listing
        if listing.error:
            text = f"schedules are not available: {listing.error}"
        elif not listing.rows:
            text = (f"no schedules yet: press {key_text(self.app, 'schedule-add')} to add one "
                    "(or `igtk schedule add NAME --cron EXPR PLAYBOOK`)")
        elif listing.agent_running:
            text = f"{len(listing.rows)} schedule(s); the agent is running and fires them"
        else:
            text = (f"{len(listing.rows)} schedule(s); no agent is running: they will not fire "
                    "(n runs one now and starts it; `igtk agent start`)")
        self.query_one("#schedules-note", Static).update(text)

    @on(DataTable.RowHighlighted, "#schedule-table")
    def _describe(self) -> None:
        row = self.selected
        self.query_one("#schedule-detail", Static).update(self._detail_head())
        if row is not None:
            self.load_fires(row.schedule.name)

    def _detail_head(self) -> str:
        row = self.selected
        if row is None:
            return ""
        s = row.schedule
        notify = ", ".join(s.notify) if s.notify else "[notify] default"
        params = " ".join(f"{k}={v}" for k, v in s.params.items()) or "-"
        return (f"{s.name}: {s.playbook}  params {params}  credential {s.credential or '-'}\n"
                f"overlap {s.overlap} · catch-up {s.catch_up} · gateway {s.gateway_url or '-'}"
                f"{' (lock)' if s.gateway_lock else ''} · notify on {s.notify_on or 'default'}: {notify}")

    @work(group="schedule-fires", exclusive=True, exit_on_error=False)
    async def load_fires(self, name: str) -> None:
        assert self.service is not None
        self.post_message(FiresLoaded(name, await self.service.fires(name, 3)))

    def on_fires_loaded(self, message: FiresLoaded) -> None:
        row = self.selected
        if row is None or row.schedule.name != message.name:
            return
        lines = [self._detail_head()]
        for fire in message.fires:
            ran = f" {fire.execution_id[:8]}" if fire.execution_id else ""
            lines.append(f"  {compact_times([fire.due_at])} {fire.kind} {fire.outcome}{ran} {fire.message or ''}")
        self.query_one("#schedule-detail", Static).update("\n".join(lines))

    # -- actions ------------------------------------------------------------------------------------------
    def action_add(self) -> None:
        from igtk_tui.tui.screens.schedule_form import ScheduleForm

        assert self.service is not None
        self.app.push_screen(ScheduleForm(self.service, None), self._saved)

    def action_edit(self) -> None:
        from igtk_tui.tui.screens.schedule_form import ScheduleForm

        row = self.selected
        if row is not None and self.service is not None:
            self.app.push_screen(ScheduleForm(self.service, row.schedule), self._saved)

    def _saved(self, result: Any) -> None:
        if result is None:
            return
        schedule, warnings = result
        for warning in warnings:
            self.app.notify(warning, title="Schedule", severity="warning", markup=False, timeout=10)
        self.app.notify(f"schedule {schedule.name} saved", title="Schedule", markup=False)
        self.reload()
        if schedule.enabled:
            self.ensure_agent()

    def action_toggle_enabled(self) -> None:
        row = self.selected
        if row is not None:
            self.set_enabled(row.schedule.name, not row.schedule.enabled)

    @work(group="schedule-action", exit_on_error=False)
    async def set_enabled(self, name: str, on: bool) -> None:
        assert self.service is not None
        try:
            await self.service.set_enabled(name, on)
        except Exception as exc:  # noqa: BLE001 - told, not raised
            self.post_message(ScheduleDone(f"{name}: {exc}", "error"))
            return
        self.post_message(ScheduleDone(f"schedule {name} {'enabled' if on else 'disabled'}"))
        if on:
            await self._ensure_agent()

    def action_run_now(self) -> None:
        row = self.selected
        if row is not None:
            self.run_now(row.schedule.name)

    @work(group="schedule-action", exit_on_error=False)
    async def run_now(self, name: str) -> None:
        assert self.service is not None
        try:
            answer = await self.service.run_now(name)
        except Exception as exc:  # noqa: BLE001
            self.post_message(ScheduleDone(f"run now {name}: {exc}", "error"))
            return
        outcome = answer.get("outcome")
        if outcome == "running":
            self.post_message(ScheduleDone(f"{name} started: execution {answer['execution_id'][:8]}"))
        else:
            severity: SeverityLevel = "warning" if outcome in ("queued", "skipped") else "error"
            self.post_message(ScheduleDone(f"{name} {outcome}: {answer.get('message') or ''}", severity))

    def action_delete(self) -> None:
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        row = self.selected
        if row is None:
            return
        name = row.schedule.name

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(name)

        self.app.push_screen(ConfirmScreen(f"Delete schedule {name}?", "Its fire records go with it; the "
                                           "executions it started stay in the history."), answered)

    @work(group="schedule-action", exit_on_error=False)
    async def delete(self, name: str) -> None:
        assert self.service is not None
        await self.service.delete(name)
        self.post_message(ScheduleDone(f"schedule {name} deleted"))

    @work(group="schedule-agent", exclusive=True, exit_on_error=False)
    async def ensure_agent(self) -> None:
        await self._ensure_agent()

    async def _ensure_agent(self) -> None:
        assert self.service is not None
        try:
            pid = await self.service.ensure_agent()
        except Exception as exc:  # noqa: BLE001
            self.post_message(ScheduleDone(f"the agent is not running, schedules will not fire: {exc}", "error"))
            return
        self.post_message(ScheduleDone(f"the agent (pid {pid}) fires the schedules", reload=True))

    def on_schedule_done(self, message: ScheduleDone) -> None:
        self.app.notify(message.text, title="Schedules", severity=message.severity, markup=False)
        if message.reload:
            self.reload()
