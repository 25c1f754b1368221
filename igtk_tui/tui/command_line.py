"""The `:` command line: every registered action by its id or alias (`:pause`,
`:history`, `:q`), plus commands that take an argument (`:w FILE`,
`:theme NAME`, `:run PLAYBOOK`, `:filter TEXT`, `:q!`).

It dispatches through the same registry and availability predicates as the
keys, so `:skip` is refused exactly when `s` is.
"""

from __future__ import annotations

import difflib
from typing import Any

from igtk_tui.tui import actions
from igtk_tui.tui.palette import allowed, target_node

ARG_COMMANDS = ("w", "theme", "run", "filter", "q!")


def run_command(app: Any, text: str) -> None:
    name, _, arg = text.strip().lstrip(":").partition(" ")
    name, arg = name.strip(), arg.strip()
    if not name:
        return
    if name == "q!":  # leave without asking: the runs are the agent's and go on
        app.shutdown()
        return
    if name == "theme":
        if arg:
            app.choose_theme(arg)
        else:
            app.notify("themes: " + ", ".join(sorted(app.available_themes)), markup=False)
        return
    if name == "run":
        _run(app, arg)
        return
    if name == "filter":
        main = app.main_screen
        if app.screen is main:
            main.action_filter()
            main.query_one("#library-filter").value = arg
        return
    if name in ("w", "write", "log-save"):
        if app.screen is app.main_screen:
            app.main_screen.save_log(arg or None)
        return
    action = actions.command(name)
    if action is None:
        known = [a.id for a in actions.ACTIONS] + list(ARG_COMMANDS)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; ? lists every command"
        app.notify(f"unknown command :{name}{hint}", severity="warning", markup=False)
        return
    _dispatch(app, action)


def _dispatch(app: Any, action: actions.Action) -> None:
    node = target_node(app, app.screen, action)
    if node is None:
        app.notify(f":{action.id} does not apply here", severity="warning", markup=False)
        return
    if not allowed(node, action):
        app.notify(f":{action.id} is not available now", severity="warning", markup=False)
        return
    app.call_later(node.run_action, action.handler)


def _run(app: Any, query: str) -> None:
    from igtk_tui.tui.widgets.playbook_tree import fuzzy_score

    entries = app.library_entries
    if not query or not entries:
        app.notify("usage: :run PLAYBOOK (library path or name)", severity="warning")
        return
    scored = sorted(((max(fuzzy_score(query, e.rel_path), fuzzy_score(query, e.name)), e) for e in entries),
                    key=lambda se: -se[0])
    if not scored or scored[0][0] <= 0:
        app.notify(f"no playbook matches {query!r}", severity="warning", markup=False)
        return
    app.open_params_form(scored[0][1])
