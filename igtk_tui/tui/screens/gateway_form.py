"""Add or edit one inventory gateway: name, URL, vault credential name, groups, tags, version.

The entry is checked with the same rules as `igtk inventory add` (inventory.make_gateway)
before the dialog closes; the credential is a vault credential's name, never a secret.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints


class GatewayForm(DismissOnce, RegistryChecks, ModalScreen[Any]):
    """Dismisses with (original name or None, Gateway), or None when cancelled."""

    SCOPE = "gateway-form"
    BINDINGS = bindings_for("gateway-form")

    def __init__(self, gateway: Any = None, credentials: list[str] | None = None) -> None:
        super().__init__()
        self.gateway = gateway
        self.credentials = credentials or []

    def compose(self) -> ComposeResult:
        g = self.gateway
        hint = ("vault: " + ", ".join(self.credentials[:6]) + (" …" if len(self.credentials) > 6 else "")
                if self.credentials else "a vault credential's name")
        with Vertical(id="gateway-dialog", classes="dialog"):
            yield Static(f"Edit gateway {g.name}" if g else "Add a gateway to the inventory", classes="dialog-title",
                         markup=False)
            for label, widget in (
                ("name", Input(g.name if g else "", id="gw-name", placeholder="e.g. plant-a-gw1", compact=True)),
                ("URL", Input(g.url if g else "", id="gw-url", placeholder="http://10.0.0.5:8088", compact=True)),
                ("credential", Input(g.credential if g else "", id="gw-credential", placeholder=hint, compact=True)),
                ("groups", Input(", ".join(g.groups) if g else "", id="gw-groups", placeholder="plant-a, line-3",
                                 compact=True)),
                ("tags", Input(", ".join(g.tags) if g else "", id="gw-tags", placeholder="critical", compact=True)),
                ("version", Input(g.version or "" if g else "", id="gw-version", placeholder="8.3.2 (optional)",
                                  compact=True)),
                ("description", Input(g.description if g else "", id="gw-description", compact=True)),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield widget
            yield Static("", id="gw-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(f"Save ({key_text(self.app, 'inventory-save')})", id="save", variant="primary", compact=True)
                yield Button(f"Cancel ({key_text(self.app, 'back')})", id="cancel", compact=True)
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#gw-name", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#gw-error", Static).update("✗ " + text.replace("\n", "\n✗ "))

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        from igtk_tui.errors import InvalidInput
        from igtk_tui.inventory import make_gateway

        def get(wid: str) -> str:
            return self.query_one(wid, Input).value.strip()

        try:
            gateway = make_gateway(get("#gw-name"), get("#gw-url"), get("#gw-credential"),
                                   groups=get("#gw-groups").split(","), tags=get("#gw-tags").split(","),
                                   version=get("#gw-version"), description=get("#gw-description"),
                                   labels={"url": "URL", "credential": "credential", "version": "version"})
        except InvalidInput as exc:
            self.show_error(str(exc))
            return
        self.dismiss((self.gateway.name if self.gateway else None, gateway))

    @on(Button.Pressed, "#cancel")
    def action_back(self) -> None:
        self.dismiss(None)
