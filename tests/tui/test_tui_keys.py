"""The navigation and app keys of the contract (/, :, ?, ctrl+p, 1-4, e, [, ],
z, h, v, esc, q), keymap remapping by binding id, and the registry's own
rules (every key registered, implemented, reliable over SSH)."""

from __future__ import annotations

import inspect

import pytest
from textual.command import CommandPalette
from tui_helpers import (
    cancel_and_wait,
    library_ready,
    make_runtime,
    start_playbook,
    wait_for_message,
    wait_step,
    wait_until,
)

from igtk_tui.tui import actions
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded
from igtk_tui.tui.screens.confirm import ConfirmScreen
from igtk_tui.tui.screens.help import HelpScreen
from igtk_tui.tui.screens.history import HistoryScreen
from igtk_tui.tui.screens.prompt import PromptScreen
from igtk_tui.tui.screens.vault import VaultScreen
from igtk_tui.tui.widgets.executions_bar import ExecutionsBar
from igtk_tui.tui.widgets.log_view import LogView
from igtk_tui.tui.widgets.playbook_tree import PlaybookTree
from igtk_tui.tui.widgets.step_tree import StepTree
from igtk_tui.tui.widgets.vault_list import VaultList

CONTRACT = {
    "run-open": "enter", "pause": "p", "skip": "s", "step-back": "b", "cancel": "x", "debug": "d",
    "breakpoint": "t", "resume": "r", "rerun": "R", "filter": "slash", "command-line": "colon",
    "help": "question_mark", "command-palette": "ctrl+p", "focus-library": "1", "focus-steps": "2",
    "focus-logs": "3", "focus-vault": "4", "zoom": "z", "history": "h", "vault": "v", "back": "escape",
    "quit": "q",
}


# -- the registry -----------------------------------------------------------------------------------
def test_every_contract_key_is_registered_with_its_default() -> None:
    for action_id, key in CONTRACT.items():
        assert actions.BY_ID[action_id].key.split(",")[0] == key, action_id


def test_no_action_relies_only_on_keys_ssh_cannot_deliver() -> None:
    for action in actions.ACTIONS:
        assert actions.key_is_reliable(action.key) or not action.key, action.id  # no key: a `:` command
    assert not actions.key_is_reliable("alt+x")
    assert not actions.key_is_reliable("ctrl+m,ctrl+shift+k")
    assert actions.key_is_reliable("ctrl+m,f5")


def test_every_registered_action_is_implemented_where_it_is_bound() -> None:
    from igtk_tui.tui.screens.confirm import ConfirmScreen
    from igtk_tui.tui.screens.credential_form import CredentialForm
    from igtk_tui.tui.screens.debug_pause import DebugPauseScreen
    from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen
    from igtk_tui.tui.screens.fleet import FleetScreen
    from igtk_tui.tui.screens.fleet_form import FleetForm
    from igtk_tui.tui.screens.fleets import FleetRunsScreen
    from igtk_tui.tui.screens.gateway_form import GatewayForm
    from igtk_tui.tui.screens.history import HistoryTable
    from igtk_tui.tui.screens.inventory import InventoryScreen
    from igtk_tui.tui.screens.main import MainScreen
    from igtk_tui.tui.screens.params_form import ParamsForm
    from igtk_tui.tui.screens.quit import QuitScreen
    from igtk_tui.tui.screens.report_format import ReportFormatScreen
    from igtk_tui.tui.screens.schedule_form import ScheduleForm
    from igtk_tui.tui.screens.schedules import SchedulesScreen, ScheduleTable
    from igtk_tui.tui.screens.unlock import UnlockScreen
    from igtk_tui.tui.widgets.field import Field

    owners: dict[str, tuple[type, ...]] = {
        "app": (IgtkApp,), "main": (MainScreen,), "history": (HistoryScreen,), "detail": (ExecutionDetailScreen,),
        "log": (LogView,), "vault-list": (VaultList,), "params": (ParamsForm,), "debug": (DebugPauseScreen,),
        "confirm": (ConfirmScreen,), "help": (HelpScreen,), "prompt": (PromptScreen,), "unlock": (UnlockScreen,),
        "credential": (CredentialForm,), "vault": (VaultScreen,), "tree": (PlaybookTree, StepTree),
        "executions": (ExecutionsBar,), "history-table": (HistoryTable,),
        "report-format": (ReportFormatScreen,), "fleets": (FleetRunsScreen,), "fleet": (FleetScreen,),
        "inventory": (InventoryScreen,), "gateway-form": (GatewayForm,), "quit": (QuitScreen,),
        "schedules": (SchedulesScreen,), "schedule-table": (ScheduleTable,), "schedule-form": (ScheduleForm,),
        "field": (Field,), "fleet-form": (FleetForm,)}
    for action in actions.ACTIONS:
        handler = action.handler.split("(", 1)[0]
        for scope in action.scopes:
            for owner in owners[scope]:
                if scope == "app" and handler == "command_palette":
                    continue  # Textual's own action, bound by our registry entry
                assert hasattr(owner, f"action_{handler}"), f"{owner.__name__} lacks action_{handler} ({action.id})"
                assert not action.key or any(b.id == action.id for b in owner.BINDINGS if hasattr(b, "id")), (scope, action.id)


