"""Dismissing a modal screen once, and only while it is the screen on top.

`Screen.dismiss` calls the result callback and pops whatever screen is on top.
Asked twice (a key pressed twice before the pop ran, a key and a refresh tick),
it ran the callback twice (two deletes, two cancels) and popped the screen
below, down to a ScreenStackError that took the TUI down; asked while a dialog
sat above it, it popped the dialog. Every modal screen dismisses through this.
"""

from __future__ import annotations

from typing import Any


class DismissOnce:
    """Mixin for ModalScreen subclasses (list it before ModalScreen)."""

    _dismissed = False

    def dismiss(self, result: Any = None) -> Any:
        app = self.app  # type: ignore[attr-defined]
        if self._dismissed or app.screen is not self:
            return None
        self._dismissed = True
        return super().dismiss(result)  # type: ignore[misc]
