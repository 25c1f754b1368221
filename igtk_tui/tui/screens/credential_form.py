"""Add or edit one credential. The secret is typed into a password box and
never shown again; leaving it empty on edit keeps the stored one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints

TYPES = (("basic (username + password)", "basic"), ("api-token (token name + secret)", "api-token"))


@dataclass
class CredentialInput:
    name: str
    type: str
    username: str
    secret: str
    gateway_url: str
    description: str
    original: str | None  # the name being edited, None when adding


class CredentialForm(DismissOnce, RegistryChecks, ModalScreen[CredentialInput | None]):
    SCOPE = "credential"
    BINDINGS = bindings_for("credential")

    def __init__(self, info: Any = None) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        info = self.info
        with Vertical(id="credential-dialog", classes="dialog"):
            yield Static(f"Edit credential {info.name}" if info else "Add a credential", classes="dialog-title",
                         markup=False)
            for label, widget in (
                ("name", Field(info.name if info else "", submit_label="save", id="cred-name", placeholder="e.g. plant-gw-02",
                               compact=True)),
                ("type", Select(TYPES, value=info.type if info else "basic", id="cred-type", allow_blank=False,
                                compact=True)),
                ("username / token name", Field(info.username if info else "", submit_label="save",
                                                id="cred-username", compact=True)),
                ("secret", Field("", submit_label="save", id="cred-secret", password=True, compact=True,
                                 placeholder="unchanged when empty" if info else "password or token secret")),
                ("gateway URL", Field(info.gateway_url if info else "", submit_label="save", id="cred-url", compact=True,
                                      placeholder="http://gateway:8088 (optional)")),
                ("description", Field(info.description if info else "", submit_label="save", id="cred-description",
                                      compact=True)),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield widget
            yield Static("", id="cred-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button(f"Cancel ({key_text(self.app, 'back')})", id="cancel", compact=True)
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#cred-name", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#cred-error", Static).update(f"✗ {text}")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def save(self) -> None:
        def get(wid: str) -> str:
            return self.query_one(wid, Input).value.strip()

        name, secret = get("#cred-name"), self.query_one("#cred-secret", Input).value
        if not name:
            self.show_error("a name is needed")
            return
        if self.info is None and not secret:
            self.show_error("a secret is needed")
            return
        result = CredentialInput(name, str(self.query_one("#cred-type", Select).value), get("#cred-username"),
                                 secret, get("#cred-url"), get("#cred-description"),
                                 self.info.name if self.info else None)
        from igtk_tui.errors import IgtkError
        from igtk_tui.vault.model import Credential, validate_gateway_url

        try:  # the model's own rules (name, type, username, gateway URL), before anything is stored
            Credential(result.name, result.type, result.username, secret or "unchanged", result.gateway_url,
                       result.description)
            validate_gateway_url(result.gateway_url)
        except IgtkError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_back(self) -> None:
        self.dismiss(None)
