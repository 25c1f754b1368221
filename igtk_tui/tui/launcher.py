"""Starting executions from the UI: the parameter form, the vault check, the
nesting check, and rerun/resume from what was recorded.

Kept out of the App so the App stays about wiring (themes, keys, services).
"""

from __future__ import annotations

import asyncio
from typing import Any

from igtk_tui import redact
from igtk_tui.tui.services import Launch


class Launcher:
    def __init__(self, app: Any) -> None:
        self.app = app

    def open_form(self, entry: Any, *, values: dict[str, Any] | None = None, errors: str | None = None,
                  title: str = "Run", rerun_of: str | None = None, resume: Any = None, debug: bool = False,
                  breakpoints: tuple[str, ...] = ()) -> None:
        """The form for a library entry; an invalid or disabled playbook is said, not opened."""
        from igtk_tui.tui.widgets.playbook_tree import entry_flags

        flags = entry_flags(entry)
        if not flags["valid"]:
            self.app.notify("\n".join(entry.problems[:5]) or "this playbook does not load",
                            title="Invalid playbook", severity="error", markup=False, timeout=10)
            return
        if not flags["enabled"]:
            self.app.notify(f"{entry.rel_path} is disabled in the library", severity="warning", markup=False)
            return
        self.form(entry.playbook, entry.rel_path, values=values, errors=errors, title=title, rerun_of=rerun_of,
                  resume=resume, debug=debug, breakpoints=breakpoints)

    def form(self, playbook: Any, ref: str, *, values: dict[str, Any] | None = None, errors: str | None = None,
             title: str = "Run", rerun_of: str | None = None, resume: Any = None, debug: bool = False,
             breakpoints: tuple[str, ...] = ()) -> None:
        from igtk_tui.tui.screens.params_form import ParamsForm

        prefill = dict(values or {})
        demo = self.app.demo
        if demo is not None:  # the demo gateway and its credential, unless given
            for param in playbook.parameters:
                if param.name in prefill or param.default is not None:
                    continue
                if param.name in ("gateway_url", "url"):
                    prefill[param.name] = demo.url
                elif param.type.value == "credential" and demo.credential:
                    prefill[param.name] = demo.credential

        def done(result: Any) -> None:
            if result is not None:
                self.start(Launch(result.request, ref, result.debug, result.breakpoints, rerun_of=rerun_of),
                           resume=resume)

        self.app.push_screen(ParamsForm(playbook, ref, values=prefill, title=title, errors=errors, debug=debug,
                                        breakpoints=breakpoints), done)

    def start(self, launch: Launch, *, resume: Any = None) -> None:
        """Unlock the vault first when the run reads credentials; refuse a bad nesting tree up front."""
        from igtk_tui.engine.launch import needs_vault
        from igtk_tui.errors import IgtkError

        app = self.app
        request = launch.request
        wants_vault = needs_vault(request.playbook, request.params) or bool(request.credential_names)
        if wants_vault and app.vault is None:
            app.notify("This playbook reads credentials: unlock the vault first", severity="warning")
            app.vault_ui.unlock(then=lambda: self.start(launch, resume=resume))
            return
        try:
            app.runtime.resolver().check_tree(request.playbook)
        except IgtkError as exc:
            app.notify(str(exc), title="Cannot start", severity="error", markup=False, timeout=10)
            return
        app.main_screen.follow_next()
        try:
            app.executions.start(launch, credentials=app.vault if wants_vault else None, resume=resume)
        except Exception as exc:  # noqa: BLE001 - a refused start is said, never a crash of the UI
            app.notify(redact.scrub(str(exc)), title="Cannot start", severity="error", markup=False, timeout=10)

    async def relaunch(self, execution_id: str, *, resume: bool) -> None:
        """Rerun or resume: same non-secret parameters; the form opens only when something is missing."""
        from igtk_tui.engine.launch import build_request
        from igtk_tui.errors import IgtkError
        from igtk_tui.playbook.loader import load_file
        from igtk_tui.tui.relaunch import resume_state, reusable_params

        app = self.app
        launch = app.executions.launches.get(execution_id)
        detail = None
        if app.store is not None and (resume or launch is None):
            detail = await app.store.executions.get(execution_id, logs=0)
        if launch is not None and not resume:
            playbook, ref, params = launch.request.playbook, launch.playbook_ref, dict(launch.request.params)
            debug, breakpoints = launch.debug, launch.breakpoints
        elif detail is not None:
            summary = detail.summary
            ref = summary.playbook_rel or summary.playbook_path or summary.playbook
            try:
                playbook = await asyncio.to_thread(load_file, app.runtime.library.find(ref))
            except Exception as exc:  # noqa: BLE001 - moved or broken playbook: say so
                app.notify(f"cannot load {ref}: {str(exc).splitlines()[0]}", severity="error", markup=False)
                return
            params, debug, breakpoints = dict(detail.parameters), detail.debug, ()
        else:
            app.notify("This execution is not in the history (is the database open?)", severity="warning")
            return
        state = None
        if resume and detail is not None:  # resuming always read the detail above
            state = resume_state(detail, playbook)
            if state is None:
                app.notify("Nothing left to resume: every step finished", severity="warning")
                return
            if detail.playbook_hash and detail.playbook_hash != playbook.content_hash:
                app.notify(f"{ref} changed since this execution ran: resuming with the current file",
                           severity="warning", markup=False)
        values = reusable_params(playbook, params)
        verb = "Resume" if resume else "Rerun"
        rerun_of = None if resume else execution_id
        try:
            request = build_request(playbook, values)
        except IgtkError as exc:
            self.form(playbook, ref, values=values, errors=str(exc), title=verb, rerun_of=rerun_of, resume=state,
                      debug=debug, breakpoints=breakpoints)
            return
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                app.notify(f"{verb}: {playbook.name}" + (f" from step {state.start_step}" if state else ""),
                           markup=False)
                self.start(Launch(request, ref, debug, breakpoints, rerun_of=rerun_of), resume=state)

        # A rerun or resume acts on a gateway: say what, where and with what before it starts.
        app.push_screen(ConfirmScreen(f"{verb} {playbook.name}" + (f" from step {state.start_step}" if state else "")
                                      + "?", relaunch_summary(ref, request)), answered)


def relaunch_summary(ref: str, request: Any) -> str:
    """Playbook, gateway and parameters (secrets masked) of a run about to start again."""
    params = redact.scrub_obj(dict(request.params))
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if v not in (None, "")) or "(none)"
    return redact.scrub(f"playbook   {ref}\ngateway    {request.gateway_url or '-'}\nparameters {shown}")
