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


def target_node(app: Any, screen: Any, action: actions.Action) -> Any | None:
    """Where `action` runs for `screen`: the app, the screen, or a widget of its scope on the
    screen; None when it does not apply here. The palette and the `:` line both ask this."""
    if "app" in action.scopes:
        return app
    if getattr(screen, "SCOPE", None) in action.scopes:
        return screen
    for scope, class_name in WIDGET_SCOPES.items():
        if scope in action.scopes:
            found = next((w for w in screen.query("*") if type(w).__name__ == class_name), None)
            if found is not None:
                return found
    return None


def allowed(node: Any, action: actions.Action) -> bool:
    """What the key would answer on that node (its own predicates and state)."""
    handler = action.handler.split("(", 1)[0]
    return bool(node.check_action(handler, ())) if hasattr(node, "check_action") else True


class ActionsProvider(Provider):
    """Every registered action that applies here, named `Group: description`, with its key."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: Any = self.app
        screen = self.screen
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for action in actions.ACTIONS:
            if (not action.in_palette or action.id in ("command-palette",)
                    or action.scopes[0] in ("confirm", "prompt", "credential", "report-format", "schedule-form",
                                             "fleet-form")):
                continue
            node = target_node(app, screen, action)
            if node is None or not allowed(node, action):
                continue
            title = f"{action.group}: {action.description}"
            if action.argument and not action.key:  # the `:` line with the command typed: the operator adds the argument
                from igtk_tui.tui import command_line

                run: Callable[[], Any] = partial(command_line.ask, app, f"{action.command_name} ")
                how = action.command_form
            else:  # with a key, the action asks for what it needs itself (the filter field, the file name)
                run = partial(node.run_action, action.handler)
                how = f"key {key_text(app, action)}" + (f" · {action.command_form}" if action.argument else "") \
                    if action.key else action.command_form
            out.append((title, f"{how} · id {action.id}", run))
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
