"""`q` while executions run: detach (they go on in the agent), cancel them, or stay.

Why three answers: the runs belong to the agent, so leaving is safe and is the
usual answer (detach); cancelling is the operator's explicit choice; staying is
esc. The demo has no "detach": its agent stops with it (it belongs to the demo's
throwaway state root), so there the question is cancel-and-quit or stay.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints

DETACH, CANCEL, STAY = "detach", "cancel", "stay"


class QuitScreen(DismissOnce, RegistryChecks, ModalScreen[str]):
    SCOPE = "quit"
    BINDINGS = bindings_for("quit")

    def __init__(self, running: int, *, can_detach: bool = True) -> None:
        super().__init__()
        self.running = running
        self.can_detach = can_detach

    def compose(self) -> ComposeResult:
        from igtk_tui.tui import actions
        from igtk_tui.tui.keymap import key_text

        keys = {name: key_text(self.app, actions.BY_ID[f"quit-{name}"]) for name in (DETACH, CANCEL, STAY)}
        with Vertical(classes="dialog", id="quit-dialog"):
            yield Static(f"{self.running} execution(s) running in the agent. Quit?", classes="dialog-title",
                         markup=False)
            if self.can_detach:
                yield Static("Detached runs go on in the agent: a new igtk shows them again.",
                             classes="dialog-detail", markup=False)
                choices = (f"{keys[DETACH]} detach (runs go on)    {keys[CANCEL]} cancel them    "
                           f"{keys[STAY]}/{key_text(self.app, 'back')} stay")
            else:
                yield Static("The demo's agent stops with the demo: its runs are cancelled.",
                             classes="dialog-detail", markup=False)
                choices = f"{keys[CANCEL]} cancel them and quit    {keys[STAY]}/{key_text(self.app, 'back')} stay"
            yield Static(choices, classes="dialog-keys", markup=False)
        yield KeyHints()

    def action_state(self) -> ActionState:
        return ActionState(screen=self.SCOPE, detachable=self.can_detach)

    def action_detach(self) -> None:
        self.dismiss(DETACH)

    def action_cancel_runs(self) -> None:
        self.dismiss(CANCEL)

    def action_stay(self) -> None:
        self.dismiss(STAY)

    def action_back(self) -> None:
        self.dismiss(STAY)
