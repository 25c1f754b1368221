"""One recorded execution: summary, masked parameters, steps with attempts,
outputs and errors, the log tail and the artifacts. Rerun, resume, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from igtk_tui import redact
from igtk_tui.engine.events import RESUMABLE_STATUSES
from igtk_tui.timefmt import local_time
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.fit import shorten
from igtk_tui.tui.keymap import RegistryChecks, bindings_for
from igtk_tui.tui.render import Clock, elapsed, status_text
from igtk_tui.tui.screens.history import HistoryTable
from igtk_tui.tui.widgets.key_hints import KeyHints
from igtk_tui.tui.widgets.line_view import TextLines
from igtk_tui.tui.yamltext import readable_yaml

LOG_TAIL = 5000
ERROR_CELLS = 80  # the steps table's error column: the whole error is in the step box below

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp


def _yaml(value: Any) -> str:
    return redact.scrub(readable_yaml(value) if value not in (None, {}, []) else "(none)\n")


class ExecutionDetailScreen(RegistryChecks, Screen[None]):
    SCOPE = "detail"
    BINDINGS = bindings_for("detail")
    if TYPE_CHECKING:  # the app this runs in, for the type checker only (as Textual does)
        app = getters.app(IgtkApp)

    def __init__(self, execution_id: str) -> None:
        super().__init__(id="detail")
        self.execution_id = execution_id
        self.detail: Any = None

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="detail-summary", markup=False)
        with TabbedContent(id="detail-tabs"):
            with TabPane("Steps", id="tab-steps"):
                yield HistoryTable(id="detail-steps", cursor_type="row")
                with VerticalScroll(id="detail-step-box"):
                    yield Static("", id="detail-step", markup=False)
            with TabPane("Logs", id="tab-logs"):
                yield TextLines(id="detail-log")
            with TabPane("Parameters", id="tab-params"):
                with VerticalScroll():
                    yield Static("", id="detail-params", markup=False)
            with TabPane("Artifacts", id="tab-artifacts"):
                with VerticalScroll():
                    yield Static("", id="detail-artifacts", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one("#detail-steps", DataTable)
        for key in ("status", "step", "tries", "took", "error"):
            table.add_column(key, key=key)
        table.focus()
        self.load()

    @work(group="detail", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        store = getattr(self.app, "store", None)
        summary = self.query_one("#detail-summary", Static)
        if store is None:
            summary.update("History is not available (the database did not open).")
            return
        detail = await store.executions.get(self.execution_id, logs=LOG_TAIL)
        if detail is None:
            summary.update(f"Execution {self.execution_id} is not in the history.")
            return
        self.detail = detail
        self.show(detail)

    def show(self, detail: Any) -> None:
        s = detail.summary
        styles = getattr(self.app, "status_styles", {})
        head = Text()
        head.append_text(status_text(s.status, styles, width=11))
        head.append(f"  {s.playbook}  ·  {s.id}\n")
        head.append(f"started {local_time(s.started_at)}  took {elapsed(s.duration) or '-'}  by {s.trigger}"
                    f"  gateway {s.gateway_url or '-'}  failed steps {s.failed_steps}")
        if s.error:
            head.append(f"\nerror: {redact.scrub(s.error)}", style=styles.get("failed", ""))
        self.query_one("#detail-summary", Static).update(head)
        table = self.query_one("#detail-steps", DataTable)
        table.clear()
        for step in detail.steps:
            indent = "  " * step.path.count("/")
            name = f"{indent}{step.name}" + (" (rollback)" if step.role == "rollback" else "")
            table.add_row(status_text(step.status, styles, width=11), name,
                          str(step.attempts), elapsed(step.duration), shorten(redact.scrub(step.error or ""), ERROR_CELLS),
                          key=step.path)
        stamp = Clock().stamp
        tail_note = [f"(last {len(detail.logs)} of {detail.log_count} lines)"] if detail.log_count > len(detail.logs) else []
        self.query_one("#detail-log", TextLines).set_lines(tail_note + [
            redact.scrub(f"{stamp(ln.ts)} {ln.level.upper():<7}{f' [{ln.step}]' if ln.step else ''} {ln.message}")
            for ln in detail.logs])
        creds = f"credentials: {', '.join(detail.credentials)}\n" if detail.credentials else ""
        self.query_one("#detail-params", Static).update(creds + _yaml(detail.parameters))
        arts = "\n".join(f"{a.kind:<10} {a.step or '-':<20} {a.path}" for a in detail.artifacts)
        self.query_one("#detail-artifacts", Static).update(arts or "(no artifacts)")
        if detail.steps:
            self._show_step(detail.steps[0].path)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#detail-steps")
    def step_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self._show_step(str(event.row_key.value))

    def _show_step(self, path: str) -> None:
        if self.detail is None:
            return
        step = self.detail.step(path)
        if step is None:
            return
        lines = [f"{step.path}  ({step.type})  {step.status}"
                 + (f"  reason: {step.reason}" if step.reason else "")]
        for attempt in step.attempt_list:
            mark = "✓ ok" if attempt.ok else f"✗ {attempt.error}"
            lines.append(f"  attempt {attempt.n}: {mark}  {elapsed(attempt.duration)}")
        if step.error:
            lines.append(f"error: {step.error}")
        lines.append("output:")
        lines.append(_yaml(step.output).rstrip())
        self.query_one("#detail-step", Static).update(redact.scrub("\n".join(lines)))

    # -- actions ----------------------------------------------------------------------------------
    def action_state(self) -> ActionState:
        s = self.detail.summary if self.detail else None
        views = self.app.executions.views
        live = bool(s and s.id in views and views[s.id].live)
        return ActionState(screen="detail", resumable=bool(s and s.status in RESUMABLE_STATUSES and not live),
                           rerunnable=s is not None, deletable=bool(s and not live), reportable=s is not None)

    def action_rerun(self) -> None:
        self.app.rerun_execution(self.execution_id)
        self._to_main()

    def action_resume(self) -> None:
        self.app.resume_execution(self.execution_id)
        self._to_main()

    def _to_main(self) -> None:
        while len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_report(self) -> None:
        from igtk_tui.tui.report_action import ask_and_write

        ask_and_write(self, self.execution_id)

    def action_delete(self) -> None:
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete()

        self.app.push_screen(ConfirmScreen(f"Delete execution {self.execution_id[:8]}?",
                                           "Removes its record, logs and artifacts."), confirmed)

    @work(group="detail-delete", exit_on_error=False)
    async def delete(self) -> None:
        store = getattr(self.app, "store", None)
        if store is None:
            return
        deleted, problems = await store.executions.delete([self.execution_id])
        self.notify(f"deleted {len(deleted)} execution(s)" + (f"; {'; '.join(problems)}" if problems else ""),
                    markup=False)
        self.app.run_worker(self.app.refresh_last_results(), exit_on_error=False)
        from igtk_tui.tui.screens.history import HistoryScreen

        history = next((s for s in self.app.screen_stack if isinstance(s, HistoryScreen)), None)
        self.app.pop_screen()
        if history is not None:
            history.reload()