def test_every_binding_of_a_widget_or_screen_comes_from_the_registry() -> None:
    """Issue 14 item 8: no hand-bound key left (the help screen's own q/? close keys aside)."""
    from textual.binding import Binding

    from igtk_tui.tui.screens.history import HistoryTable
    from igtk_tui.tui.screens.schedules import ScheduleTable

    for owner in (PlaybookTree, StepTree, LogView, ExecutionsBar, VaultList, HistoryTable, ScheduleTable):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding) and binding.id in actions.BY_ID, (owner.__name__, binding)


def test_default_keys_have_no_conflicts_and_a_shadowing_remap_names_both_ids() -> None:
    assert actions.key_conflicts({}) == []
    problems = actions.key_conflicts({"history": "g"})
    assert len(problems) == 1 and "'history'" in problems[0] and "'nav-top'" in problems[0]
    assert actions.key_conflicts({"nav-top": "f7", "history": "g"}) == []
    same_scope = actions.key_conflicts({"log-level": "k"})  # nav-up is k in the log pane
    assert len(same_scope) == 1 and "'nav-up'" in same_scope[0] and "'log-level'" in same_scope[0]


def test_keymap_problems_are_reported_not_applied() -> None:
    from igtk_tui.tui.keymap import check_keymap

    good, problems = check_keymap({"pause": "f5", "skp": "k", "cancel": "alt+x", "zoom": ""})
    assert good == {"pause": "f5"}
    assert any("did you mean 'skip'" in p for p in problems)
    assert any("cancel" in p and "SSH" in p for p in problems)
    assert any("zoom" in p for p in problems)


# -- keys on a running app -----------------------------------------------------------------------------
async def test_slash_filters_the_library_and_esc_clears_it(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        tree = app.screen.query_one(PlaybookTree)
        await pilot.press("slash")
        field = app.screen.query_one("#library-filter")
        assert field.display and app.focused is field
        await pilot.press(*"slow")
        await wait_until(pilot, lambda: tree.visible_count == 1)
        assert tree.selected_entry.rel_path == "utility/slow.yaml"
        await pilot.press("enter")
        assert app.focused is tree
        await pilot.press("escape")
        await wait_until(pilot, lambda: tree.visible_count == len(app.library_entries) and not field.display)


async def test_colon_runs_commands_from_the_registry(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await library_ready(pilot, app)
        await pilot.press("colon")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"history", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.press("colon")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"paws", "enter")
        await wait_until(pilot, lambda: any("did you mean" in n.message for n in app._notifications))
        await pilot.press("colon")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("up")  # history of the command line
        assert app.screen.query_one("#prompt-input").value == "paws"
        await pilot.press("escape")


async def test_question_mark_lists_every_action_with_its_current_key(home) -> None:
    app = IgtkApp(make_runtime(home, keymap={"pause": "f5"}))
    async with app.run_test(size=(120, 60)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("question_mark")
        help_screen = await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        text = _plain(help_screen.query_one("#help-table"))
        for action in actions.ACTIONS:
            assert action.id in text, action.id
        assert "F5" in text.split("pause")[0].splitlines()[-1] or "f5" in text.lower()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)


async def test_ctrl_p_palette_lists_actions_and_runs_one(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"history of")
        await wait_until(pilot, lambda: app.screen.query("CommandList").first().option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))


