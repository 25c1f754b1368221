"""Every execution key of the contract, against the real engine in a real agent
(the TUI starts every run there): p, s, b, x (with its y/n), d, t, i, r, R, and the
debug pause that edits a step's parameters before resuming."""

from __future__ import annotations

from tui_helpers import (
    PLAYBOOKS,
    cancel_and_wait,
    library_ready,
    start_playbook,
    wait_for_message,
    wait_step,
    wait_until,
)

from igtk_tui.engine.events import ControlsChanged, ExecutionPaused, ExecutionResumed, StepReset
from igtk_tui.playbook.loader import load_file
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded
from igtk_tui.tui.screens.confirm import ConfirmScreen
from igtk_tui.tui.screens.debug_pause import DebugPauseScreen
from igtk_tui.tui.widgets.step_tree import StepTree


def engine_events(app: IgtkApp, execution_id: str) -> list:
    """Every later engine event of one execution, as the agent streamed it to this TUI."""
    found: list = []
    apply = app.executions.apply_remote

    def seen(given_id: str, event: object) -> None:
        if given_id == execution_id:
            found.append(event)
        apply(given_id, event)

    app.executions.apply_remote = seen  # type: ignore[method-assign]  # observes, then applies as before
    return found


async def test_p_pauses_and_resumes(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        events = engine_events(app, view.id)
        await wait_step(pilot, view, "wait", "running")
        await pilot.press("p")
        await wait_until(pilot, lambda: any(isinstance(e, ExecutionPaused) for e in events), what="paused")
        await wait_until(pilot, lambda: view.status == "paused")
        assert [e.reason for e in events if isinstance(e, ExecutionPaused)] == ["operator"]
        await pilot.press("p")
        await wait_until(pilot, lambda: any(isinstance(e, ExecutionResumed) for e in events), what="resumed")
        await wait_until(pilot, lambda: view.status == "running")
        await cancel_and_wait(pilot, app, view)


async def test_s_skips_the_running_step_and_x_cancels_after_yes(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        await pilot.press("s")
        await wait_step(pilot, view, "wait", "skipped")
        assert view.steps["wait"].reason == "operator"
        await wait_step(pilot, view, "wait_again", "running")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # no: still running
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert view.status == "running"
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        ended = await wait_for_message(pilot, messages, ExecutionEnded)
        assert ended.status == "cancelled"
        detail = await app.store.executions.get(view.id)
        assert detail.status == "cancelled"
        assert detail.step("wait").status == "skipped"


async def test_b_steps_back_to_the_previous_step(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        events = engine_events(app, view.id)
        await wait_step(pilot, view, "wait", "running")
        await pilot.press("b")
        await wait_until(pilot, lambda: [e.step_id for e in events if isinstance(e, StepReset)][:1] == ["wait"],
                         what="the running step reset")
        await wait_until(pilot, lambda: sum("starting the slow steps" in ln.text for ln in view.logs) == 2,
                         what="the previous step to run again")
        await cancel_and_wait(pilot, app, view)


async def test_d_toggles_debug_and_t_sets_a_breakpoint_that_pauses(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        events = engine_events(app, view.id)
        await wait_step(pilot, view, "wait", "running")
        await pilot.press("d")
        await wait_until(pilot, lambda: any(isinstance(e, ControlsChanged) and e.debug for e in events))
        await wait_until(pilot, lambda: view.debug)
        await pilot.press("d")
        await wait_until(pilot, lambda: not view.debug)
        # Select the step "second" in the steps pane and toggle a breakpoint on it.
        await pilot.press("2")
        tree = app.screen.query_one(StepTree)
        await wait_until(pilot, lambda: app.focused is tree)
        assert tree.selected_path == "wait"  # the cursor follows the running step (issue 14 item 12)
        await pilot.press("down")
        assert tree.selected_path == "second"
        await pilot.press("t")
        await wait_until(pilot, lambda: view.steps["second"].breakpoint, what="breakpoint mark")
        await wait_until(pilot, lambda: "●" in str(tree.cursor_node.label))
        await pilot.press("s")  # skip the wait: the run reaches the breakpoint
        await wait_until(pilot, lambda: view.pause is not None and view.pause.reason == "breakpoint")
        debug = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen) and app.screen,
                                 what="the debug view")
        assert "second" in str(debug.query_one("#debug-title").render())
        await pilot.press("p")  # resume from the debug view
        await wait_step(pilot, view, "second", "completed")
        await wait_until(pilot, lambda: not isinstance(app.screen, DebugPauseScreen))
        await cancel_and_wait(pilot, app, view)


async def test_debug_pause_edits_the_failing_steps_parameters_then_resumes(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 40), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "flows/failing.yaml", debug=True)
        # Debug mode pauses after each step first ("debug"), then on the failure.
        await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen)
                         and view.pause is not None and view.pause.reason == "debug"
                         and app.screen.pause is view.pause, what="the debug pause", timeout=30)
        await pilot.press("p")
        debug = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen)
                                 and view.pause is not None and view.pause.reason == "failure"
                                 and app.screen.pause is view.pause and app.screen.query("#debug-params")
                                 and app.screen, what="the failure pause", timeout=30)
        info = str(debug.query_one("#debug-info").render())
        assert "expected must be good" in info
        editor = debug.query_one("#debug-params")
        assert "expected: bad" in editor.text
        editor.text = editor.text.replace("expected: bad", "expected: [not, a, mapping")
        await pilot.press("ctrl+s")
        # invalid YAML is refused (waited for: the verdict renders after the key is handled)
        await wait_until(pilot, lambda: "✗" in str(debug.query_one("#debug-errors").render()), what="the refusal")
        editor.text = "params:\n  expected: good\nscript: |\n" + "".join(
            f"  {line}\n" for line in load_file(PLAYBOOKS / "flows" / "failing.yaml").step("check")
            .parameters["script"].splitlines())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "✓ saved params" in str(debug.query_one("#debug-errors").render()),
                         what="the saved parameters")
        await pilot.press("p")
        await wait_step(pilot, view, "check", "completed")
        # Still in debug mode: one more pause after the fixed step.
        await wait_until(pilot, lambda: view.pause is not None and view.pause.reason == "debug"
                         and isinstance(app.screen, DebugPauseScreen) and app.screen.pause is view.pause,
                         what="the pause after the fixed step", timeout=30)
        await pilot.press("p")
        ended = await wait_for_message(pilot, messages, ExecutionEnded, timeout=30)
        assert ended.status == "completed", view.error
        assert view.steps["check"].status == "completed"
        assert any("value is good" in ln.text for ln in view.logs)


