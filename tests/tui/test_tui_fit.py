"""Small terminals (issue 14 item 12): at 80x24 and 60x20, and after resizes between 80x24,
120x40, 60x20 and back, the running step, the selected execution and the selected history row
stay in view; status text (elapsed, n/N, the debug marker, a pause, the step's retries,
sub-steps and countdown) is never cut: names are shortened first with `…`; a log line wider
than the pane ends in `…`."""

from __future__ import annotations

from typing import Any

import pytest
from snapshot_scenarios import T0, build_app, feed, populate
from tui_helpers import wait_until

from igtk_tui.engine.events import (
    ControlsChanged,
    ExecutionStarted,
    LogRecord,
    StepFinished,
    StepInfo,
    StepStarted,
    StepStatus,
)
from igtk_tui.tui.screens.history import HistoryScreen, HistoryTable
from igtk_tui.tui.widgets.executions_bar import ExecutionsBar
from igtk_tui.tui.widgets.log_view import LogView
from igtk_tui.tui.widgets.status_bar import StatusBar
from igtk_tui.tui.widgets.step_tree import StepTree

SIZES = [(80, 24), (120, 40), (60, 20), (80, 24), (60, 20), (120, 40), (80, 24)]
LONG = "Verify that the production line module answers on every configured gateway"


