"""The `:` commands that take an argument (issue 18 item 4) live in the one action registry
with their ids, help text and argument: the help and the palette list them, and the command
line dispatches them like every other action (where the action applies, when available)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Input, Static
from tui_helpers import library_ready, wait_until

from igtk_tui.tui import actions
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.screens.help import HelpScreen
from igtk_tui.tui.screens.history import HistoryScreen
from igtk_tui.tui.screens.prompt import PromptScreen

ARGUMENT_COMMANDS = {"w": "FILE", "theme": "NAME", "run": "PLAYBOOK", "filter": "TEXT"}


def _plain(widget: Static) -> str:
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.export_text()


def test_every_command_with_an_argument_is_a_registry_action() -> None:
    for name, metavar in ARGUMENT_COMMANDS.items():
        action = actions.command(name)
        assert action is not None and action.argument == metavar, name
        assert action.description and action.group
    assert actions.command("q!") is not None and actions.command("q!").id == "quit-now"
    assert actions.command("run").id == "run-playbook" and actions.command("open").id == "run-open"


def test_the_command_line_has_no_command_of_its_own() -> None:
    """Dispatch goes through the registry: no name-by-name branch, no list of extra names."""
    import inspect

    from igtk_tui.tui import command_line

    source = inspect.getsource(command_line)
    for name in ("\"theme\"", "\"run\"", "\"filter\"", "\"q!\"", "\"w\"", "ARG_COMMANDS"):
        assert name not in source, name


async def test_help_lists_the_commands_with_their_argument(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(120, 50)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("question_mark")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        text = _plain(screen.query_one("#help-table", Static))
        for name, metavar in ARGUMENT_COMMANDS.items():
            assert f":{name} {metavar}" in text, name
        assert ":q!" in text


async def test_the_palette_offers_a_command_with_an_argument_and_asks_for_it(runtime) -> None:
    from igtk_tui.tui.palette import ActionsProvider

    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        commands = {title: run for title, _help, run in ActionsProvider(app.screen)._commands()}
        title = next(t for t in commands if t.startswith("App: Switch the theme"))
        commands[title]()
        prompt = await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.query(Input)
                                  and app.screen)
        field = prompt.query_one(Input)
        assert field.value == "theme "
        await pilot.press(*"monochrome", "enter")
        await wait_until(pilot, lambda: app.theme == "monochrome", what="the theme switch")


async def test_colon_filter_filters_where_slash_does(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("h")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await pilot.press("colon", *"filter nosuchrun", "enter")
        await wait_until(pilot, lambda: screen.text == "nosuchrun", what="the history's text filter")
        assert screen.query_one("#history-text", Input).value == "nosuchrun"
