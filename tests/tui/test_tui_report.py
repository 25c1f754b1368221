"""The report action of the history and detail screens: `o` and the command palette ask
for the format (HTML by default) and write the selected execution's report (the same
document as `igtk report`) to its artifacts folder and say where, through the one
action registry."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from tui_helpers import library_ready, start_playbook, wait_until

from igtk_tui.tui import actions
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen
from igtk_tui.tui.screens.history import HistoryScreen
from igtk_tui.tui.screens.report_format import ReportFormatScreen


def test_the_report_action_is_registered_for_history_and_detail() -> None:
    action = actions.BY_ID["report"]
    assert (action.key, action.handler, action.scopes) == ("o", "report", ("history", "detail"))
    assert action.available(actions.ActionState(screen="history")) is None  # nothing selected: dimmed
    assert action.available(actions.ActionState(screen="history", reportable=True)) is True
    choices = {a.handler: a.key for a in actions.for_scope("report-format")}
    assert choices == {"choose('html')": "w", "choose('json')": "j", "choose('junit')": "u", "choose('md')": "m",
                       "write": "enter", "back": "escape"}


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
        await wait_until(pilot, lambda: isinstance(app.screen, ReportFormatScreen))
        await pilot.press("enter")  # HTML is the highlighted default
        await wait_until(pilot, lambda: _notified(app, f"report (passed): {report}"), what="the notification")
        html = report.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and view.id in html and "✓ PASSED" in html
        report.unlink()

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ExecutionDetailScreen) and app.screen.detail)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"write the execution's report")
        await wait_until(pilot, lambda: app.screen.query("CommandList").first().option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportFormatScreen))
        await pilot.press("enter")
        await wait_until(pilot, report.is_file, what="the report written from the palette")
        assert view.id in report.read_text(encoding="utf-8")


async def test_o_then_a_format_key_or_the_list_writes_that_format_and_esc_writes_none(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/quick.yaml")
        await wait_until(pilot, lambda: not view.live)
        folder = Path(runtime.paths.execution_artifacts(view.id))

        await pilot.press("h")
        history = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await wait_until(pilot, lambda: history.selected is not None and history.selected.id == view.id)

        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportFormatScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is history)
        assert not any(folder.glob("report.*"))

        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportFormatScreen))
        await pilot.press("u")  # JUnit by its key
        junit = folder / "report.xml"
        await wait_until(pilot, lambda: _notified(app, f"report (passed): {junit}"), what="the JUnit notification")
        assert any("JUnit XML report written" in str(n.title) for n in app._notifications)
        assert junit.read_text(encoding="utf-8").startswith('<?xml version="1.0"') and "<testsuites" in junit.read_text()

        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReportFormatScreen))
        await pilot.press("down", "down", "down", "enter")  # Markdown from the list
        markdown = folder / "report.md"
        await wait_until(pilot, lambda: _notified(app, f"report (passed): {markdown}"), what="the Markdown notification")
        text = markdown.read_text(encoding="utf-8")
        assert text.startswith("# Acceptance test report:") and view.id in text
        assert not (folder / "report.html").exists() and not (folder / "report.json").exists()
