"""Starting executions from the UI: the parameter form, the agent's vault, and
rerun/resume from what was recorded. Every run starts in the agent (tui/agent_feed.py),
never in this process, so it outlives the terminal.

Rerun and resume use engine/replay.py, the code `igtk rerun`/`resume` and the agent
use: resume continues the RECORDED playbook text and is refused after a rollback;
parameters merge the same way (secrets the record kept redacted are asked for in the
form). The agent replays the record itself (`resume_of` / `rerun_of`); the TUI only
says what will run and asks first.

Kept out of the App so the App stays about wiring (themes, keys, services).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from igtk_tui import redact


@dataclass
class Launch:
    """What to start in the agent (the agent loads, binds and checks it again)."""

    playbook: Any  # playbook.model.Playbook
    params: dict[str, Any]
    debug: bool = False
    breakpoints: tuple[str, ...] = ()
    credential: str | None = None
    needs_vault: bool = False
    resume_of: str | None = None
    rerun_of: str | None = None

    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"params": self.params, "credential": self.credential, "debug": self.debug,
                                "breakpoints": list(self.breakpoints), "trigger": "tui"}
        if self.resume_of or self.rerun_of:
            spec.update(resume_of=self.resume_of, rerun_of=self.rerun_of)
        else:
            spec["playbook"] = str(self.playbook.path)
        return spec


class Launcher:
    def __init__(self, app: Any) -> None:
        self.app = app

    def open_form(self, entry: Any, *, values: dict[str, Any] | None = None, errors: str | None = None,
                  title: str = "Run", debug: bool = False, breakpoints: tuple[str, ...] = ()) -> None:
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
        self.form(entry.playbook, entry.rel_path, values=values, errors=errors, title=title, debug=debug,
                  breakpoints=breakpoints)

    def form(self, playbook: Any, ref: str, *, values: dict[str, Any] | None = None, errors: str | None = None,
             title: str = "Run", debug: bool = False, breakpoints: tuple[str, ...] = (),
             resume_of: str | None = None, rerun_of: str | None = None) -> None:
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
                self.start(launch_of(result, playbook, resume_of=resume_of, rerun_of=rerun_of))

        self.app.push_screen(ParamsForm(playbook, ref, values=prefill, title=title, errors=errors, debug=debug,
                                        breakpoints=breakpoints), done)

    def start(self, launch: Launch) -> None:
        self.app.run_worker(self._start(launch), group="start", exit_on_error=False, name="start execution")

    async def _start(self, launch: Launch) -> None:
        """In the agent; when the run reads credentials and the agent's vault is locked, the unlock
        box asks for the passphrase first (it unlocks this TUI's vault and the agent's)."""
        from igtk_tui.agent.client import AgentVaultLocked
        from igtk_tui.errors import IgtkError

        app = self.app
        try:
            if launch.needs_vault and (await app.agent.vault_state()).get("state") != "unlocked":
                self._ask_unlock(launch)
                return
            app.main_screen.follow_next()
            await app.agent.start(launch.spec())
        except AgentVaultLocked:
            self._ask_unlock(launch)
        except (IgtkError, OSError) as exc:
            app.notify(redact.scrub(str(exc)), title="Cannot start", severity="error", markup=False, timeout=10)

    def _ask_unlock(self, launch: Launch) -> None:
        self.app.notify("This playbook reads credentials: unlock the vault (the agent keeps it unlocked "
                        "for the runs)", severity="warning")
        self.app.vault_ui.unlock(then=lambda: self.start(launch), for_agent=True)

    async def relaunch(self, execution_id: str, *, resume: bool) -> None:
        """Rerun or resume a recorded execution (engine/replay.py); the form opens only when
        a secret must be given again or a value no longer validates; a confirmation first."""
        from igtk_tui.engine import replay
        from igtk_tui.engine.launch import build_request
        from igtk_tui.errors import IgtkError

        app = self.app
        try:  # the agent first: one started now marks what a dead one left running `interrupted`
            await app.agent.ensure()
        except (IgtkError, OSError) as exc:
            app.notify(redact.scrub(str(exc)), title="Cannot start", severity="error", markup=False, timeout=10)
            return
        detail = await app.store.executions.get(execution_id, logs=0) if app.store is not None else None
        if detail is None:
            app.notify("This execution is not in the history (is the database open?)", severity="warning")
            return
        verb = "Resume" if resume else "Rerun"
        ref = detail.summary.playbook_rel or detail.summary.playbook_path or detail.summary.playbook
        resume_of, rerun_of = (execution_id, None) if resume else (None, execution_id)
        try:
            again = await asyncio.to_thread(replay.prepare, detail, {}, resume=resume)
            request = build_request(again.playbook, again.params)
        except replay.MissingSecrets as exc:  # asked for in the form, with the rest filled in
            playbook = await asyncio.to_thread(_replayed_playbook, detail, resume)
            self.form(playbook, ref, values=replay.recorded_values(playbook, detail.parameters), errors=str(exc),
                      title=verb, debug=detail.debug, resume_of=resume_of, rerun_of=rerun_of)
            return
        except IgtkError as exc:  # rolled back, still running, nothing left, playbook gone: refused
            app.notify(redact.scrub(str(exc)), title=f"Cannot {verb.lower()}", severity="error", markup=False,
                       timeout=10)
            return
        for note in again.notes:
            app.notify(note, severity="warning", markup=False)
        state = again.resume
        where = f" from step {state.start_step}" if state is not None else ""
        from igtk_tui.engine.launch import needs_vault
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        launch = Launch(again.playbook, {}, detail.debug, needs_vault=needs_vault(again.playbook, again.params)
                        or bool(request.credential_names), resume_of=resume_of, rerun_of=rerun_of)

        def answered(yes: bool | None) -> None:
            if yes:
                app.notify(f"{verb}: {again.playbook.name}{where}", markup=False)
                self.start(launch)

        # A rerun or resume acts on a gateway: say what, where and with what before it starts.
        app.push_screen(ConfirmScreen(f"{verb} {again.playbook.name}{where}?", relaunch_summary(ref, request)),
                        answered)


def _replayed_playbook(detail: Any, resume: bool) -> Any:
    from igtk_tui.engine import replay

    return replay.playbook_as_run(detail) if resume else replay.playbook_for_rerun(detail)[0]


def launch_of(result: Any, playbook: Any, *, resume_of: str | None = None, rerun_of: str | None = None) -> Launch:
    """What the parameter form produced, as a Launch (values as typed; the agent fills the credential)."""
    from igtk_tui.engine.launch import needs_vault

    request = result.request
    return Launch(playbook, dict(result.values), result.debug, tuple(result.breakpoints), result.credential,
                  needs_vault(playbook, request.params) or bool(request.credential_names), resume_of, rerun_of)


def relaunch_summary(ref: str, request: Any) -> str:
    """Playbook, gateway and parameters (secrets masked) of a run about to start again."""
    params = redact.scrub_obj(dict(request.params))
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if v not in (None, "")) or "(none)"
    return redact.scrub(f"playbook   {ref}\ngateway    {request.gateway_url or '-'}\nparameters {shown}")
