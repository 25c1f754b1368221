"""The TUI as a client of the agent: a run started by `igtk run --detach` is shown
live with its step state and log backlog, paused, resumed and cancelled from the
TUI with its keys; leaving the TUI (q or SIGHUP) never touches it. A real agent
process on its real socket."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional" / "agent"))

from agent_helpers import AgentHandle, igtk, kind_is, wait_event, write_playbook  # noqa: E402
from tui_helpers import wait_until  # noqa: E402

from igtk_tui.tui.app import IgtkApp  # noqa: E402


def detached_run(agent: AgentHandle, folder: Path) -> str:
    execution_id = agent.detach(write_playbook(folder))
    wait_event(agent, execution_id, kind_is("step_started", step_id="nap"))
    return execution_id


async def test_an_agent_run_is_shown_live_with_its_backlog_and_driven_by_the_keys(
        runtime, agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = detached_run(agent, tmp_path)
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await wait_until(pilot, lambda: app.executions.views.get(execution_id), what="the agent's run")
        await wait_until(pilot, lambda: view.steps["nap"].status == "running", what="its step state")
        assert view.steps["a"].status == "completed" and view.status == "running"
        assert any("hello" in line.text for line in view.logs), "the log backlog from before we attached"
        app.main_screen.select_execution(execution_id)
        await pilot.press("p")
        await wait_until(pilot, lambda: view.status == "paused", what="paused in the agent")
        assert json.loads(igtk(agent.home, "ps", "--json").stdout)[0]["status"] == "paused"
        await pilot.press("p")
        await wait_until(pilot, lambda: view.status == "running", what="resumed")
        assert app.executions.control(execution_id, "cancel")
        await wait_until(pilot, lambda: view.status == "cancelled", what="cancelled in the agent")
    shown = json.loads(igtk(agent.home, "show", execution_id, "--json").stdout)
    assert shown["status"] == "cancelled"


async def test_sighup_leaves_the_agents_runs_running_and_q_asks_about_them(
        runtime, agent: AgentHandle, tmp_path: Path) -> None:
    from igtk_tui.tui.screens.quit import QuitScreen

    execution_id = detached_run(agent, tmp_path)
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: execution_id in app.executions.views, what="the agent's run")
        app._on_hangup(signal.SIGHUP)
        await wait_until(pilot, lambda: not app.is_running, what="the app to exit", timeout=30)
    (item,) = json.loads(igtk(agent.home, "ps", "--json").stdout)
    assert item["id"] == execution_id and item["status"] == "running"
    second = IgtkApp(runtime)  # a new TUI finds it again, still live
    async with second.run_test(size=(80, 24)) as pilot:
        view = await wait_until(pilot, lambda: second.executions.views.get(execution_id), what="the run again")
        await wait_until(pilot, lambda: view.steps["nap"].status == "running", what="its live state")
        second.main_screen.select_execution(execution_id)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(second.screen, QuitScreen), what="q to ask")
        await pilot.press("d")
        await wait_until(pilot, lambda: not second.is_running, what="d to leave", timeout=30)
    (item,) = json.loads(igtk(agent.home, "ps", "--json").stdout)
    assert item["status"] == "running"


async def test_a_debug_pause_in_the_agent_waits_for_the_tui_which_edits_and_resumes_it(
        runtime, agent: AgentHandle) -> None:
    from tui_helpers import PLAYBOOKS

    from igtk_tui.playbook.loader import load_file
    from igtk_tui.tui.screens.debug_pause import DebugPauseScreen

    failing = PLAYBOOKS / "flows" / "failing.yaml"
    execution_id = agent.detach(failing, "--debug")
    wait_event(agent, execution_id, kind_is("paused", reason="debug"))  # raised before any client attached
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 40)) as pilot:
        view = await wait_until(pilot, lambda: app.executions.views.get(execution_id), what="the agent's run")
        await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen) and view.pause is not None
                         and app.screen.pause is view.pause, what="the waiting debug pause", timeout=30)
        await pilot.press("p")
        debug = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen)
                                 and view.pause is not None and view.pause.reason == "failure"
                                 and app.screen.pause is view.pause and app.screen,
                                 what="the failure pause", timeout=30)
        editor = debug.query_one("#debug-params")
        script = load_file(failing).step("check").parameters["script"]
        editor.text = "params:\n  expected: good\nscript: |\n" + "".join(f"  {line}\n" for line in script.splitlines())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "✓ saved params" in str(debug.query_one("#debug-errors").render()),
                         what="the saved parameters")
        await pilot.press("p")
        await wait_until(pilot, lambda: view.steps["check"].status == "completed", what="the fixed step", timeout=30)
        assert app.executions.control(execution_id, "cancel")
        await wait_until(pilot, lambda: not view.live, what="the end", timeout=30)
    shown = json.loads(igtk(agent.home, "show", execution_id, "--json").stdout)
    check = next(s for s in shown["steps"] if s["id"] == "check")
    assert check["status"] == "completed"


async def test_two_tuis_attached_to_one_execution_see_each_others_controls(home: Path, agent: AgentHandle,
                                                                            tmp_path: Path) -> None:
    """Two operators, two TUIs, one run in the agent: a pause from one is seen by the other, which
    resumes it; a cancel from the second ends it for both."""
    from tui_helpers import make_runtime

    execution_id = detached_run(agent, tmp_path)
    first, second = IgtkApp(make_runtime(home)), IgtkApp(make_runtime(home))
    async with first.run_test(size=(80, 24)) as one, second.run_test(size=(80, 24)) as two:
        mine = await wait_until(one, lambda: first.executions.views.get(execution_id), what="the run in TUI 1")
        theirs = await wait_until(two, lambda: second.executions.views.get(execution_id), what="the run in TUI 2")
        await wait_until(two, lambda: theirs.steps["nap"].status == "running", what="its state in TUI 2")
        first.main_screen.select_execution(execution_id)
        await one.press("p")
        await wait_until(two, lambda: theirs.status == "paused", what="TUI 2 to see TUI 1's pause")
        second.main_screen.select_execution(execution_id)
        await two.press("p")
        await wait_until(one, lambda: mine.status == "running", what="TUI 1 to see TUI 2's resume")
        assert second.executions.control(execution_id, "cancel")
        await wait_until(one, lambda: mine.status == "cancelled", what="TUI 1 to see the cancel")
        await wait_until(two, lambda: theirs.status == "cancelled", what="TUI 2 to see the cancel")
        assert any("hello" in line.text for line in mine.logs) and any("hello" in line.text for line in theirs.logs)
    shown = json.loads(igtk(agent.home, "show", execution_id, "--json").stdout)
    assert shown["status"] == "cancelled"
