"""Which report to write (`o` in history and detail): html, json, junit or md.

Keyboard-driven: up/down and enter on the list (HTML is highlighted, so `o` `enter`
writes the HTML report), or the format's own key from the registry; esc cancels.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from igtk_tui.tui import actions
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints

# (format, what it is for), in the list's order: the first is the default.
CHOICES = (("html", "HTML: self-contained, printable, to sign"), ("json", "JSON: versioned schema, for tools"),
           ("junit", "JUnit XML: for CI dashboards"), ("md", "Markdown: for tickets and chat"))


class ReportFormatScreen(DismissOnce, RegistryChecks, ModalScreen[str | None]):
    SCOPE = "report-format"
    BINDINGS = bindings_for("report-format")

    def compose(self) -> ComposeResult:
        keys = {a.handler: key_text(self.app, a) for a in actions.for_scope(self.SCOPE)}
        with Vertical(classes="dialog", id="report-format-dialog"):
            yield Static("Write the execution's report as", classes="dialog-title", markup=False)
            yield OptionList(*(Option(f"{keys.get(f'choose({fmt!r})', ' ')}  {text}", id=fmt)
                               for fmt, text in CHOICES), id="report-formats")
            yield Static(f"{key_text(self.app, 'report-write')} write    {key_text(self.app, 'back')} cancel",
                         classes="dialog-keys", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        formats = self.query_one(OptionList)
        formats.highlighted = 0
        formats.focus()

    @on(OptionList.OptionSelected, "#report-formats")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_write(self) -> None:
        """The highlighted format (enter)."""
        chosen = self.query_one(OptionList).highlighted_option
        if chosen is not None:
            self.dismiss(chosen.id)

    def action_choose(self, fmt: str) -> None:
        self.dismiss(fmt)

    def action_back(self) -> None:
        self.dismiss(None)
