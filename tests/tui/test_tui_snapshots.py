"""SVG snapshots at 80x24 and 120x40 (the main screen at 60x20 too): the main screen mid-run (nested steps,
a retry, a breakpoint mark, logs of each level), the parameter form, the debug
pause with a browser failure, the help, history and vault screens, and the
themes that matter in a control room. Regenerate with --snapshot-update and
review snapshot_report.html."""

from __future__ import annotations

import pytest
from snapshot_scenarios import build_app, populate, quiet, seed_history
from tui_helpers import select_playbook, wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SMALL = [pytest.param((60, 20), id="60x20"), *SIZES]


@pytest.mark.parametrize("size", SMALL)
def test_main_screen_mid_run(snap_compare, home, size) -> None:
    async def run_before(pilot) -> None:
        await populate(pilot)
        await quiet(pilot)

    assert snap_compare(build_app(home), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_parameter_form(snap_compare, home, size) -> None:
    from igtk_tui.tui.screens.params_form import ParamsForm

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: app.library_entries)
        await select_playbook(pilot, app, "utility/typed.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        form.query_one("#param-count").value = "99"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "at most 10" in str(form.query_one("#error-count").render()))
        await quiet(pilot)

    assert snap_compare(build_app(home), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_debug_pause_with_browser_failure(snap_compare, home, size) -> None:
    from igtk_tui.tui.screens.debug_pause import DebugPauseScreen

    async def run_before(pilot) -> None:
        await populate(pilot, with_failure=True, inspect=True)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, DebugPauseScreen))
        await quiet(pilot)

    assert snap_compare(build_app(home), terminal_size=size, run_before=run_before)


def test_help_screen(snap_compare, home) -> None:
    from igtk_tui.tui.screens.help import HelpScreen

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.library_entries)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))

    assert snap_compare(build_app(home), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_history_screen(snap_compare, home, size, monkeypatch) -> None:
    import time

    from igtk_tui.tui.screens.history import HistoryScreen

    monkeypatch.setenv("TZ", "UTC")  # the started column is local time
    time.tzset()

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.library_entries)
        await seed_history(pilot.app)
        await pilot.press("h")
        screen = await wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and pilot.app.screen)
        await wait_until(pilot, lambda: len(screen.shown) == 5 and not screen.loading_page)
        await quiet(pilot)

    try:
        assert snap_compare(build_app(home), terminal_size=size, run_before=run_before)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_vault_screen(snap_compare, home) -> None:
    from igtk_tui.tui.screens.vault import VaultScreen

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.library_entries)
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VaultScreen))
        await quiet(pilot)

    assert snap_compare(build_app(home), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("theme", ["igtk-light", "high-contrast", "monochrome", "terminal"])
def test_themes_main_screen(snap_compare, home, theme) -> None:
    async def run_before(pilot) -> None:
        await populate(pilot)
        await quiet(pilot)

    assert snap_compare(build_app(home, theme=theme), terminal_size=(80, 24), run_before=run_before)
