"""The footer: the keys that act here and now, from the action registry.

It follows the focus: what the focused widget, its screen and the app answer to now (an
action whose predicate says no is left out; a letter a focused text field would take as
text is left out), in that order, with the key in force after `[keymap]` and the
registry's label for this scope. Every screen has one, modal dialogs included, so a
form, a filter field or the debug pause shows its own keys. When the hints do not fit,
the least important go first and `…` says some are left out (`?` lists them all): a hint
is never cut silently.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.keys import REPLACED_KEYS, key_to_character
from textual.screen import Screen
from textual.widget import Widget

from igtk_tui.tui import actions
from igtk_tui.tui.keymap import effective_keys, key_text

GAP = "  "
FOCUS_BOOST = 3
MORE = "…"


def character_of(key: str) -> str | None:
    """The character a key types (`slash` is `/`: Textual names it after the Unicode name)."""
    char = key_to_character(key)
    if char is None and key in REPLACED_KEYS:
        name = REPLACED_KEYS[key].upper()
        for spelled in (name.replace("_", " "), name.replace("_", "-")):  # SOLIDUS, HYPHEN-MINUS
            try:
                return unicodedata.lookup(spelled)
            except KeyError:
                continue
    return char


def scope_of(node: Any) -> str:
    scope = getattr(node, "SCOPE", None)
    return scope if isinstance(scope, str) else "app"


def current_hints(screen: Screen[Any]) -> list[tuple[str, str, int]]:
    """(key, label, importance) of each action that acts on `screen` now, focus first."""
    app = screen.app
    focused = screen.focused
    out: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        action = actions.BY_ID.get(active.binding.id or "")
        if action is None or not action.hint or not active.enabled or action.id in seen:
            continue
        if focused is not None and focused.check_consume_key(key, character_of(key)):
            continue  # a focused text field takes this key as text
        seen.add(action.id)
        label = None
        for node in (active.node, screen):
            ask = getattr(node, "hint_label", None)
            label = ask(action) if ask is not None else None
            if label:
                break
        # The focused widget's own keys come first and stay longest: they are what it is there for.
        boost = FOCUS_BOOST if focused is not None and active.node is focused else 0
        out.append((_key_display(app, action, key, active.binding), label or action.footer_in(scope_of(active.node)),
                    action.hint + boost))
    return out


def _key_display(app: Any, action: actions.Action, key: str, binding: Any) -> str:
    """This key as the help shows it (the registry's ⏎, esc, del), or Textual's name for it."""
    first = key_text(app, action, first=True)
    if key == effective_keys(app, action).split(",")[0]:
        return first
    return str(app.get_key_display(binding))


def fit_hints(hints: list[tuple[str, str, int]], width: int) -> tuple[list[tuple[str, str, int]], bool]:
    """The hints that fit in `width` (the least important dropped first, the last of equals
    first), and whether some were dropped (then `…` is shown after them)."""
    kept = list(hints)

    def size(items: list[tuple[str, str, int]], more: bool) -> int:
        text = GAP.join(f"{k} {label}" for k, label, _ in items)
        return cell_len(text) + (cell_len(GAP + MORE) if more else 0) + 1

    dropped = False
    while kept and size(kept, dropped) > width:
        least = min(range(len(kept)), key=lambda i: (kept[i][2], -i))
        del kept[least]
        dropped = True
    return kept, dropped


class KeyHints(Widget):
    """One line at the bottom of each screen."""

    DEFAULT_CSS = """
    KeyHints {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-description-foreground;
        padding: 0 0 0 1;
    }
    """
    COMPONENT_CLASSES = {"key-hints--key"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        self.refresh()

    def render(self) -> Text:
        hints, dropped = fit_hints(current_hints(self.screen), self.size.width)
        key_style = self.get_component_rich_style("key-hints--key")
        text = Text(no_wrap=True, overflow="crop")
        for i, (key, label, _rank) in enumerate(hints):
            if i:
                text.append(GAP)
            text.append(key, style=key_style)
            text.append(f" {label}")
        if dropped:
            text.append(GAP + MORE, style=key_style)
        return text

    @property
    def plain(self) -> str:
        """The line as text (tests and the tmux checks read it)."""
        return self.render().plain
