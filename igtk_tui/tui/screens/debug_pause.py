"""The debug view of a paused execution: the step, its resolved (masked)
parameters, the failure context (error, screenshot, page text) and an editor
for the step's parameters, validated on save and applied with
`controls.set_step_parameters` before resuming.

Only the keys the operator changed are sent: masked secrets (••••) stay what
they were, and references the operator did not touch keep resolving.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from textual import events, getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from igtk_tui import redact
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.messages import ExecutionsUpdated
from igtk_tui.tui.screens.dismiss import DismissOnce
from igtk_tui.tui.widgets.key_hints import KeyHints
from igtk_tui.tui.yamltext import readable_yaml

CONTEXT_KEYS = ("message", "error", "url", "title", "screenshot", "page_text")

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp


def changed_parameters(original: dict[str, Any], edited: Any) -> dict[str, Any]:
    """What the operator changed; raises ValueError for anything that cannot be applied."""
    if edited is None:
        edited = {}
    if not isinstance(edited, dict):
        raise ValueError("the parameters must be a mapping of name: value")
    changed = {k: v for k, v in edited.items() if k not in original or original[k] != v}
    for key, value in changed.items():
        if redact.MASK in json.dumps(value, default=str, ensure_ascii=False):
            raise ValueError(f"{key}: a masked secret (••••) cannot be edited here; put the real value "
                             "in the vault or a parameter")
    removed = [k for k in original if k not in edited]
    if removed:
        raise ValueError(f"parameters cannot be removed at a pause: {', '.join(removed)}")
    return changed


def validate_for_step(step_type: str, changed: dict[str, Any]) -> list[str]:
    """The step registry's own checks, for the values that do not use {{ references }}."""
    from igtk_tui.playbook.refs import has_refs
    from igtk_tui.steptypes import REGISTRY, check_value

    spec = REGISTRY.get(step_type)
    if spec is None:
        return []
    problems = []
    for key, value in changed.items():
        param = spec.param(key)
        if param is None:
            if not spec.extra_params:
                known = ", ".join(p.name for p in spec.params)
                problems.append(f"{key}: {step_type} has no parameter {key!r} (it takes: {known})")
            continue
        if isinstance(value, str) and has_refs(value):
            continue
        _value, err = check_value(param, value)
        if err:
            problems.append(f"{key}: {err}")
    return problems


