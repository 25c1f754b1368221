"""The main screen's keys that act on the selected execution: pause / resume, skip, step
back, cancel (asks), debug, breakpoint, inspect, resume and rerun. Each goes through the
execution service (in-process runs and the agent's alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp
    from igtk_tui.tui.viewmodel import ExecutionView


class ExecutionKeys:
    """Mixin for MainScreen (listed before Screen): it provides `selected_id`, `selected_view`,
    and `selected_step_path`."""

    if TYPE_CHECKING:
        app: IgtkApp
        selected_id: str | None

        @property
        def selected_view(self) -> ExecutionView | None: ...

        def selected_step_path(self) -> str | None: ...

    def _control(self, action: str, *args: Any) -> None:
        if not self.app.executions.control(self.selected_id, action, *args):
            self.app.notify("No running execution selected", severity="warning")

    def action_pause(self) -> None:
        view = self.selected_view
        if view is None:
            return
        resume = view.status == "paused" or view.pause_requested
        self._control("resume" if resume else "pause")

    def action_skip(self) -> None:
        self._control("skip")

    def action_step_back(self) -> None:
        self._control("step_back")

    def action_cancel(self) -> None:
        view = self.selected_view
        if view is None or not view.live:
            return
        execution_id = view.id

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.executions.control(execution_id, "cancel")

        from igtk_tui.tui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(f"Cancel execution #{view.seq} ({view.playbook})?",
                                           "The step in flight is interrupted; cleanup still runs."), answered)

    def action_debug(self) -> None:
        view = self.selected_view
        if view is not None:
            self._control("set_debug", not view.debug)

    def action_breakpoint(self) -> None:
        path = self.selected_step_path()
        if path:
            self._control("toggle_breakpoint", path)

    def action_inspect(self) -> None:
        view = self.selected_view
        if view is None or view.pause is None:
            return
        from igtk_tui.tui.screens.debug_pause import DebugPauseScreen

        self.app.push_screen(DebugPauseScreen(view.id))

    def action_resume(self) -> None:
        view = self.selected_view
        if view is not None:
            self.app.resume_execution(view.id)

    def action_rerun(self) -> None:
        view = self.selected_view
        if view is not None:
            self.app.rerun_execution(view.id)