async def test_number_keys_focus_panes_and_z_zooms(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        main = app.screen
        await pilot.press("3")
        assert isinstance(app.focused, LogView)
        await pilot.press("4")
        assert isinstance(app.focused, VaultList)
        await pilot.press("1")
        assert isinstance(app.focused, PlaybookTree)
        view = await start_playbook(pilot, app, "utility/quick.yaml")
        await wait_until(pilot, lambda: not view.live)
        await pilot.press("2")
        assert isinstance(app.focused, StepTree)
        await pilot.press("e")
        assert isinstance(app.focused, ExecutionsBar)
        await pilot.press("3", "z")
        await wait_until(pilot, lambda: main.maximized is not None and main.maximized.id == "logs-pane")
        await pilot.press("z")
        await wait_until(pilot, lambda: main.maximized is None)
        await pilot.press("z", "escape")
        await wait_until(pilot, lambda: main.maximized is None)


async def test_brackets_switch_between_executions(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        first = await start_playbook(pilot, app, "utility/quick.yaml")
        await wait_until(pilot, lambda: not first.live)
        second = await start_playbook(pilot, app, "utility/quick.yaml")
        await wait_until(pilot, lambda: not second.live)
        assert app.main_screen.selected_id == second.id
        await pilot.press("left_square_bracket")
        assert app.main_screen.selected_id == first.id
        await pilot.press("right_square_bracket")
        assert app.main_screen.selected_id == second.id


async def test_h_opens_history_pages_and_detail(runtime) -> None:
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/quick.yaml")
        await wait_for_message(pilot, messages, ExecutionEnded)
        await pilot.press("h")
        history = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await wait_until(pilot, lambda: len(history.shown) == 1)
        assert history.shown[0].id == view.id
        await pilot.press("enter")
        from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen

        detail = await wait_until(pilot, lambda: isinstance(app.screen, ExecutionDetailScreen) and app.screen)
        await wait_until(pilot, lambda: detail.detail is not None)
        assert "Quick check" in _plain(detail.query_one("#detail-summary"))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is history)
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not history.shown)
        assert await app.store.executions.get(view.id) is None
        assert _plain(history.query_one("#history-count")).startswith("0 shown of 0 loaded")  # not the old count


async def test_v_opens_the_vault_unlock_add_edit_delete(home, fast_kdf) -> None:
    app = IgtkApp(make_runtime(home))
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "locked")
        await pilot.press("v")
        vault_screen = await wait_until(pilot, lambda: isinstance(app.screen, VaultScreen) and app.screen)
        await pilot.press("u")
        from igtk_tui.tui.screens.unlock import UnlockScreen

        unlock = await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen) and app.screen)
        await pilot.press(*"short", "enter", *"short", "enter")
        await wait_until(pilot, lambda: "at least" in _plain(unlock.query_one("#unlock-error")))
        unlock.query_one("#passphrase").value = "a-long-passphrase"
        unlock.query_one("#passphrase2").value = "a-long-passphrase"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.vault_state == "open", timeout=20)
        await wait_until(pilot, lambda: app.screen is vault_screen)
        await pilot.press("a")
        from igtk_tui.tui.screens.credential_form import CredentialForm

        form = await wait_until(pilot, lambda: isinstance(app.screen, CredentialForm) and app.screen)
        form.query_one("#cred-name").value = "plant-gw-02"
        form.query_one("#cred-username").value = "operator"
        form.query_one("#cred-secret").value = "s3cret-value-xyz"
        await pilot.press("enter")
        await wait_until(pilot, lambda: [c.name for c in app.vault_infos] == ["plant-gw-02"])
        table = vault_screen.query_one(VaultList)
        assert "s3cret-value-xyz" not in app.export_screenshot()
        table.focus()
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, CredentialForm) and app.screen)
        assert form.query_one("#cred-secret").value == ""  # never shown again
        form.query_one("#cred-description").value = "line 2 gateway"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.vault_infos and app.vault_infos[0].description == "line 2 gateway")
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.vault_infos == [] and app.vault_state == "open")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)


async def test_q_quits_at_once_when_idle(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, what="the app to exit")
    assert app.return_code == 0
    assert app.store is None  # closed on the way out