def rows_of(widget: Any) -> list[str]:
    """What the widget draws, line by line, as text (its public line API)."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def all_rows(pilot: Any, widget: Any) -> list[str]:
    """Every line of a scrolling widget, read page by page (then back to the top)."""
    out: list[str] = []
    top = 0
    while top < max(widget.virtual_size.height, 1):
        widget.scroll_to(y=top, animate=False, immediate=True)
        await pilot.pause()
        start = widget.scroll_offset.y
        out += rows_of(widget)[top - start:]
        top = start + widget.size.height
    widget.scroll_to(y=0, animate=False, immediate=True)
    return out


def _long_run(eid: str, steps: int) -> list[Any]:
    infos = tuple(StepInfo(f"s{i:02d}", f"s{i:02d}", f"Step {i:02d}: {LONG}", "utility.log") for i in range(steps))
    return [ExecutionStarted(eid, ts=T0, playbook="A very long playbook name for the production line upgrade",
                             playbook_path=None, playbook_hash="x", parameters={}, steps=infos)]


def _advance(app: Any, view: Any, upto: int) -> None:
    """Steps 0..upto-1 completed (2 tries each), step `upto` running."""
    eid = view.id
    for i in range(upto):
        path = f"s{i:02d}"
        if view.steps[path].status == "completed":
            continue
        for event in (StepStarted(eid, ts=T0 + i, step_id=path, attempt=2, max_attempts=3),
                      StepFinished(eid, ts=T0 + i + 0.5, step_id=path, status=StepStatus.COMPLETED, output={},
                                   error=None, attempts=2, duration=0.5)):
            app.executions.apply_remote(view.id, event)
    app.executions.apply_remote(eid, StepStarted(eid, ts=T0 + upto, step_id=f"s{upto:02d}", attempt=1, max_attempts=3))


def _nodes(node: Any) -> list[Any]:
    return [n for child in node.children for n in (child, *_nodes(child))]


def _in_view(widget: Any, line: int) -> bool:
    top = widget.scroll_offset.y
    return top <= line < top + widget.scrollable_content_region.height


async def _resize(pilot: Any, size: tuple[int, int]) -> None:
    await pilot.resize_terminal(*size)
    await pilot.pause()
    await pilot.pause()


async def test_the_running_step_and_the_selected_execution_stay_in_view_across_resizes(home) -> None:
    app = build_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.library_entries, what="the library")
        for n in range(9):  # enough executions that the short list must scroll
            feed(app, f"e-{n}", 0, f"Run {n}", _long_run(f"e-{n}", 3))
        view = feed(app, "e-big", 0, "Long", _long_run("e-big", 30))
        main = app.main_screen
        bar = main.query_one(ExecutionsBar)
        await wait_until(pilot, lambda: bar.option_count == 10, what="the executions list")
        bar.select_id(view.id)
        main.select_execution(view.id)
        tree = main.query_one(StepTree)
        for upto, size in zip((3, 12, 20, 24, 27, 28, 29), SIZES):
            _advance(app, view, upto)
            await _resize(pilot, size)
            running = f"s{upto:02d}"

            def shown(running: str = running) -> bool:
                node = next((n for n in _nodes(tree.root) if n.data == running), None)
                return node is not None and _in_view(tree, node.line) and _in_view(bar, bar.highlighted or 0)

            await wait_until(pilot, shown, what=f"step {running} and the execution in view at {size}")
            assert bar.selected_id == view.id


async def test_the_selected_history_row_stays_in_view_across_resizes(home, monkeypatch) -> None:
    from snapshot_scenarios import seed_many

    app = build_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.library_entries, what="the library")
        await seed_many(app, 60)
        await pilot.press("h")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await wait_until(pilot, lambda: len(screen.shown) == 60 and not screen.loading_page, what="the rows")
        table = screen.query_one(HistoryTable)
        table.move_cursor(row=45)
        for size in SIZES[1:]:
            await _resize(pilot, size)
            await wait_until(pilot, lambda: _in_view(table, table.cursor_row + 1),  # +1: the header row
                             what=f"history row 45 in view at {size}")
            assert table.cursor_row == 45


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_status_is_never_cut_names_are_shortened_first(home, size) -> None:
    app = build_app(home)
    async with app.run_test(size=size) as pilot:
        view = await populate(pilot)
        eid = view.id
        app.executions.apply_remote(eid, ControlsChanged(eid, ts=T0 + 41, debug=True, breakpoints=("verify",),
                                                         pause_requested=False))
        app.executions.apply_remote(eid, LogRecord(eid, ts=T0 + 41, step_id="verify", level="info", message=LONG * 2))
        main = app.main_screen
        tree, bar, log = main.query_one(StepTree), main.query_one(ExecutionsBar), main.query_one(LogView)
        await wait_until(pilot, lambda: "debug" in " ".join(rows_of(bar)), what="the debug marker")
        text = "\n".join(await all_rows(pilot, tree))
        for status in ("try 2/3", "11s", "3/3 sub", "29s", "3.1s", "0.4s", "20s"):
            assert status in text, (status, text)
        assert "…" in text  # the step names gave way
        selected = " ".join(rows_of(bar))  # the selected execution's status is all in view
        for status in ("#2", "paused", "2/4", "42s", "debug", "(breakpoint)"):
            assert status in selected, (status, selected)
        bar_text = " ".join(await all_rows(pilot, bar))
        for status in ("#1", "completed", "1/1", "1.3s"):
            assert status in bar_text, (status, bar_text)
        long_row = await wait_until(pilot, lambda: next((r for r in rows_of(log) if "[verify]" in r), None),
                                    what="the long log line")
        visible = long_row[:log.scrollable_content_region.width]
        assert visible.rstrip().endswith("…"), visible
        app.executions.apply_remote(eid, StepStarted(eid, ts=T0 + 41, step_id="report", attempt=1, max_attempts=1))
        feed(app, "e-9", 0, "Another", _long_run("e-9", 2)[:1] + [
            StepStarted("e-9", ts=T0 + 1, step_id="s00", attempt=1, max_attempts=1)])
        status = main.query_one(StatusBar)
        main.refresh_status()
        await pilot.pause()
        line = str(status.render())
        for part in ("running", "paused", "vault: open"):
            assert part in line, line


# -- the same defects elsewhere (issue 14 item 12, "look for the same class") ----------------------------
async def test_the_detail_marks_a_long_step_error_instead_of_cutting_it(home) -> None:
    from snapshot_scenarios import _ended

    from igtk_tui.engine.events import ExecutionStatus
    from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen

    error = "HTTP 503 from /data/api/v1/backup: " + "the gateway is restarting its modules " * 5
    app = build_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.library_entries, what="the library")
        store = await app.runtime.open_store()
        recorder = store.recorder()
        for event in _ended("c0ffee00-0000-4000-8000-000000000001", "Back up", T0, ExecutionStatus.FAILED, error,
                            3.0, "cli"):
            recorder(event)
        await recorder.close()
        app.store = store
        detail = ExecutionDetailScreen("c0ffee00-0000-4000-8000-000000000001")
        app.push_screen(detail)
        await wait_until(pilot, lambda: detail.detail is not None, what="the detail")
        cell = str(detail.query_one("#detail-steps").get_row_at(0)[4])
        assert cell.endswith("…") and error.startswith(cell[:-1]), cell


async def test_the_library_cursor_stays_in_view_across_resizes(runtime) -> None:
    from igtk_tui.tui.app import IgtkApp
    from igtk_tui.tui.widgets.playbook_tree import PlaybookTree

    folder = runtime.paths.user_playbooks_dir / "many"
    folder.mkdir(parents=True)
    for i in range(30):
        (folder / f"p{i:02d}.yaml").write_text(
            f"name: Playbook {i:02d}\nversion: 1\nsteps:\n  - {{id: a, type: utility.log, parameters: {{message: x}}}}\n")
    app = IgtkApp(runtime, open_services=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(app.library_entries) > 30, what="the library")
        tree = app.screen.query_one(PlaybookTree)
        tree.focus()
        await pilot.press("end")
        await wait_until(pilot, lambda: tree.cursor_line == tree.last_line, what="the last playbook")
        for size in ((80, 24), (60, 20), (120, 40), (60, 20)):
            await _resize(pilot, size)
            await wait_until(pilot, lambda: _in_view(tree, tree.cursor_line), what=f"the cursor in view at {size}")


async def test_a_following_log_still_shows_its_last_line_after_a_resize(home) -> None:
    app = build_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        view = await populate(pilot)
        for i in range(120):
            app.executions.apply_remote(view.id, LogRecord(view.id, ts=T0 + 41, step_id="verify", level="info",
                                                           message=f"line {i:03d}"))
        log = app.main_screen.query_one(LogView)
        await wait_until(pilot, lambda: any("line 119" in r for r in rows_of(log)), what="the last line")
        for size in ((80, 24), (60, 20), (120, 40), (80, 24)):
            await _resize(pilot, size)
            await wait_until(pilot, lambda: 0 < log.max_scroll_y == log.scroll_offset.y,
                             what=f"the log at its last line at {size}")
            assert log.follow


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40)], ids=["80x24", "60x20", "120x40"])
async def test_the_vault_pane_shows_whole_columns_never_one_cut_at_the_edge(home, size) -> None:
    from igtk_tui.tui.widgets.vault_list import COLUMNS, VaultList

    app = build_app(home)
    async with app.run_test(size=size) as pilot:
        await populate(pilot)
        table = app.main_screen.query_one(VaultList)
        await wait_until(pilot, lambda: table.row_count == 2, what="the credentials")
        await pilot.pause()
        visible = table.scrollable_content_region.width
        header = rows_of(table)[0][:visible].split()
        assert header and header[0] == "name" and all(word in COLUMNS for word in header), header
        for row, info in zip(rows_of(table)[1:3], app.vault_infos):
            cells = [info.name, info.type, info.username, info.gateway_url][:len(header)]
            assert row[:visible].split() == cells, row  # every cell whole


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_the_demo_banner_keeps_the_gateway_and_its_whole_token(runtime, size) -> None:
    from igtk_tui.tui.app import DemoInfo, IgtkApp

    token = "igtk:kWdOd7s1j-KdFwDj-jxaJyn-TK0TQtJK"  # as long as the demo's real one
    demo = DemoInfo("http://127.0.0.1:36013", token, "/tmp/igtk-demo-0123456789abcdef/state")
    app = IgtkApp(runtime, demo=demo, open_services=False)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.library_entries, what="the library")
        banner = app.screen.query_one("#demo-banner")
        await pilot.pause()
        text = " ".join(rows_of(banner))
        assert "DEMO" in text and "http://127.0.0.1:36013" in text and token in text, text


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_a_library_row_with_a_last_result_keeps_the_playbooks_name(runtime, size) -> None:
    """At 80x24 a verified playbook with a last result drew `… ✓ verified ✓ completed…`: the badges,
    never cut, had pushed the name out. The badges take their short form first (the glyphs say it)."""
    from igtk_tui.tui.app import IgtkApp
    from igtk_tui.tui.messages import LastResults
    from igtk_tui.tui.widgets.playbook_tree import PlaybookTree

    folder = runtime.paths.user_playbooks_dir / "examples"
    folder.mkdir(parents=True)
    (folder / "slow_demo.yaml").write_text(
        'name: "Example: slow demo (watch it live)"\nversion: 1\nverified: true\n'
        "steps:\n  - {id: a, type: utility.log, parameters: {message: x}}\n")
    app = IgtkApp(runtime, open_services=False)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: any(e.rel_path == "examples/slow_demo.yaml" for e in app.library_entries),
                         what="the library")
        tree = app.screen.query_one(PlaybookTree)
        app.main_screen.post_message(LastResults({"examples/slow_demo.yaml": {"status": "completed",
                                                                              "duration": 32.0, "id": "e-1"}}))
        row = await wait_until(pilot, lambda: next((r for r in rows_of(tree) if "32s" in r), None),
                               what="the row with its last result")
        assert "Example:" in row and "✓ 32s" in row, row  # the name first; the status in its short form