async def test_i_opens_the_pause_view_for_an_operator_pause(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        await pilot.press("p")
        await wait_until(pilot, lambda: view.status == "paused", timeout=20)
        assert not isinstance(app.screen, DebugPauseScreen)  # an operator pause does not pop up
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DebugPauseScreen))
        assert view.status == "paused"  # closing the view does not resume
        await cancel_and_wait(pilot, app, view)


async def test_R_reruns_and_r_resumes_from_the_first_unfinished_step(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        first = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, first, "wait", "running")
        app.executions.control(first.id, "cancel")
        await wait_for_message(pilot, messages, ExecutionEnded, where=lambda m: m.execution_id == first.id)
        await pilot.press("r")  # resume the cancelled run at "wait": asks first, showing what and where
        confirm = await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        asked = "\n".join(str(w.render()) for w in confirm.query("Static"))
        assert "Resume" in asked and "from step wait" in asked and "utility/slow.yaml" in asked
        assert "gateway" in asked and "parameters" in asked
        await pilot.press("n")  # declined: nothing starts
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        assert list(app.executions.views) == [first.id]
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        resumed = await wait_until(pilot, lambda: [v for v in app.executions.views.values() if v.id != first.id])
        second = resumed[0]
        await wait_step(pilot, second, "wait", "running")
        await wait_until(pilot, lambda: app.main_screen.selected_id == second.id)  # the next UI tick selects it
        assert second.steps["first"].status == "completed"  # restored, not re-run
        assert not any("starting the slow steps" in ln.text for ln in second.logs)
        app.executions.control(second.id, "cancel")
        await wait_for_message(pilot, messages, ExecutionEnded, where=lambda m: m.execution_id == second.id)
        detail = await app.store.executions.get(second.id)
        assert detail.summary.resumed_from == first.id
        await pilot.press("R")  # rerun: a fresh execution, same parameters, no form (nothing missing)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        third = await wait_until(pilot, lambda: [v for v in app.executions.views.values()
                                                 if v.id not in (first.id, second.id)])
        await wait_step(pilot, third[0], "first", "completed")
        await cancel_and_wait(pilot, app, third[0])
        detail = await app.store.executions.get(third[0].id)
        assert detail.summary.rerun_of == second.id, (first.id, second.id, third[0].id)