async def test_q_with_runs_going_asks_detach_cancel_or_stay(runtime) -> None:
    """`q` while a run goes: s and esc stay; d leaves and the run goes on in the agent; a new TUI
    shows it, and there q then c cancels it (recorded `cancelled`, the operator's choice) and leaves."""
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.tui.screens.quit import QuitScreen

    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        for stay in ("s", "escape"):
            await pilot.press("q")
            dialog = await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen) and app.screen)
            shown = "\n".join(str(w.render()) for w in dialog.query("Static"))
            assert "1 execution(s) running" in shown and "detach" in shown and "cancel them" in shown
            await pilot.press(stay)
            await wait_until(pilot, lambda: app.screen is app.main_screen, what=f"{stay} to stay")
            assert app.is_running and view.live
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("d")
        await wait_until(pilot, lambda: not app.is_running, what="d to leave", timeout=30)
    with AgentClient.connect(runtime.paths) as client:
        assert [(i["id"], i["status"]) for i in client.executions()] == [(view.id, "running")]
    second = IgtkApp(runtime)
    async with second.run_test(size=(80, 24)) as pilot:
        again = await wait_until(pilot, lambda: second.executions.views.get(view.id), what="the detached run")
        await wait_until(pilot, lambda: again.live and again.steps.get("wait") is not None)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(second.screen, QuitScreen))
        await pilot.press("c")
        await wait_until(pilot, lambda: not second.is_running, what="c to cancel and leave", timeout=40)
    assert again.status == "cancelled"
    from igtk_tui.store import Store

    store = await Store.open(runtime.paths)
    try:
        assert (await store.executions.get(view.id)).status == "cancelled"
    finally:
        await store.close()


async def test_history_on_g_is_reported_at_start_naming_both_binding_ids(home) -> None:
    """Issue 14 item 8: `history = "g"` used to disable history silently (lists bind g)."""
    app = IgtkApp(make_runtime(home, keymap={"history": "g"}))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: any("'history'" in n.message and "'nav-top'" in n.message
                                            for n in app._notifications))


async def test_remapped_navigation_key_moves_the_cursor(home) -> None:
    app = IgtkApp(make_runtime(home, keymap={"nav-down": "J", "nav-top": "f7"}))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await library_ready(pilot, app)
        tree = app.screen.query_one(PlaybookTree)
        await pilot.press("1")
        await wait_until(pilot, lambda: app.focused is tree)
        start = tree.cursor_line
        await pilot.press("j")  # the default key no longer moves
        await pilot.pause()
        assert tree.cursor_line == start
        await pilot.press("J")
        await wait_until(pilot, lambda: tree.cursor_line == start + 1)
        await pilot.press("J", "J")
        await wait_until(pilot, lambda: tree.cursor_line == start + 3)
        await pilot.press("f7")
        await wait_until(pilot, lambda: tree.cursor_line == 0)
        assert not any("[keymap]" in n.message for n in app._notifications)


