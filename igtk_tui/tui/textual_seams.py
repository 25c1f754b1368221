"""The only places igtk reaches into Textual's private API, each wrapped once, here.

Textual has no public hook for these two needs. Everything else in igtk_tui/tui uses
Textual's public API. A Textual upgrade that renames or reshapes one of these must fail
tests/tui/test_textual_seams.py, which checks each with the shape used here, instead of
failing in an operator's session.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from textual.app import App


class CrashHookedApp(App[int]):
    """Unhandled exceptions, routed to two public methods the app implements.

    Textual calls `App._handle_exception(error)` for an exception no handler caught, and
    (for an error without `__rich__`) `App._fatal_error()`, which prints a traceback with
    the local variables of every frame: they may hold secrets. Here `crashed(error)` runs
    first (record, crash report, executions recorded), then `crash_text()` is printed
    instead of Textual's traceback.
    """

    def crashed(self, error: Exception) -> None:
        """Called once per unhandled exception, before the app exits."""

    def crash_text(self) -> RenderableType:
        """What is printed on the terminal after the crash (scrubbed, no local variables)."""
        return ""

    def _handle_exception(self, error: Exception) -> None:
        self.crashed(error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        self.bell()
        self._exit_renderables.append(self.crash_text())
        self._close_messages_no_wait()


def set_theme_before_start(app: App[Any], name: str) -> None:
    """Select theme `name` before the stylesheet is first built, without the theme watcher.

    Assigning `app.theme` runs Textual's watcher, which restyles the whole screen once more
    right after the first paint (start-up time, bytes over SSH). This does what the watcher
    does that matters before the start: the reactive, the theme classes, the ANSI filter and
    the CSS variables (nothing is parsed yet: cheap).
    """
    app.set_reactive(App.theme, name)
    dark = app.current_theme.dark
    classes = {cls: False for cls in app.classes if cls.startswith("-theme-")}
    classes.update({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark})
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())
