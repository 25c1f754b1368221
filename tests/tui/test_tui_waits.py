"""The long-wait countdown in the running step's line (issue 14 note): it falls with the
clock between progress events, stands still while the execution is paused (paused time
does not count against the step's timeout) and goes on from there after the resume."""

from __future__ import annotations

from typing import Any

from snapshot_scenarios import build_app
from tui_helpers import wait_until

from igtk_tui.engine.events import (
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStarted,
    StepInfo,
    StepStarted,
    StepWaiting,
)
from igtk_tui.tui.render import Clock, step_label
from igtk_tui.tui.viewmodel import ExecutionView
from igtk_tui.tui.widgets.step_tree import StepTree

T = 1_767_225_600.0


def _waiting_view() -> ExecutionView:
    view = ExecutionView("e", 1, "Restart")
    for event in (
        ExecutionStarted("e", ts=T - 20, playbook="Restart", playbook_path=None, playbook_hash="h", parameters={},
                         steps=(StepInfo("restart", "restart", "Restart the gateway", "gateway.restart"),)),
        StepStarted("e", ts=T - 10, step_id="restart", attempt=1, max_attempts=1),
        StepWaiting("e", ts=T, step_id="restart", what="the gateway to be RUNNING", waited=10.0, timeout=60.0,
                    last="STARTING"),
    ):
        view.apply(event)
    return view


def _left(view: ExecutionView, now: float) -> str:
    text = step_label(view.steps["restart"], view, now).plain
    return text.split("  ")[-1]


def test_the_countdown_stands_still_while_paused_and_goes_on_after_the_resume() -> None:
    view = _waiting_view()
    assert _left(view, T + 1) == "49 s left: STARTING"
    view.apply(ExecutionPaused("e", ts=T + 5, step_id="restart", reason="operator"))
    assert _left(view, T + 5) == "45 s left: STARTING"
    assert _left(view, T + 25) == "45 s left: STARTING"  # 20 s paused: nothing spent
    view.apply(ExecutionResumed("e", ts=T + 30))
    assert _left(view, T + 30) == "45 s left: STARTING"
    assert _left(view, T + 31) == "44 s left: STARTING"


class MovingClock(Clock):
    def __init__(self, at: float) -> None:
        self.at = at
        super().__init__(now=lambda: self.at)


async def test_the_steps_pane_shows_the_countdown_frozen_during_a_pause(home) -> None:
    app = build_app(home)
    clock = MovingClock(T + 1)
    app.clock = clock
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.library_entries, what="the library")
        view = _waiting_view()
        app.executions.add_view(view)
        main = app.main_screen
        main.select_execution(view.id)
        tree = main.query_one(StepTree)

        def line() -> str:
            node: Any = next(iter(tree.root.children))
            return str(tree.render_label(node, tree.rich_style, tree.rich_style).plain)

        await wait_until(pilot, lambda: "49 s left" in line(), what="the countdown")
        view.apply(ExecutionPaused("e", ts=T + 5, step_id="restart", reason="operator"))
        clock.at = T + 40
        main.theme_changed()  # redraw every label now (as any change of the execution would)
        await pilot.pause()
        assert "45 s left: STARTING" in line(), line()
        view.apply(ExecutionResumed("e", ts=T + 50))
        clock.at = T + 53
        main.theme_changed()
        await pilot.pause()
        assert "42 s left: STARTING" in line(), line()
