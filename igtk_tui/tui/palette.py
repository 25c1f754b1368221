"""Command palette providers: the action registry (with each key, like
Dolphie's `?`), the playbooks ("run: ...") and the themes ("theme: ...").

Fed by the same registry as the keys and the help, and filtered by the same
availability predicates: the palette never offers what the key would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from igtk_tui.tui import actions
from igtk_tui.tui.keymap import key_text

WIDGET_SCOPES = {"log": "LogView", "vault-list": "VaultList"}


def _runner(app: Any, screen: Any, action: actions.Action) -> Callable[[], Any] | None:
    """Where the action runs for the screen the palette was opened on, or None when it does not apply."""
    scope_of_screen = getattr(screen, "SCOPE", "")
    if "app" in action.scopes:
        return partial(app.run_action, action.handler)
    if scope_of_screen in action.scopes:
        return partial(screen.run_action, action.handler)
    for scope, class_name in WIDGET_SCOPES.items():
        if scope in action.scopes:
            widgets = [w for w in screen.query("*") if type(w).__name__ == class_name]
            if widgets:
                return partial(widgets[0].run_action, action.handler)
    return None


def _available(node: Any, action: actions.Action) -> bool:
    state = getattr(node, "action_state", None)
    if state is None:
        return True
    try:
        return bool(action.available(state()))
    except Exception:  # noqa: BLE001 - a half-built screen: offer nothing rather than fail
        return False


class ActionsProvider(Provider):
    """Every registered action that applies here, named `Group: description`, with its key."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: Any = self.app
        screen = self.screen
        out = []
        for action in actions.ACTIONS:
            if action.id in ("command-palette",) or action.scopes[0] in ("confirm", "prompt", "credential"):
                continue
            run = _runner(app, screen, action)
            if run is None:
                continue
            owner = app if "app" in action.scopes else screen
            if not _available(owner, action):
                continue
            title = f"{action.group}: {action.description}"
            out.append((title, f"key {key_text(app, action)} · id {action.id}", run))
        return out

    async def discover(self) -> Hits:
        for title, help_text, run in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)


class PlaybookProvider(Provider):
    """`run: <playbook>`: opens the parameter form (main screen only)."""

    def _entries(self) -> list[Any]:
        app: Any = self.app
        return list(getattr(app, "library_entries", []))

    async def search(self, query: str) -> Hits:
        app: Any = self.app
        matcher = self.matcher(query)
        for entry in self._entries():
            title = f"run: {entry.name}"
            score = max(matcher.match(title), matcher.match(f"run: {entry.rel_path}"))
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(app.open_params_form, entry),
                          help=entry.rel_path)


class ThemeProvider(Provider):
    """`theme: <name>`: switch and remember (written to config.toml)."""

    async def discover(self) -> Hits:
        app: Any = self.app
        for name in sorted(app.available_themes):
            yield DiscoveryHit(f"theme: {name}", partial(app.choose_theme, name),
                               help="current" if name == app.theme else "switch and remember")

    async def search(self, query: str) -> Hits:
        app: Any = self.app
        matcher = self.matcher(query)
        for name in sorted(app.available_themes):
            title = f"theme: {name}"
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(app.choose_theme, name),
                          help="switch and remember")
