"""Footer hints (issue 14 item 16): they follow the focused screen and widget (panes, filter
fields, forms, dialogs, history, vault, the debug pause), include the step controls while a
live execution is selected, come from the action registry (a remapped key shows its new
key) and never go off the edge silently. No key hint is written by hand anywhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from tui_helpers import library_ready, make_runtime, select_playbook, start_playbook, wait_step, wait_until

from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.screens.confirm import ConfirmScreen
from igtk_tui.tui.screens.debug_pause import DebugPauseScreen
from igtk_tui.tui.screens.history import HistoryScreen
from igtk_tui.tui.screens.params_form import ParamsForm
from igtk_tui.tui.screens.vault import VaultScreen
from igtk_tui.tui.widgets.key_hints import KeyHints

TUI = Path(__file__).resolve().parents[2] / "igtk_tui" / "tui"


def hints(app: Any) -> str:
    return str(app.screen.query_one(KeyHints).plain)


async def shows(pilot: Any, app: Any, *wanted: str, absent: tuple[str, ...] = ()) -> str:
    def ok() -> bool:
        shown = hints(app).split("  ") if app.screen.query(KeyHints) else []
        return all(w in shown for w in wanted) and not any(a in shown for a in absent)

    await wait_until(pilot, ok, what=f"footer with {wanted} without {absent} (is: {hints(app)!r})")
    return hints(app)


async def test_the_footer_follows_the_focus_and_shows_the_step_controls_of_a_live_run(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        await shows(pilot, app, "⏎ run", "? help", absent=("p pause",))
        await pilot.press("slash")  # the library filter field: typing, enter leaves, esc clears
        await shows(pilot, app, "⏎ done", "esc clear", absent=("q quit", "h history", "/ filter"))
        await pilot.press("escape")
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        text = await shows(pilot, app, "p pause", "s skip", "b back", "x cancel", "d debug")
        assert "? help" in text  # help always stays: it lists whatever did not fit
        await pilot.press("p")
        await wait_until(pilot, lambda: view.status == "paused")
        await shows(pilot, app, "p resume", "i inspect")
        await pilot.press("3")  # the log pane: its own keys
        await shows(pilot, app, "l level", "f step", "w save")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await shows(pilot, app, "y yes", "n no", absent=("p resume",))
        await pilot.press("y")
        await wait_until(pilot, lambda: not view.live)
        await shows(pilot, app, "R rerun", absent=("p pause", "s skip"))


async def test_forms_dialogs_history_and_vault_show_their_own_keys(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        await select_playbook(pilot, app, "utility/typed.yaml")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen.query(KeyHints))
        await shows(pilot, app, "^r run", "esc cancel")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.query(KeyHints))
        await shows(pilot, app, "/ search", "S status", "esc back")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, VaultScreen) and app.screen.query(KeyHints))
        await shows(pilot, app, "esc back", "/ filter")
        await pilot.press("escape", "question_mark")
        await shows(pilot, app, "/ search", "esc close")


async def test_the_debug_pause_shows_its_controls_and_hides_the_letters_while_editing(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml", breakpoints="wait")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen)
                                  and app.screen.query("#debug-params") and app.screen.query(KeyHints) and app.screen)
        await shows(pilot, app, "p resume", "s skip", "b back", "x cancel", "^s save params", "esc close")
        screen.query_one("#debug-params").focus()
        await shows(pilot, app, "^s save params", absent=("p resume", "s skip"))
        await pilot.press("escape")
        app.executions.control(view.id, "cancel")
        await wait_until(pilot, lambda: not view.live)


async def test_a_remapped_key_shows_its_new_key_in_hints_buttons_and_texts(home) -> None:
    app = IgtkApp(make_runtime(home, keymap={"pause": "f5", "form-run": "f9", "focus-library": "f2",
                                             "run-open": "f3,enter"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        assert "pick a playbook (f2) and press f3" in str(app.screen.query_one("#steps-empty").render())
        await shows(pilot, app, "f3 run")
        await select_playbook(pilot, app, "utility/slow.yaml")
        await pilot.press("f3")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen.query("#run")
                                and app.screen)
        assert "f9" in str(form.query_one("#run").label)
        await shows(pilot, app, "f9 run")
        await pilot.press("f9")
        view = await wait_until(pilot, lambda: next(iter(app.executions.views.values()), None))
        await wait_step(pilot, view, "wait", "running")
        await shows(pilot, app, "f5 pause", absent=("p pause",))
        app.executions.control(view.id, "cancel")
        await wait_until(pilot, lambda: not view.live)


async def test_hints_that_do_not_fit_are_dropped_least_important_first_with_a_marker(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(60, 20)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        text = await shows(pilot, app, "p pause", "x cancel", "? help")
        bar = app.screen.query_one(KeyHints)
        assert len(text) <= bar.size.width and text.rstrip().endswith("…"), text
        app.executions.control(view.id, "cancel")
        await wait_until(pilot, lambda: not view.live)


# -- no hand-written key hints ---------------------------------------------------------------------
# A key named in a user-facing string: "esc: back", "(ctrl+r)", "press u", "Resume p", "(1)", "⏎ write".
NAMED_KEYS = r"(esc|enter|tab|ctrl\+\w+|\^\w|⏎|del)"
WORDS = (r"(yes|no|add|edit|delete|unlock|back|cancel|write|save|saves|search|searches|details|rerun|resume|status|"
         r"filter|clear|closes|clears|done|next|previous)\b")
HAND_HINTS = [
    re.compile(r"\bpress ([a-zA-Z0-9?/]|" + NAMED_KEYS + r")(\W|$)"),  # "press u to unlock"
    re.compile(r"(^|[\s(·])" + NAMED_KEYS + r":? " + WORDS),  # "esc: back", "⏎ write", "enter: unlock"
    re.compile(r"(^|[\s(·])[a-zA-Z0-9?/]: " + WORDS),  # "a: add", "/: search"
    re.compile(r"(^|\s\s)[a-zA-Z] " + WORDS),  # "y yes    n no"
    re.compile(r"\((esc|enter|ctrl\+\w+|\^\w|[0-9])\)"),  # "(ctrl+r)", "(1)"
    re.compile(r"\b(Resume|Skip|Back|Save|Cancel|Run) (\^?[a-z]|\(.+\))$"),  # "Resume p", "Save ^s"
    re.compile(r"\b(with|by) [a-zA-Z]\)"),  # "(resume with p)"
]


def _user_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants and the literal parts of f-strings, docstrings and comments aside."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
    return out


def test_no_key_hint_is_written_by_hand_in_the_tui() -> None:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        if path.name == "actions.py":  # the registry itself: the one place keys are written
            continue
        for line, text in _user_strings(ast.parse(path.read_text(encoding="utf-8"))):
            if any(p.search(text) for p in HAND_HINTS):
                found.append(f"{path.relative_to(TUI)}:{line}: {text!r}")
    assert not found, "key hints written by hand (use keymap.key_text / the registry):\n" + "\n".join(found)


def test_no_screen_binds_a_key_outside_the_registry() -> None:
    """Every Binding in a screen, widget or the app comes from keymap.bindings_for (the registry)."""
    found = []
    for path in sorted(TUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Binding" and path.name != "keymap.py":
                found.append(f"{path.relative_to(TUI)}:{node.lineno}")
    assert not found, found
