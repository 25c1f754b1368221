"""The `:` command line: every registered action by its id or alias (`:pause`,
`:history`, `:q`), with its argument when the registry gives it one (`:w FILE`,
`:theme NAME`, `:run PLAYBOOK`, `:filter TEXT`).

It dispatches through the same registry and availability predicates as the keys,
so `:skip` is refused exactly when `s` is; it knows no command of its own.
"""

from __future__ import annotations

import difflib
from typing import Any

from igtk_tui.tui import actions
from igtk_tui.tui.palette import allowed, target_node


def ask(app: Any, typed: str = "") -> None:
    """Open the `:` line (from the key, or from the palette with a command already typed)."""
    from igtk_tui.tui.screens.prompt import PromptScreen

    app.push_screen(PromptScreen(":", typed, history=app.command_history, hint=actions.commands_hint()),
                    lambda text: run_command(app, text) if text else None)


def run_command(app: Any, text: str) -> None:
    name, _, arg = text.strip().lstrip(":").partition(" ")
    name, arg = name.strip(), arg.strip()
    if not name:
        return
    action = actions.command(name)
    if action is None:
        known = [n for a in actions.ACTIONS for n in (a.id, *a.aliases)]
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; ? lists every command"
        app.notify(f"unknown command :{name}{hint}", severity="warning", markup=False)
        return
    if arg and not action.argument:
        app.notify(f":{name} takes no argument", severity="warning", markup=False)
        return
    _dispatch(app, action, arg)


def _dispatch(app: Any, action: actions.Action, arg: str) -> None:
    node = target_node(app, app.screen, action)
    if node is None:
        app.notify(f":{action.command_name} does not apply here", severity="warning", markup=False)
        return
    if not allowed(node, action):
        app.notify(f":{action.command_name} is not available now", severity="warning", markup=False)
        return
    if action.argument:
        app.call_later(getattr(node, f"action_{action.handler}"), arg)
    else:
        app.call_later(node.run_action, action.handler)
