"""What the TUI tells a new operator (issue 14 item 16): how to quit on ctrl+c, which key adds
the first item of an empty list, the only credential preselected, gateway URLs checked."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Input, Select, Static

from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded
from igtk_tui.tui.screens.history import HistoryScreen
from igtk_tui.tui.screens.params_form import ParamsForm
from igtk_tui.tui.screens.vault import VaultScreen
from tests.support.tui import library_ready, make_runtime, select_playbook, wait_for_message, wait_until


def notices(app: IgtkApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_ctrl_c_says_how_to_quit_and_keeps_running(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: any("to quit" in n for n in notices(app)), what="a quit hint")
        assert app.is_running
        assert any(n.startswith("Press q ") for n in notices(app)), notices(app)


async def test_an_empty_vault_says_which_key_adds_the_first_credential(home, fast_kdf) -> None:
    app = IgtkApp(make_runtime(home, vault=True))
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "open")
        pane_note = app.screen.query_one("#vault-note", Static)
        await wait_until(pilot, lambda: "press a (on this pane) to add the first" in str(pane_note.render()))
        assert pane_note.display
        await pilot.press("v")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, VaultScreen) and app.screen)
        note = screen.query_one("#vault-screen-note", Static)
        assert "no credentials yet" in str(note.render()) and "press a to add the first" in str(note.render())


async def test_an_empty_history_says_how_to_run_the_first_execution(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("h")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        count = screen.query_one("#history-count", Static)
        await wait_until(pilot, lambda: "No executions recorded yet" in str(count.render()))
        assert "press esc, pick a playbook and press ⏎ to run the first" in str(count.render())
        await pilot.press("S")  # a filter that matches nothing keeps the plain count
        await wait_until(pilot, lambda: screen.status is not None and not screen.loading_page)
        await wait_until(pilot, lambda: str(count.render()).startswith("0 shown of 0 loaded"))


async def test_the_only_credential_is_preselected_in_the_parameters_form(home, fast_kdf) -> None:
    from igtk_tui.vault import Credential, Vault

    runtime = make_runtime(home, vault=True)
    Vault.open(runtime.paths, env=runtime.env, backend="file").add(
        Credential("plant-gw", "basic", "operator7", "pw-canary-123", "http://gw:8088"))
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 40), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "open")
        await select_playbook(pilot, app, "flows/with_credential.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        assert form.query_one("#param-gateway", Select).value == "plant-gw"
        await pilot.press("ctrl+r")  # runs without touching the field
        ended = await wait_for_message(pilot, messages, ExecutionEnded)
        assert ended.status == "completed", app.executions.views[ended.execution_id].error


async def test_the_credential_form_rejects_a_gateway_url_that_is_not_one(home, fast_kdf) -> None:
    from igtk_tui.tui.screens.credential_form import CredentialForm

    app = IgtkApp(make_runtime(home, vault=True))
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "open")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, VaultScreen))
        await pilot.press("a")
        form = await wait_until(pilot, lambda: isinstance(app.screen, CredentialForm) and app.screen)
        for wid, value in (("#cred-name", "plant-gw"), ("#cred-username", "operator7"),
                           ("#cred-secret", "pw-canary-123"), ("#cred-url", "gw01:8088")):
            form.query_one(wid, Input).value = value
        form.query_one("#cred-url", Input).focus()
        await pilot.press("enter")
        error = form.query_one("#cred-error", Static)
        await wait_until(pilot, lambda: "gateway URL" in str(error.render()))
        assert "must look like http://host:8088" in str(error.render())
        assert app.screen is form and app.vault_infos == []  # nothing stored
        form.query_one("#cred-url", Input).value = "http://gw01:8088"
        await pilot.press("enter")
        await wait_until(pilot, lambda: [c.name for c in app.vault_infos] == ["plant-gw"], timeout=20)
        assert app.vault_infos[0].gateway_url == "http://gw01:8088"


async def test_help_is_searched_with_slash_and_esc_clears_then_closes(runtime) -> None:
    from igtk_tui.tui.screens.help import HelpScreen

    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("question_mark")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        table = screen.query_one("#help-table", Static)

        def plain(widget: Static) -> str:  # the rich Table the help shows, as text
            console = Console(width=200, record=True, file=io.StringIO())
            console.print(widget.content)
            return console.export_text()

        assert "Credential vault" in plain(table) and "Zoom the focused pane" in plain(table)
        await pilot.press("slash", *"vault")
        await wait_until(pilot, lambda: "Zoom the focused pane" not in plain(table))
        shown = plain(table)
        assert "Credential vault" in shown and "Add a credential" in shown
        await pilot.press("escape")  # clears the search, the help stays
        await wait_until(pilot, lambda: "Zoom the focused pane" in plain(table))
        assert app.screen is screen and not screen.query_one("#help-filter").display
        await pilot.press("slash", *"zzzq")
        await wait_until(pilot, lambda: "no key or action matches 'zzzq'" in plain(table))
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help to close")
