"""The report action of the history and detail screens: `o` and the command palette write
the selected execution's HTML report (the same document as `igtk report`) to its
artifacts folder and say where, through the one action registry."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from tui_helpers import library_ready, start_playbook, wait_until

from igtk_tui.tui import actions
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen
from igtk_tui.tui.screens.history import HistoryScreen


def test_the_report_action_is_registered_for_history_and_detail() -> None:
    action = actions.BY_ID["report"]
    assert (action.key, action.handler, action.scopes) == ("o", "report", ("history", "detail"))
    assert action.available(actions.ActionState(screen="history")) is None  # nothing selected: dimmed
    assert action.available(actions.ActionState(screen="history", reportable=True)) is True


def _notified(app: IgtkApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_o_in_history_and_the_palette_in_detail_write_the_html_report(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/quick.yaml")
        await wait_until(pilot, lambda: not view.live)
        report = Path(runtime.paths.execution_artifacts(view.id)) / "report.html"
        assert not report.exists()

        await pilot.press("h")
        history = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await wait_until(pilot, lambda: history.selected is not None and history.selected.id == view.id)
        await pilot.press("o")
        await wait_until(pilot, lambda: _notified(app, f"report (passed): {report}"), what="the notification")
        html = report.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and view.id in html and "✓ PASSED" in html
        report.unlink()

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ExecutionDetailScreen) and app.screen.detail)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"html report")
        await wait_until(pilot, lambda: app.screen.query("CommandList").first().option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, report.is_file, what="the report written from the palette")
        assert view.id in report.read_text(encoding="utf-8")