async def test_help_lists_navigation_keys_with_their_current_keys(home) -> None:
    app = IgtkApp(make_runtime(home, keymap={"nav-down": "J"}))
    async with app.run_test(size=(120, 60)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("question_mark")
        help_screen = await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        lines = _plain(help_screen.query_one("#help-table")).splitlines()
        assert any(line.split()[0] == "Moving" for line in lines if line.split())
        for action_id, key in (("nav-up", "↑ k"), ("nav-down", "J"), ("nav-top", "home g"),
                               ("nav-bottom", "end G"), ("nav-page-up", "pgup"), ("nav-page-down", "pgdn")):
            row = next(line for line in lines if line.rstrip().endswith(action_id))
            assert row.split()[:len(key.split())] == key.split(), (action_id, row)


async def test_remapped_key_replaces_the_default(home) -> None:
    app = IgtkApp(make_runtime(home, keymap={"pause": "f5"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        bound = app.screen.active_bindings
        assert bound["f5"].binding.action == "pause"
        assert "p" not in bound or bound["p"].binding.action != "pause"
        await pilot.press("p")
        await pilot.press("f5")
        await wait_until(pilot, lambda: view.status == "paused")
        await cancel_and_wait(pilot, app, view)


@pytest.mark.parametrize("key", sorted(CONTRACT))
def test_contract_action_is_in_the_palette_source(key: str) -> None:
    """The palette and the help are generated from the registry: nothing to keep in sync by hand."""
    from igtk_tui.tui import palette

    assert "actions.ACTIONS" in inspect.getsource(palette.ActionsProvider)
    assert key in actions.BY_ID


def _plain(renderable: object) -> str:
    from rich.console import Console

    renderable = getattr(renderable, "content", renderable)  # a Static: what it was given
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_colon_commands_with_arguments(runtime, tmp_path) -> None:
    from igtk_tui.tui.screens.params_form import ParamsForm

    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("colon", *"run quick", "enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        assert form.playbook.name == "Quick check"
        await pilot.press("ctrl+r")
        view = await wait_until(pilot, lambda: next(iter(app.executions.views.values()), None))
        await wait_until(pilot, lambda: not view.live)
        target = tmp_path / "run.log"
        await pilot.press("colon", *f"w {target}", "enter")
        await wait_until(pilot, lambda: target.exists() and "the answer is 42" in target.read_text())
        await pilot.press("colon", *"theme monochrome", "enter")
        await wait_until(pilot, lambda: app.theme == "monochrome")


@pytest.mark.parametrize("vault", [False, True], ids=["vault-locked", "vault-open"])
async def test_palette_offers_a_widget_action_exactly_when_its_key_would_run(home, fast_kdf, vault) -> None:
    """Vault-list actions are judged on the vault list itself (its own state), not on the screen."""
    from igtk_tui.tui.palette import ActionsProvider

    app = IgtkApp(make_runtime(home, vault=vault))
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == ("open" if vault else "locked"), what="the vault")
        vault_list = app.screen.query_one(VaultList)
        offered = {title for title, _help, _run in ActionsProvider(app.screen)._commands()}
        scoped = [a for a in actions.ACTIONS if "vault-list" in a.scopes and a.in_palette]
        assert scoped
        assert not any(title.startswith("Moving:") for title in offered)  # cursor moves: keys only
        for action in scoped:
            runs = bool(vault_list.check_action(action.handler.split("(", 1)[0], ()))
            assert (f"{action.group}: {action.description}" in offered) == runs, action.id
        assert any(f"{a.group}: {a.description}" in offered for a in scoped)


async def test_the_library_filter_ranks_name_and_path_prefixes_first_and_says_n_of_n(runtime) -> None:
    """Issue 14 item 9: `/health` listed "Gateway restart and wait" first (the shipped library)."""
    from igtk_tui.paths import builtin_playbooks_dir
    from igtk_tui.playbook.library import Library
    from igtk_tui.tui.widgets.playbook_tree import PlaybookTree

    runtime._library = Library([("built-in", builtin_playbooks_dir())], metadata=runtime.metadata)
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        tree = app.screen.query_one(PlaybookTree)
        total = len(tree.entries)
        await pilot.press("slash", *"health")
        await wait_until(pilot, lambda: tree.filter_text == "health")
        first = next(leaf for group in tree.root.children for leaf in group.children)
        assert first.data.rel_path == "gateway/health_check.yaml"
        assert tree.selected_entry is first.data
        title = str(app.screen.query_one("#library-pane").border_title)
        assert f"({tree.visible_count} of {total})" in title and tree.visible_count < total
        await pilot.press("escape")
        await wait_until(pilot, lambda: not tree.filter_text)
        assert f"({total})" in str(app.screen.query_one("#library-pane").border_title)


@pytest.mark.parametrize("can_detach", [True, False], ids=["agent", "demo"])
async def test_the_quit_dialog_shows_every_answer_at_80x24_and_no_detach_in_the_demo(home, can_detach) -> None:
    """At 80x24 the answers line was cut after `c cancel` (no `stay`); the demo's dialog, whose agent
    stops with it, offered `d detach` in the footer, a key that did nothing."""
    from igtk_tui.tui.screens.quit import QuitScreen
    from igtk_tui.tui.widgets.key_hints import KeyHints

    app = IgtkApp(make_runtime(home), open_services=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.library_entries, what="the library")
        answers: list[str | None] = []
        app.push_screen(QuitScreen(2, can_detach=can_detach), answers.append)
        dialog = await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen) and app.screen.query(".dialog-keys")
                                  and app.screen)
        keys = dialog.query_one(".dialog-keys")
        await wait_until(pilot, lambda: keys.size.height > 0)
        shown = " ".join(keys.render_line(y).text for y in range(keys.size.height))
        assert "cancel them" in shown and "stay" in shown, shown
        footer = str(dialog.query_one(KeyHints).plain)
        assert ("detach" in footer) is can_detach and ("detach" in shown) is can_detach, (footer, shown)
        await pilot.press("d")
        if can_detach:
            await wait_until(pilot, lambda: answers == ["detach"], what="d to detach")
        else:
            await pilot.press("s")  # d did nothing; s still answers
            await wait_until(pilot, lambda: answers == ["stay"], what="s to stay")