async def test_a_debug_view_or_a_dialog_dismissed_twice_keeps_the_screens_under_it(runtime) -> None:
    """Issue 14 item 6: `p` pressed as the pause ended dismissed the debug view twice (ScreenStackError)."""
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        await pilot.press("p")
        await wait_until(pilot, lambda: view.status == "paused", timeout=20)
        await pilot.press("i")
        debug = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen) and app.screen)
        answers: list = []
        confirm = ConfirmScreen("Cancel this execution?")
        app.push_screen(confirm, answers.append)  # a dialog above the debug view
        await wait_until(pilot, lambda: app.screen is confirm)
        debug.action_back()  # asked while the confirm is on top: the confirm stays
        assert app.screen is confirm
        confirm.action_no()
        confirm.action_no()  # twice before the pop ran
        await wait_until(pilot, lambda: app.screen is debug and answers)
        await pilot.pause()
        assert answers == [False] and app.screen is debug
        debug.action_back()
        debug.action_back()  # a key and a stale tick in one turn
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.pause()
        assert app.screen is app.main_screen and app._exception is None
        assert view.status == "paused"
        await cancel_and_wait(pilot, app, view)


async def test_a_tui_crash_writes_its_report_and_leaves_the_run_going_in_the_agent(runtime) -> None:
    """A TUI bug is neither the operator's cancel nor the run's end: the agent keeps it running."""
    import pytest

    from igtk_tui.agent.client import AgentClient

    app = IgtkApp(runtime)
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=(100, 30)) as pilot:
            await library_ready(pilot, app)
            view = await start_playbook(pilot, app, "utility/slow.yaml")
            await wait_step(pilot, view, "wait", "running")
            app.call_later(lambda: 1 / 0)  # a bug in a handler
            await wait_until(pilot, lambda: not app.is_running, what="the crash to end the TUI")
    report = app.crash_report
    assert report is not None and report.is_file()
    with AgentClient.connect(runtime.paths) as client:
        (item,) = client.executions()
        assert item["id"] == view.id and item["status"] == "running"
        client.control(view.id, "cancel")


async def test_typing_in_the_debug_view_never_runs_letter_commands_and_the_script_reads_as_text(runtime) -> None:
    """Issue 14 item 10: typing `false` with the editor unfocused ran `s` and skipped the failed step."""
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "flows/failing.yaml", debug=True)
        await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen) and view.pause is not None
                         and view.pause.reason == "debug" and app.screen.pause is view.pause, timeout=30)
        await pilot.press("p")
        debug = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen)
                                 and view.pause is not None and view.pause.reason == "failure"
                                 and app.screen.pause is view.pause and app.screen.query("#debug-params")
                                 and app.screen, timeout=30)  # composed for this pause, editor included
        editor = debug.query_one("#debug-params")
        assert "script: |\n  if params[\"expected\"] != \"good\":\n" in editor.text  # readable, not "…\\n…"
        assert app.focused is not editor
        await pilot.press("f", "a", "l", "s", "e")
        await wait_until(pilot, lambda: "false" in editor.text, what="the typed text in the editor")
        assert app.focused is editor
        await pilot.press("tab")  # out of the editor, edits unsaved: letter commands are held back
        await wait_until(pilot, lambda: app.focused is not editor)
        await pilot.press("s")
        await wait_until(pilot, lambda: "unsaved" in str(debug.query_one("#debug-errors").render()))
        await pilot.pause()
        assert view.status == "paused" and view.steps["check"].status == "failed"  # not skipped
        await cancel_and_wait(pilot, app, view)


async def test_a_breakpoint_shows_the_variables_the_next_steps_read_secrets_masked(runtime) -> None:
    """The shipped breakpoint example says the pause shows the variables; it showed the message and
    an empty `{}` only, so `variable.recipe` could not be checked before it was applied."""
    folder = runtime.paths.user_playbooks_dir / "debugging"
    folder.mkdir(parents=True)
    (folder / "recipe.yaml").write_text(
        "name: Recipe check\nversion: 1\n"
        "parameters:\n  - {name: pin, type: string, secret: true, default: VarCanary-777}\n"
        "steps:\n"
        "  - {id: prepare, type: utility.set_variable, parameters: {name: recipe, value: {name: cola-330, speed: 1200}}}\n"
        "  - {id: keep_pin, type: utility.set_variable, parameters: {name: pin, value: '{{ parameter.pin }}'}}\n"
        "  - {id: inspect, type: debug.breakpoint, parameters: {message: check the recipe}}\n"
        "  - {id: apply, type: utility.log, parameters: {message: '{{ variable.recipe.name }}'}}\n")
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "debugging/recipe.yaml")
        debug = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen) and view.pause is not None
                                 and app.screen.query("#debug-info") and app.screen, what="the breakpoint", timeout=30)
        info = str(debug.query_one("#debug-info").render())
        assert "message: check the recipe" in info
        assert "variables:" in info and "name: cola-330" in info and "speed: 1200" in info, info
        assert "VarCanary-777" not in info and "pin: ••••" in info, info
        await cancel_and_wait(pilot, app, view)
