"""The vault passphrase box: never `getpass` inside the TUI (docs/secrets.md).

Opening runs in a thread (the KDF is deliberately slow); a wrong passphrase
is said at the field and the box stays open. A missing vault file is created
with the passphrase typed twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints

MIN_NEW_PASSPHRASE = 8


class UnlockScreen(DismissOnce, RegistryChecks, ModalScreen[bool]):
    SCOPE = "unlock"
    BINDINGS = bindings_for("unlock")

    def __init__(self, vault_file: str, *, exists: bool) -> None:
        super().__init__()
        self.vault_file = vault_file
        self.exists = exists

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock-dialog", classes="dialog"):
            if self.exists:
                yield Static("Unlock the credential vault", classes="dialog-title")
                yield Static(f"encrypted file {self.vault_file}", classes="dialog-detail", markup=False)
            else:
                yield Static("Create the credential vault", classes="dialog-title")
                yield Static(f"No vault file yet ({self.vault_file}). Choose a passphrase "
                             f"(at least {MIN_NEW_PASSPHRASE} characters) and type it twice.",
                             classes="dialog-detail", markup=False)
            yield Field(password=True, placeholder="passphrase", id="passphrase", compact=True,
                        submit_label="unlock" if self.exists else "next")
            if not self.exists:
                yield Field(password=True, placeholder="passphrase again", id="passphrase2", compact=True,
                            submit_label="create")
            yield Static("", id="unlock-error", markup=False)
            yield Static(f"{key_text(self.app, 'field-submit')} {'unlock' if self.exists else 'create'} · "
                         f"{key_text(self.app, 'back')} cancel", classes="dialog-keys", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "passphrase" and not self.exists:
            self.query_one("#passphrase2", Input).focus()
            return
        passphrase = self.query_one("#passphrase", Input).value
        error = self.query_one("#unlock-error", Static)
        if not passphrase:
            error.update("✗ type the passphrase")
            return
        if not self.exists:
            if len(passphrase) < MIN_NEW_PASSPHRASE:
                error.update(f"✗ use at least {MIN_NEW_PASSPHRASE} characters")
                return
            if self.query_one("#passphrase2", Input).value != passphrase:
                error.update("✗ the two passphrases differ")
                return
        error.update("opening… (the key derivation takes a moment)")
        self.unlock(passphrase)

    @work(group="unlock", exclusive=True, exit_on_error=False)
    async def unlock(self, passphrase: str) -> None:
        app: Any = self.app
        try:
            vault = await asyncio.to_thread(app.vault_ui.open_with, passphrase)
        except Exception as exc:  # noqa: BLE001 - VaultLocked, VaultCorrupt, OSError: said at the field
            for field in self.query(Input):
                field.value = ""
            self.query_one("#passphrase", Input).focus()
            self.query_one("#unlock-error", Static).update(f"✗ {str(exc).splitlines()[0]}")
            return
        app.vault_ui.opened(vault)
        await app.vault_ui.hand_to_agent(passphrase)
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