class DebugPauseScreen(DismissOnce, RegistryChecks, ModalScreen[None]):
    SCOPE = "debug"
    BINDINGS = bindings_for("debug")
    if TYPE_CHECKING:  # the app this runs in, for the type checker only (as Textual does)
        app = getters.app(IgtkApp)

    def __init__(self, execution_id: str) -> None:
        super().__init__()
        self.execution_id = execution_id
        self.original: dict[str, Any] = {}
        self.pause: Any = None
        self.saved_text = ""  # the editor's text when opened or last saved: anything else is unsaved edits

    @property
    def view(self) -> Any:
        return self.app.executions.views.get(self.execution_id)

    def compose(self) -> ComposeResult:
        view = self.view
        pause = view.pause if view else None
        self.pause = pause
        ctx = dict(pause.context) if pause else {}
        step = ctx.get("step") or (pause.step if pause else None) or "-"
        self.original = dict(ctx.get("parameters") or {})
        with Vertical(id="debug-dialog", classes="dialog"):
            yield Static(f"‖ paused ({pause.reason if pause else '?'}) at {step}  ·  #{view.seq} {view.playbook}"
                         if view else "not paused", classes="dialog-title", markup=False, id="debug-title")
            with VerticalScroll(id="debug-context"):
                yield Static(self._context_text(ctx), id="debug-info", markup=False)
                excerpt = ctx.get("page_text_excerpt")
                if excerpt:
                    yield Static("page text:", classes="section-label")
                    yield Static(str(excerpt), id="debug-page-text", markup=False)
            yield Static(f"step parameters (resolved; secrets masked) · edit, {key_text(self.app, 'debug-save')} saves:",
                         classes="section-label", markup=False)
            self.saved_text = readable_yaml(self.original) if self.original else "{}\n"
            yield TextArea(self.saved_text, id="debug-params", language=None, soft_wrap=True)
            yield Static("", id="debug-errors", markup=False)
            with Horizontal(id="debug-buttons"):
                yield Button(f"Resume {key_text(self.app, 'pause', first=True)}", id="resume", variant="primary",
                             compact=True)
                yield Button(f"Skip {key_text(self.app, 'skip', first=True)}", id="skip", compact=True)
                yield Button(f"Back {key_text(self.app, 'step-back', first=True)}", id="back", compact=True)
                yield Button(f"Save {key_text(self.app, 'debug-save', first=True)}", id="save", compact=True)
                yield Button(f"Cancel {key_text(self.app, 'cancel', first=True)}", id="cancel", variant="error",
                             compact=True)
        yield KeyHints()

    def _context_text(self, ctx: dict[str, Any]) -> str:
        lines = []
        if ctx.get("name") or ctx.get("type"):
            lines.append(f"step: {ctx.get('name', '')} ({ctx.get('type', '')})")
        for key in CONTEXT_KEYS:
            if ctx.get(key):
                lines.append(f"{key.replace('_', ' ')}: {ctx[key]}")
        extra = {k: v for k, v in ctx.items()
                 if k not in (*CONTEXT_KEYS, "name", "type", "step", "parameters", "variables", "page_text_excerpt")}
        for key, value in extra.items():
            lines.append(f"{key}: {value}")
        if "variables" in ctx:  # what `{{ variable.X }}` reads now: what a breakpoint is for
            variables = ctx["variables"]
            lines.append("variables:" + (("\n" + readable_yaml(variables).rstrip()) if variables else " (none set)"))
        return redact.scrub("\n".join(lines) or "(no context)")

    def action_state(self) -> ActionState:
        view = self.view
        service = self.app.executions
        live = view is not None and service.execution(self.execution_id) is not None
        return ActionState(screen="debug", live=live, paused=bool(view and view.status == "paused"),
                           editing=self.editing)

    @property
    def editing(self) -> bool:
        """The editor has focus or holds unsaved edits: letter keys are text, not commands."""
        editor = self.query("#debug-params")
        return bool(editor) and (self.focused is editor.first() or editor.first(TextArea).text != self.saved_text)

    @on(TextArea.Changed, "#debug-params")
    def _edited(self) -> None:
        self.refresh_bindings()  # the footer drops (or brings back) the letter commands

    def on_mount(self) -> None:
        self.app.executions.subscribe(self)
        self.saved_text = self.query_one("#debug-params", TextArea).text
        self.query_one("#resume").focus()

    def on_key(self, event: events.Key) -> None:
        """Letter commands never fire while the operator is editing the parameters.

        A key reaches here before the screen's bindings run. In the editor, TextArea takes
        every character. Outside it: with unsaved edits, a letter command is held back
        (save with ctrl+s first); a character no command uses starts editing (focus moves to
        the editor and the character is typed), so typing `false` there never runs `s`.
        """
        editor = self.query_one("#debug-params", TextArea)
        if self.focused is editor or not event.is_printable or not event.character:
            return
        if editor.text != self.saved_text:
            event.stop()
            event.prevent_default()
            self.query_one("#debug-errors", Static).update(
                f"✗ unsaved parameter edits: {event.character!r} not run ({key_text(self.app, 'debug-save')} saves "
                "them; or undo them)")
            return
        if event.key in self.app.active_bindings:
            return  # a command key: the binding runs it
        event.stop()
        event.prevent_default()
        editor.focus()
        editor.insert(event.character)

    def on_unmount(self) -> None:
        self.app.executions.unsubscribe(self)

    @on(ExecutionsUpdated)
    def updated(self, message: ExecutionsUpdated) -> None:
        view = self.view
        if view is None or view.pause is not self.pause:
            # Resumed, or paused again elsewhere: this view's context is stale (main opens the new one).
            self.dismiss(None)  # once, and only while on top (DismissOnce)

    # -- controls -----------------------------------------------------------------------------
    def _control(self, action: str) -> None:
        self.app.executions.control(self.execution_id, action)

    def action_pause(self) -> None:
        self._control("resume")

    def action_skip(self) -> None:
        self._control("skip")

    def action_step_back(self) -> None:
        self._control("step_back")

    def action_cancel(self) -> None:
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._control("cancel")

        self.app.push_screen(ConfirmScreen("Cancel this execution?"), answered)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_save_params(self) -> bool:
        """Validate the editor and hand the changed keys to the engine; True when applied."""
        errors = self.query_one("#debug-errors", Static)
        view = self.view
        pause = view.pause if view else None
        execution = self.app.executions.execution(self.execution_id)
        if pause is None or execution is None:
            errors.update("✗ the execution is no longer paused")
            return False
        path = pause.context.get("step") or pause.step
        try:
            edited = yaml.safe_load(self.query_one("#debug-params", TextArea).text)
            changed = changed_parameters(self.original, edited)
        except (yaml.YAMLError, ValueError) as exc:
            errors.update(f"✗ {exc}")
            return False
        problems = validate_for_step(str(pause.context.get("type", "")), changed)
        if problems:
            errors.update("\n".join(f"✗ {p}" for p in problems))
            return False
        self.saved_text = self.query_one("#debug-params", TextArea).text  # what is applied now
        self.refresh_bindings()
        if not changed:
            errors.update("nothing changed")
            return True
        current = execution.controls.param_overrides.get(path, {})
        execution.controls.set_step_parameters(path, {**current, **changed})
        self.original.update(changed)
        errors.update(f"✓ saved {', '.join(changed)}: used when {path} runs (resume with "
                      f"{key_text(self.app, 'pause', first=True)})")
        return True

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        action = {"resume": self.action_pause, "skip": self.action_skip, "back": self.action_step_back,
                  "save": self.action_save_params, "cancel": self.action_cancel}.get(event.button.id or "")
        if action:
            action()
