"""The run flow through the real engine and store: library -> enter -> form ->
ctrl+r -> live steps and logs -> recorded history; the form validates exactly
as `igtk run` does (build_request) and says so at the field."""

from __future__ import annotations

from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded, ExecutionsUpdated
from igtk_tui.tui.screens.params_form import ParamsForm
from igtk_tui.tui.widgets.log_view import LogView
from igtk_tui.tui.widgets.playbook_tree import PlaybookTree
from igtk_tui.tui.widgets.step_tree import StepTree
from tests.support.tui import library_ready, select_playbook, wait_for_message, wait_until


async def test_run_a_playbook_from_the_library(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        tree = app.screen.query_one(PlaybookTree)
        assert tree.visible_count == len(app.library_entries) == 8
        await select_playbook(pilot, app, "utility/quick.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        assert form.query_one("#param-greeting").value == "hello"
        await pilot.press("ctrl+r")
        ended = await wait_for_message(pilot, messages, ExecutionEnded)
        assert ended.status == "completed"
        await wait_until(pilot, lambda: "the answer is 42" in "\n".join(app.screen.query_one(LogView).lines))
        view = app.executions.views[ended.execution_id]
        assert [s.status for s in view.steps.values()] == ["completed"] * 3
        steps = app.screen.query_one(StepTree)
        labels = [str(n.label) for n in steps.root.children]
        assert labels[0].startswith("✓ completed") and "Say hello" in labels[0]
        assert app.screen.selected_id == ended.execution_id
        # The store has it, with its steps (the recorder committed before the worker ended).
        detail = await app.store.executions.get(ended.execution_id)
        assert detail.status == "completed"
        assert [s.status for s in detail.steps] == ["completed"] * 3
        # The UI was updated in coalesced ticks, not once per event.
        ticks = [m for m in messages if isinstance(m, ExecutionsUpdated)]
        assert 1 <= len(ticks) <= app.executions.ticks


async def test_form_validates_like_the_cli_and_marks_the_field(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        await select_playbook(pilot, app, "utility/typed.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        await pilot.press("ctrl+r")
        error = form.query_one("#error-target")
        await wait_until(pilot, lambda: "missing required parameter" in str(error.render()))
        form.query_one("#param-target").value = "line-3"
        form.query_one("#param-count").value = "99"
        await pilot.press("ctrl+r")
        count_error = form.query_one("#error-count")
        await wait_until(pilot, lambda: "at most 10" in str(count_error.render()))
        assert str(error.render()) == ""  # the fixed field is cleared
        form.query_one("#param-count").value = "7"
        await pilot.press("ctrl+r")
        ended = await wait_for_message(pilot, messages, ExecutionEnded)
        assert ended.status == "completed"
        view = app.executions.views[ended.execution_id]  # as the agent ran it
        assert view.parameters["count"] == 7  # coerced to the declared type
        assert view.parameters["enabled"] is True


async def test_invalid_playbook_shows_its_problems_and_never_opens_the_form(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await library_ready(pilot, app)
        await select_playbook(pilot, app, "flows/broken.yaml")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("unknown step type" in n.message for n in app._notifications))
        assert not isinstance(app.screen, ParamsForm)


async def test_nested_playbook_shows_child_steps_as_a_tree(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        await select_playbook(pilot, app, "flows/nested.yaml")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm))
        await pilot.press("ctrl+r")
        ended = await wait_for_message(pilot, messages, ExecutionEnded)
        assert ended.status == "completed"
        view = app.executions.views[ended.execution_id]
        assert view.steps["child"].children == ["child/hello", "child/remember", "child/report"]
        tree = app.screen.query_one(StepTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 3 and len(tree.root.children[1].children) == 3
                         and "3/3 sub" in str(tree.root.children[1].label))
        parent_label = str(tree.root.children[1].label)
        assert "3/3 sub" in parent_label


async def test_boolean_switches_read_on_or_off_in_a_plain_capture(runtime) -> None:
    """Issue 14 item 14: the slider showed its state by colour alone (nothing with NO_COLOR)."""
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        await select_playbook(pilot, app, "utility/typed.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen.query("#run")
                                and app.screen)
        debug_switch = form.query_one("#opt-debug")
        assert str(debug_switch.render()) == "○ off"
        assert str(form.query_one("#param-enabled").render()) == "● on"  # a boolean parameter, default true
        debug_switch.focus()
        await pilot.press("space")
        await wait_until(pilot, lambda: debug_switch.value)
        await pilot.pause()
        assert str(debug_switch.render()) == "● on"
        assert "●\xa0on" in app.export_screenshot().replace("&#160;", "\xa0")  # what reaches the terminal
