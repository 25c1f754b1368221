"""A text field whose enter is the registry's `field-submit`: remappable, and shown in the
footer with what it does here ("done" in a filter, "unlock" in the passphrase box)."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Input

from igtk_tui.tui import actions
from igtk_tui.tui.keymap import bindings_for

# Input's editing keys stay Textual's (they are the text field's own); its enter is ours.
_EDITING = [b for b in Input.BINDINGS if not (isinstance(b, Binding) and b.action == "submit")]


class Field(Input, inherit_bindings=False):
    SCOPE = "field"
    BINDINGS = [*_EDITING, *bindings_for("field")]

    def __init__(self, value: str | None = None, *, submit_label: str = "done", **options: Any) -> None:
        super().__init__(value, **options)
        self.submit_label = submit_label

    def hint_label(self, action: actions.Action) -> str | None:
        return self.submit_label if action.id == "field-submit" else None
