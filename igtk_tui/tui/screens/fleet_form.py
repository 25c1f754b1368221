"""Start a fleet run from the TUI: playbook, targets and options, handed to the agent.

Why through the agent: the TUI runs nothing itself. The agent checks the request exactly as
`igtk run --on ... --detach` does (targets against the inventory, parameters bound for every
gateway, each gateway's credential in its vault) and coordinates the run: on its own hub, or,
with a PostgreSQL history, over every agent's worker (docs/workers.md). A refusal is shown in
the form, which stays open; the agent call runs in a worker, which posts its answer back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints


@dataclass
class FleetStarted(Message):
    """The agent's answer: the started run (`{id, total, batches, queued}`) or the error to show."""

    started: dict[str, Any] | None = None
    error: str | None = None


class FleetForm(DismissOnce, RegistryChecks, ModalScreen[dict[str, Any] | None]):
    SCOPE = "fleet-form"
    BINDINGS = bindings_for("fleet-form")

    def __init__(self, runtime: Any) -> None:
        super().__init__()
        self.runtime = runtime
        self.starting = False

    def compose(self) -> ComposeResult:
        with Vertical(id="fleet-dialog", classes="dialog"):
            yield Static("Start a fleet run", classes="dialog-title", markup=False)
            with VerticalScroll(id="fleet-fields"):
                for label, widget in (
                    ("playbook", Input(id="fleet-playbook", compact=True,
                                       placeholder="library path (gateway/health_check) or a file")),
                    ("targets", Input(id="fleet-targets", compact=True,
                                      placeholder="gateways, groups, tag:X or all (comma-separated)")),
                    ("forks", Input(id="fleet-forks", compact=True, placeholder="gateways at once (default 5)")),
                    ("serial", Input(id="fleet-serial", compact=True, placeholder="batch size: N or P% (optional)")),
                    ("max fail", Input(id="fleet-max-fail", compact=True,
                                       placeholder="P%: stop once more of a batch failed (optional)")),
                    ("lock wait", Input(id="fleet-lock-wait", compact=True,
                                        placeholder="seconds to wait for a busy gateway (default 0)")),
                ):
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield widget
                yield Label("parameters: NAME=VALUE, one a line (each gateway's credential comes from the "
                            "inventory)", classes="form-label")
                yield TextArea("", id="fleet-params", classes="sched-area", compact=True)
            yield Static("", id="fleet-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(f"Start ({key_text(self.app, 'fleet-form-start')})", id="start", variant="primary", compact=True)
                yield Button(f"Cancel ({key_text(self.app, 'back')})", id="cancel", compact=True)
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#fleet-playbook", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#fleet-error", Static).update(f"✗ {text}")

    def request(self) -> dict[str, Any]:
        """The request as the fields give it (the agent checks it; here only the shape of numbers)."""
        from igtk_tui.errors import InvalidInput
        from igtk_tui.playbook.params import parse_assignments

        def text(wid: str) -> str:
            return self.query_one(wid, Input).value.strip()

        def number(wid: str, name: str, kind: type) -> Any:
            value = text(wid)
            if not value:
                return None
            try:
                return kind(value)
            except ValueError:
                raise InvalidInput(f"{name}: expected a number, got {value!r}") from None

        if not text("#fleet-playbook"):
            raise InvalidInput("playbook: give a library path or a file")
        targets = [t for t in text("#fleet-targets").replace(" ", ",").split(",") if t]
        if not targets:
            raise InvalidInput("targets: name inventory gateways, groups, tag:X or all")
        lines = [ln.strip() for ln in self.query_one("#fleet-params", TextArea).text.splitlines() if ln.strip()]
        return {"playbook": text("#fleet-playbook"), "targets": targets, "params": parse_assignments(lines),
                "forks": number("#fleet-forks", "forks", int), "serial": text("#fleet-serial") or None,
                "max_fail": text("#fleet-max-fail") or None,
                "lock_wait": number("#fleet-lock-wait", "lock wait", float) or 0.0}

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        from igtk_tui.errors import IgtkError

        if self.starting:
            return
        try:
            request = self.request()
        except IgtkError as exc:
            self.show_error(str(exc))
            return
        self.starting = True
        self.query_one("#fleet-error", Static).update("starting…")
        self.start_in_agent(request)

    @work(group="fleet-form", exclusive=True, exit_on_error=False)
    async def start_in_agent(self, request: dict[str, Any]) -> None:
        from igtk_tui import redact
        from igtk_tui.errors import IgtkError

        def ask() -> dict[str, Any]:
            from igtk_tui.agent.client import AgentClient

            with AgentClient.connect(self.runtime.paths, start=True, env=self.runtime.env) as client:
                return client.start_fleet(request)

        try:
            self.post_message(FleetStarted(started=await asyncio.to_thread(ask)))
        except IgtkError as exc:
            self.post_message(FleetStarted(error=redact.scrub(str(exc))))
        except Exception as exc:  # noqa: BLE001 - shown in the form, the TUI goes on
            self.post_message(FleetStarted(error=redact.scrub(f"{type(exc).__name__}: {exc}")))

    def on_fleet_started(self, message: FleetStarted) -> None:
        self.starting = False
        if message.error is not None:
            self.show_error(message.error)
        else:
            self.dismiss(message.started)

    @on(Button.Pressed, "#cancel")
    def action_back(self) -> None:
        self.dismiss(None)
