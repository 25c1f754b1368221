"""The hidden filter field of a list screen (`/` shows it, esc clears and hides it): one way for
every screen, so that `/` and esc behave the same on each (the app's esc asks `clear_filter`)."""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input


def show_filter(screen: Screen[None], selector: str, text: str = "") -> None:
    """Show the field (with `text`, when given) and focus it at once: keys typed right after `/`
    must land in the field."""
    field = screen.query_one(selector, Input)
    field.display = True
    if text:
        field.value = text
    screen.set_focus(field)


def hide_filter(screen: Screen[None], selector: str, back_to: Widget) -> bool:
    """Empty and hide the field, focus `back_to`; False when the field was not shown."""
    field = screen.query_one(selector, Input)
    if not field.display:
        return False
    field.value = ""
    field.display = False
    back_to.focus()
    return True
