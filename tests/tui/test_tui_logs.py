"""The log pane: batched, capped, coalesced (never one UI message per line),
follow mode that pauses on scroll up and resumes on End, level and step
filters, search with n/N, and save to a file (scrubbed)."""

from __future__ import annotations

import time

from tui_helpers import library_ready, make_runtime, start_playbook, wait_for_message, wait_until

from igtk_tui import redact
from igtk_tui.engine.events import LogRecord
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded, ExecutionsUpdated
from igtk_tui.tui.render import Clock
from igtk_tui.tui.screens.prompt import PromptScreen
from igtk_tui.tui.viewmodel import ExecutionView, LogLine
from igtk_tui.tui.widgets.log_view import LogView, batch_width, line_width


async def test_a_chatty_run_is_coalesced_into_few_ui_updates(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/chatty.yaml")
        ended = await wait_for_message(pilot, messages, ExecutionEnded, timeout=30)
        assert ended.status == "completed"
        log = app.screen.query_one(LogView)
        await wait_until(pilot, lambda: any("chatty done" in line for line in log.lines))
        assert sum("of the chatty script" in line for line in log.lines) == 3000
        ticks = [m for m in messages if isinstance(m, ExecutionsUpdated) and view.id in m.changed]
        lines_per_tick = sum(len(m.logs.get(view.id, ())) for m in ticks)
        assert lines_per_tick >= 3000
        assert len(ticks) < 100, "the UI must be updated per tick, not per log line"
        assert app.executions.interval >= 0.25  # <= 4 Hz


async def test_the_cap_is_applied_and_stated(home) -> None:
    app = IgtkApp(make_runtime(home, log_max_lines=500))
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/chatty.yaml")
        await wait_until(pilot, lambda: not view.live, timeout=30)
        log = app.screen.query_one(LogView)
        await wait_until(pilot, lambda: any("chatty done" in line for line in log.lines))
        assert len(log.lines) == 500 and len(view.logs) == 500
        assert "cap 500" in app.screen.query_one("#logs-pane").border_subtitle


def _feed(app: IgtkApp, view: ExecutionView, count: int, *, step: str | None = "s1", level: str = "info",
          text: str = "line") -> None:
    """Engine events straight into a view, as the bus subscriber would deliver them."""
    for i in range(count):
        view.apply(LogRecord(view.id, step_id=step, level=level, message=f"{text} {i}", ts=time.time()))
    app.executions.touch(view.id)


async def test_follow_pauses_on_scroll_up_and_resumes_on_end(runtime) -> None:
    app = IgtkApp(runtime, open_services=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = ExecutionView("feed", 0, "feed", status="completed")
        app.executions.add_view(view)
        app.main_screen.select_execution("feed")
        log = app.screen.query_one(LogView)
        _feed(app, view, 200)
        await wait_until(pilot, lambda: len(log.lines) == 200)
        assert log.follow and log.scroll_y == log.max_scroll_y
        await pilot.press("3", "pageup")
        assert not log.follow
        _feed(app, view, 50, text="more")
        await wait_until(pilot, lambda: len(log.lines) == 250)
        assert log.unseen == 50 and log.scroll_y < log.max_scroll_y
        assert "PAUSED +50 new" in app.screen.query_one("#logs-pane").border_subtitle
        await pilot.press("end")
        await wait_until(pilot, lambda: log.follow and log.scroll_y == log.max_scroll_y)
        assert "FOLLOW" in app.screen.query_one("#logs-pane").border_subtitle


async def test_level_and_step_filters_and_search(runtime) -> None:
    app = IgtkApp(runtime, open_services=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = ExecutionView("feed", 0, "feed", status="completed")
        app.executions.add_view(view)
        app.main_screen.select_execution("feed")
        log = app.screen.query_one(LogView)
        _feed(app, view, 10, step="a", text="alpha")
        _feed(app, view, 5, step="b", level="warning", text="beta")
        _feed(app, view, 2, step="b", level="error", text="gamma")
        await wait_until(pilot, lambda: len(log.lines) == 17)
        await pilot.press("3", "l")  # info+
        assert len(log.lines) == 17
        await pilot.press("l")  # warning+
        assert len(log.lines) == 7
        await pilot.press("l")  # error
        assert len(log.lines) == 2 and all("gamma" in ln for ln in log.lines)
        await pilot.press("l")  # all again
        assert len(log.lines) == 17
        log.step_filter = "a"
        log.rerender()
        assert len(log.lines) == 10
        await pilot.press("f")  # toggles the step filter off
        assert log.step_filter is None and len(log.lines) == 17
        await pilot.press("slash")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"beta", "enter")
        await wait_until(pilot, lambda: log.search_term == "beta")
        assert log.match_index == 0
        await pilot.press("n")
        assert log.match_index == 1
        await pilot.press("N", "N")
        assert log.match_index == 4  # wrapped around the 5 matches
        assert "/beta 5/5" in app.screen.query_one("#logs-pane").border_subtitle


async def test_search_matches_follow_new_lines_and_the_cap(home) -> None:
    """The header's match count is kept up to date as lines arrive and old ones fall off
    the cap (without formatting every retained line at each tick), and n lands on a match."""
    app = IgtkApp(make_runtime(home, log_max_lines=30), open_services=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = ExecutionView("feed", 0, "feed", status="running")
        app.executions.add_view(view)
        app.main_screen.select_execution("feed")
        log = app.screen.query_one(LogView)
        _feed(app, view, 10, text="beta")
        await wait_until(pilot, lambda: len(log.lines) == 10)
        log.search("beta")
        assert "/beta 1/10" in log.describe()
        _feed(app, view, 15, text="gamma")
        _feed(app, view, 4, text="beta")
        await wait_until(pilot, lambda: log.last_seq == 29)
        assert len(log.lines) == 29 and "/beta 1/14" in log.describe()
        _feed(app, view, 6, text="gamma")  # 35 lines for a cap of 30: the first five betas go
        await wait_until(pilot, lambda: log.last_seq == 35)
        assert len(log.lines) == 30 and "/beta 1/9" in log.describe()
        for _ in range(9):
            await pilot.press("n")
            assert "beta" in log.lines[log._matches()[log.match_index]]


async def test_w_saves_the_whole_log_scrubbed(runtime, tmp_path) -> None:
    app = IgtkApp(runtime, open_services=False)
    redact.register("hunter2-canary-secret")
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = ExecutionView("feed", 0, "feed", status="completed")
        app.executions.add_view(view)
        app.main_screen.select_execution("feed")
        _feed(app, view, 3, text="token hunter2-canary-secret in")
        log = app.screen.query_one(LogView)
        await wait_until(pilot, lambda: len(log.lines) == 3)
        assert all("hunter2" not in line for line in log.lines)
        target = tmp_path / "saved.log"
        await pilot.press("3", "w")
        prompt = await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen)
        prompt.query_one("#prompt-input").value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists())
        text = target.read_text()
        assert text.count("\n") == 3 and "hunter2" not in text and redact.MASK in text


def test_line_width_is_the_formatted_lines_width_without_formatting_it() -> None:
    """The pane measures lines it has not formatted (for horizontal scrolling); the measure
    must match what is drawn: tabs expand, wide characters take two cells, levels vary."""
    from rich.cells import cell_len

    from igtk_tui.tui.widgets.line_view import clean_line

    stamp = Clock().stamp
    rows = [LogLine(1.7e9, "info", "check", "plain ascii"), LogLine(1.7e9, "critical", None, "x" * 90),
            LogLine(1.7e9, "warning", "parent/child", "tab\there"), LogLine(1.7e9, "info", None, "温度 ok")]
    for row in rows:
        assert line_width(row) == cell_len(clean_line(row.format(stamp))), row
    for batch in (rows, rows[:2], rows[1:2], rows[::-1]):  # mixed, then the all-ASCII one-pass path
        assert batch_width(batch) == max(map(line_width, batch))
