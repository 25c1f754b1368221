"""The parameter form: typed inputs with defaults, choices as Select, booleans
as Switch, credentials from the vault, file paths with completion, presets.

Validation is `engine.launch.build_request`, exactly what `igtk run` does;
its messages are shown at the field they name. `ctrl+r` runs.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from igtk_tui.playbook.model import Parameter, ParamType, Playbook
from igtk_tui.playbook.params import is_secret_parameter
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints
from igtk_tui.tui.widgets.word_switch import WordSwitch

_FIELD_RE = re.compile(r"parameter '([^']+)'")


@dataclass
class FormResult:
    request: Any  # engine.launch.RunRequest
    debug: bool
    breakpoints: tuple[str, ...]
    values: dict[str, Any]  # as typed: the agent binds them again, with `credential` filled in there
    credential: str | None = None


class PathSuggester(Suggester):
    """Completes file paths as they are typed (the folder listing is tiny and local)."""

    def __init__(self, base: Path | None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        typed = Path(value).expanduser()
        if not typed.is_absolute() and self.base is not None:
            typed = self.base / typed
        folder, prefix = (typed, "") if value.endswith("/") else (typed.parent, typed.name)
        try:
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix:
                return value + name[len(prefix):]
        return None


def field_errors(message: str, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split build_request's problem lines into per-field messages and the rest."""
    per_field: dict[str, str] = {}
    other: list[str] = []
    for line in message.splitlines():
        line = line.strip()
        if not line or line.startswith("invalid parameters"):
            continue
        match = _FIELD_RE.search(line)
        if match and match.group(1) in names and not line.startswith("unknown"):
            text = line.split(":", 1)[1].strip() if line.startswith("parameter ") and ":" in line else line
            per_field[match.group(1)] = text
        else:
            other.append(line)
    return per_field, other


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class ParamsForm(DismissOnce, RegistryChecks, ModalScreen[FormResult | None]):
    SCOPE = "params"
    BINDINGS = bindings_for("params")

    def __init__(self, playbook: Playbook, playbook_ref: str, *, values: dict[str, Any] | None = None,
                 title: str = "Run", debug: bool = False, breakpoints: tuple[str, ...] = (),
                 errors: str | None = None) -> None:
        super().__init__()
        self.playbook = playbook
        self.playbook_ref = playbook_ref
        self.initial = dict(values or {})
        self.title_text = title
        self.initial_debug = debug
        self.initial_breakpoints = breakpoints
        self.initial_errors = errors
        self.presets: dict[str, dict[str, Any]] = {}
        self.busy = False

    # -- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        pb = self.playbook
        app: Any = self.app
        names = app.vault_infos if app.vault_state == "open" else []
        with Vertical(id="form-dialog", classes="dialog"):
            yield Static(f"{self.title_text}: {pb.name}", classes="dialog-title", markup=False)
            if pb.description:
                yield Static(pb.description, classes="dialog-detail", markup=False)
            with VerticalScroll(id="form-fields"):
                with Horizontal(classes="form-row"):
                    yield Label("preset", classes="form-label")
                    yield Select([], prompt="(none saved)", id="preset", allow_blank=True, compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("fill from credential", classes="form-label")
                    yield Select([(c.name, c.name) for c in names], id="autofill",
                                 prompt="(vault locked)" if app.vault_state != "open" else "(none)", compact=True)
                for param in pb.parameters:
                    yield from self._field(param, names)
                with Horizontal(classes="form-row"):
                    yield Label("debug mode", classes="form-label")
                    yield WordSwitch(self.initial_debug, id="opt-debug")
                with Horizontal(classes="form-row"):
                    yield Label("breakpoints", classes="form-label")
                    hint = "step ids, comma separated: " + ", ".join(s.id for s in pb.steps[:4])
                    yield Input(", ".join(self.initial_breakpoints), id="opt-breakpoints", placeholder=hint,
                                compact=True)
                yield Static("", id="form-errors", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(f"Run ({key_text(self.app, 'form-run')})", id="run", variant="primary", compact=True)
                yield Button(f"Save preset ({key_text(self.app, 'form-save-preset')})", id="save-preset",
                             compact=True)
                yield Button(f"Cancel ({key_text(self.app, 'back')})", id="cancel", compact=True)
        yield KeyHints()

    def _field(self, param: Parameter, credentials: list[Any]) -> ComposeResult:
        value = self.initial.get(param.name, param.default)
        required = " *" if param.required and param.default is None else ""
        with Vertical(classes="form-field", id=f"field-{param.name}"):
            with Horizontal(classes="form-row"):
                yield Label(f"{param.label or param.name}{required}", classes="form-label")
                yield self._widget(param, value, credentials)
            hint = param.description + (f" ({param.type.value})" if param.type != ParamType.STRING else "")
            if hint.strip():
                yield Static(hint.strip(), classes="form-hint", markup=False)
            yield Static("", classes="form-error", id=f"error-{param.name}", markup=False)

    def _widget(self, param: Parameter, value: Any, credentials: list[Any]) -> Widget:
        wid = f"param-{param.name}"
        if param.type == ParamType.BOOLEAN:
            return WordSwitch(bool(value) if value is not None else False, id=wid)
        if param.choices is not None:
            options = [(_text(c), c) for c in param.choices]
            return Select(options, id=wid, value=value if value in param.choices else Select.NULL,
                          allow_blank=not (param.required and param.default is not None), compact=True)
        if param.type == ParamType.CREDENTIAL and credentials:
            options = [(f"{c.name} ({c.type}, {c.username})", c.name) for c in credentials]
            known = {c.name for c in credentials}
            if value not in known and len(credentials) == 1:
                value = credentials[0].name  # the only one there is: nothing to choose
            return Select(options, id=wid, value=value if value in known else Select.NULL, compact=True)
        kind: dict[str, Any] = {}
        if param.type == ParamType.INTEGER:
            kind["type"] = "integer"
        elif param.type == ParamType.FLOAT:
            kind["type"] = "number"
        placeholder = {
            ParamType.FILE: "path (absolute, or relative to the playbook's folder)",
            ParamType.LIST: "YAML/JSON list, or a, b, c",
            ParamType.DICT: "YAML/JSON mapping",
            ParamType.CREDENTIAL: "credential name (unlock the vault to pick one)",
        }.get(param.type, "")
        suggester = PathSuggester(self.playbook.folder) if param.type == ParamType.FILE else None
        return Input(_text(value), id=wid, placeholder=placeholder, password=is_secret_parameter(param),
                     suggester=suggester, **kind, compact=True)

    def on_mount(self) -> None:
        first = self.query("#form-fields Input, #form-fields Select, #form-fields Switch")
        params = [w for w in first if (w.id or "").startswith("param-")]
        (params[0] if params else self.query_one("#run")).focus()
        if self.initial_errors:
            self.show_errors(self.initial_errors)
        self.load_presets()

    # -- values -----------------------------------------------------------------------------------
    def collect(self) -> dict[str, Any]:
        """Widget values; empty fields are left out so defaults and autofill apply."""
        values: dict[str, Any] = {}
        for param in self.playbook.parameters:
            widget = self.query_one(f"#param-{param.name}")
            if isinstance(widget, Switch):
                values[param.name] = widget.value
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL and widget.value is not None:
                    values[param.name] = widget.value
            elif isinstance(widget, Input) and widget.value.strip() != "":
                values[param.name] = widget.value if is_secret_parameter(param) else widget.value.strip()
        return values

    def fill(self, values: dict[str, Any]) -> None:
        for param in self.playbook.parameters:
            if param.name not in values:
                continue
            widget = self.query_one(f"#param-{param.name}")
            value = values[param.name]
            if isinstance(widget, Switch):
                widget.value = bool(value)
            elif isinstance(widget, Select):
                try:
                    widget.value = value
                except Exception:  # noqa: BLE001 - a preset naming a choice that no longer exists
                    pass
            elif isinstance(widget, Input):
                widget.value = _text(value)

    def show_errors(self, message: str) -> None:
        names = [p.name for p in self.playbook.parameters]
        per_field, other = field_errors(message, names)
        for name in names:
            label = self.query_one(f"#error-{name}", Static)
            label.update(f"✗ {per_field[name]}" if name in per_field else "")
            label.set_class(name in per_field, "-shown")
        box = self.query_one("#form-errors", Static)
        box.update("\n".join(f"✗ {line}" for line in other))
        box.set_class(bool(other), "-shown")
        if per_field:
            self.query_one(f"#param-{next(iter(per_field))}").focus()

    # -- actions ----------------------------------------------------------------------------------
    def action_run(self) -> None:
        if not self.busy:
            self.validate_and_run()

    @work(group="form", exclusive=True, exit_on_error=False)
    async def validate_and_run(self) -> None:
        from igtk_tui.engine.launch import build_request
        from igtk_tui.errors import IgtkError

        self.busy = True
        try:
            values = self.collect()
            credential = None
            name = self.query_one("#autofill", Select).value
            app: Any = self.app
            if name is not Select.NULL and name and app.vault is not None:
                credential = await asyncio.to_thread(app.vault.get, name)
            try:
                request = build_request(self.playbook, values, credential=credential)
            except IgtkError as exc:
                self.show_errors(str(exc))
                return
            ids = {s.id for s in self.playbook.steps}
            raw = self.query_one("#opt-breakpoints", Input).value
            breakpoints = tuple(b.strip() for b in raw.split(",") if b.strip())
            unknown = [b for b in breakpoints if b.split("/", 1)[0] not in ids]
            if unknown:
                self.show_errors(f"breakpoints: no step {', '.join(unknown)} in this playbook")
                return
            self.dismiss(FormResult(request, self.query_one("#opt-debug", Switch).value, breakpoints, values,
                                    credential.name if credential is not None else None))
        finally:
            self.busy = False

    def action_save_preset(self) -> None:
        app: Any = self.app
        if app.store is None:
            self.notify("The history database is not open: presets cannot be saved", severity="warning")
            return
        from igtk_tui.tui.screens.prompt import PromptScreen

        current = self.query_one("#preset", Select).value
        default = current if isinstance(current, str) else "default"
        def named(name: str | None) -> None:
            if name:
                self.save_preset(name)

        self.app.push_screen(PromptScreen("preset name (secret values are never stored)", default), named)

    @work(group="presets", exit_on_error=False)
    async def save_preset(self, name: str) -> None:
        from igtk_tui.playbook.params import secret_parameter_names

        app: Any = self.app
        values = self.collect()
        preset = await app.store.presets.save(self.playbook_ref, name, values,
                                              secret_names=secret_parameter_names(self.playbook))
        self.presets[name] = preset.params
        self._preset_options(select=name)
        dropped = sorted(set(values) - set(preset.params))
        note = f" (not stored: {', '.join(dropped)})" if dropped else ""
        self.notify(f"preset {name!r} saved{note}", markup=False)

    @work(group="presets", exit_on_error=False)
    async def load_presets(self) -> None:
        app: Any = self.app
        if app.store is None:
            return
        for preset in await app.store.presets.list(self.playbook_ref):
            self.presets[preset.name] = preset.params
        self._preset_options()

    def _preset_options(self, select: str | None = None) -> None:
        widget = self.query_one("#preset", Select)
        with widget.prevent(Select.Changed):
            widget.set_options([(name, name) for name in sorted(self.presets)])
            if select:
                widget.value = select

    @on(Select.Changed, "#preset")
    def preset_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value in self.presets:
            self.fill(self.presets[event.value])

    @on(Button.Pressed, "#run")
    def run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#save-preset")
    def preset_pressed(self) -> None:
        self.action_save_preset()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_back(self) -> None:
        self.dismiss(None)
