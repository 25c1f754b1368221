"""Bindings generated from the action registry, and the `[keymap]` overrides.

`bindings_for(scope)` is what every screen and widget puts in BINDINGS, so a
key exists only if the registry says so; `check_keymap` validates a user's
`[keymap]` table (unknown ids, keys a terminal cannot deliver) before
`App.set_keymap` applies it by binding id.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding, BindingType

from igtk_tui.tui import actions
from igtk_tui.tui.actions import ActionState


def bindings_for(scope: str) -> list[BindingType]:
    return [
        Binding(a.key, a.handler, a.footer, show=a.show, key_display=a.key_display,
                priority=a.priority, id=a.id, tooltip=a.description)
        for a in actions.for_scope(scope) if a.key  # no key: a `:` command only
    ]


def check_keymap(keymap: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The usable part of a `[keymap]` table and a problem line per entry dropped."""
    good: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in actions.BY_ID:
            import difflib

            close = difflib.get_close_matches(binding_id, list(actions.BY_ID), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"[keymap] {binding_id}: no such action{hint}")
            continue
        if not str(keys).strip():
            problems.append(f"[keymap] {binding_id}: empty key")
            continue
        if not actions.BY_ID[binding_id].key:
            problems.append(f"[keymap] {binding_id}: a command of the : line, not bound to a key "
                            f"(type {actions.BY_ID[binding_id].command_form})")
            continue
        if not actions.key_is_reliable(str(keys)):
            problems.append(f"[keymap] {binding_id} = {keys!r}: ctrl+m/i/h, alt+ and ctrl+shift+ keys do not "
                            "reliably reach an app over SSH or tmux; add a plain or F-key")
            continue
        good[binding_id] = str(keys).replace(" ", "")
    return good, problems


def effective_keys(app: Any, action: actions.Action) -> str:
    """The keys an action answers to now (the app's `[keymap]` applied), for help, hints and palette."""
    keys = getattr(app, "keymap_in_force", {}).get(action.id)
    return str(keys or action.key)


def key_text(app: Any, action: actions.Action | str, *, first: bool = False) -> str:
    """How to reach `action` (an Action or its id) now: its keys (keymap applied), or its `:`
    command when it has none; `first`: only the first key (hints, where space is short)."""
    if isinstance(action, str):
        action = actions.BY_ID[action]
    if not action.key:
        return action.command_form
    keys = effective_keys(app, action)
    if keys == action.key and action.key_display:
        return action.key_display
    out = []
    for key in keys.split(",")[:1] if first else keys.split(","):
        try:
            out.append(app.get_key_display(Binding(key, action.handler)))
        except Exception:  # noqa: BLE001 - display only
            out.append(key)
    return " ".join(out)


def keys_line(app: Any, scope: str) -> str:
    """`y yes  n no`: a dialog's own keys, from the registry (the keymap applied)."""
    return "    ".join(f"{key_text(app, a, first=True)} {a.footer_in(scope)}"
                       for a in actions.ACTIONS if scope in a.scopes and a.hint)


class RegistryChecks:
    """Mixin: `check_action` answers from the registry's predicates for `SCOPE`."""

    SCOPE: str = "main"

    def action_state(self) -> ActionState:
        return ActionState(screen=self.SCOPE)

    def hint_label(self, action: actions.Action) -> str | None:
        """The footer text of `action` here when it depends on the state (pause / resume)."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        entry = actions.by_handler(self.SCOPE, action)
        if entry is None:
            return True
        try:
            return entry.available(self.action_state())
        except Exception:  # noqa: BLE001 - during mount/unmount a predicate may see a half-built screen
            return None
