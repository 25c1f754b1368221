"""Add or edit a schedule: the same fields and the same checks as `igtk schedule add|edit`.

The form stays open until the checks pass (the error names the field, as the CLI's exit 2
does); the check runs in a worker, which posts its answer back here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch, TextArea

from igtk_tui.schedules.model import CATCH_UP, NOTIFY_ON, OVERLAP, Schedule
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints


@dataclass
class FormAnswer(Message):
    """The worker's verdict: the stored schedule and warnings, or the error to show."""

    result: tuple[Schedule, list[str]] | None = None
    error: str | None = None


class ScheduleForm(DismissOnce, RegistryChecks, ModalScreen[tuple[Schedule, list[str]] | None]):
    SCOPE = "schedule-form"
    BINDINGS = bindings_for("schedule-form")

    def __init__(self, service: Any, original: Schedule | None) -> None:
        super().__init__()
        self.service = service
        self.original = original
        self.saving = False

    def compose(self) -> ComposeResult:
        from igtk_tui.schedules.timing import local_zone_name

        s = self.original
        params = "\n".join(f"{k}={v}" for k, v in (s.params if s else {}).items())
        with Vertical(id="schedule-dialog", classes="dialog"):
            yield Static(f"Edit schedule {s.name}" if s else "Add a schedule",
                         classes="dialog-title", markup=False)
            with VerticalScroll(id="schedule-fields"):
                for label, widget in (
                    ("name", Input(s.name if s else "", id="sched-name", placeholder="e.g. nightly-backup",
                                   compact=True, disabled=s is not None)),
                    ("playbook", Input(s.playbook if s else "", id="sched-playbook", compact=True,
                                       placeholder="library path (gateway/backup) or a file")),
                    ("cron", Input(s.cron if s else "", id="sched-cron", compact=True,
                                   placeholder="m h dom mon dow, e.g. 0 2 * * *, or @daily")),
                    ("time zone", Input(s.tz if s else local_zone_name(), id="sched-tz", compact=True)),
                    ("credential", Input(s.credential or "" if s else "", id="sched-credential", compact=True,
                                         placeholder="vault credential name (optional)")),
                    ("gateway URL", Input(s.gateway_url or "" if s else "", id="sched-gateway", compact=True,
                                          placeholder="http://gateway:8088 (optional)")),
                    ("overlap", Select([(o, o) for o in OVERLAP], value=s.overlap if s else "skip",
                                       id="sched-overlap", allow_blank=False, compact=True)),
                    ("catch-up", Select([(c, c) for c in CATCH_UP], value=s.catch_up if s else "skip",
                                        id="sched-catchup", allow_blank=False, compact=True)),
                    ("notify on", Select([(Content("default ([notify] on)"), "default"), *((n, n) for n in NOTIFY_ON)],
                                         value=(s.notify_on or "default") if s else "default",
                                         id="sched-notify-on", allow_blank=False, compact=True)),
                    ("gateway lock", Switch(s.gateway_lock if s else False, id="sched-lock")),
                    ("enabled", Switch(s.enabled if s else True, id="sched-enabled")),
                ):
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield widget
                yield Label("parameters: NAME=VALUE, one a line (no secrets: use a credential)", classes="form-label")
                yield TextArea(params, id="sched-params", classes="sched-area", compact=True)
                yield Label("notify targets, one a line (empty: the [notify] default)", classes="form-label", markup=False)
                yield TextArea("\n".join(s.notify) if s else "", id="sched-notify", classes="sched-area",
                               compact=True)
            yield Static("", id="sched-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(f"Save ({key_text(self.app, 'schedule-save')})", id="save", variant="primary", compact=True)
                yield Button(f"Cancel ({key_text(self.app, 'back')})", id="cancel", compact=True)
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#sched-playbook" if self.original else "#sched-name", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#sched-error", Static).update(f"✗ {text}")

    def draft(self) -> Schedule:
        """The schedule as the fields give it (checked by the worker, not here)."""
        from igtk_tui.playbook.params import parse_assignments

        def text(wid: str) -> str:
            return self.query_one(wid, Input).value.strip()

        lines = [ln.strip() for ln in self.query_one("#sched-params", TextArea).text.splitlines() if ln.strip()]
        notify_on = str(self.query_one("#sched-notify-on", Select).value)
        base = self.original or Schedule(name=text("#sched-name"), playbook="", cron="", tz="")
        return base.with_changes(
            playbook=text("#sched-playbook"), cron=text("#sched-cron"), tz=text("#sched-tz"),
            params=parse_assignments(lines), credential=text("#sched-credential") or None,
            gateway_url=text("#sched-gateway") or None, overlap=str(self.query_one("#sched-overlap", Select).value),
            catch_up=str(self.query_one("#sched-catchup", Select).value),
            notify_on=None if notify_on == "default" else notify_on,
            gateway_lock=self.query_one("#sched-lock", Switch).value,
            enabled=self.query_one("#sched-enabled", Switch).value,
            notify=tuple(ln.strip() for ln in self.query_one("#sched-notify", TextArea).text.splitlines()
                         if ln.strip()))

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        from igtk_tui.errors import IgtkError

        if self.saving:
            return
        try:
            draft = self.draft()
        except IgtkError as exc:
            self.show_error(str(exc))
            return
        self.saving = True
        self.query_one("#sched-error", Static).update("checking…")
        self.check_and_store(draft)

    @work(group="schedule-form", exclusive=True, exit_on_error=False)
    async def check_and_store(self, draft: Schedule) -> None:
        from igtk_tui import redact
        from igtk_tui.errors import IgtkError

        try:
            self.post_message(FormAnswer(result=await self.service.save(draft, self.original)))
        except IgtkError as exc:
            self.post_message(FormAnswer(error=redact.scrub(str(exc))))
        except Exception as exc:  # noqa: BLE001 - shown in the form, the TUI goes on
            self.post_message(FormAnswer(error=redact.scrub(f"{type(exc).__name__}: {exc}")))

    def on_form_answer(self, message: FormAnswer) -> None:
        self.saving = False
        if message.error is not None:
            self.show_error(message.error)
        else:
            self.dismiss(message.result)

    @on(Button.Pressed, "#cancel")
    def action_back(self) -> None:
        self.dismiss(None)
