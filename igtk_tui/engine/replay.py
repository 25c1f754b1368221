"""Running a recorded execution again: what `igtk resume`/`rerun`, the agent and the
TUI's `r`/`R` all take from the record (one module, so every entry point resumes the
same way).

Why these rules:

- Stored parameters are redacted. A parameter whose stored value is (or
  contains) the mask was a secret; it must be given again with `-p`, or come
  from the vault credential given with `-c`, otherwise the command stops with
  exit 2 naming it. A masked value is never replayed as if it were the secret.
- With `-c`, values the credential supplies replace the stored ones (a rerun
  with another credential must not mix its password with the old username);
  with `--gateway`, the gateway parameters are taken from the flag.
- Resume continues the playbook text that ran (stored with the execution),
  not whatever the file says today, so step ids and references still match.
  Rerun is a fresh run of the playbook file as it is now (falling back to the
  stored text, with a warning, when the file is gone).
- Resume starts at the first top-level step that did not finish (completed,
  skipped, or failed with `on_failure: continue`), with the outputs of the
  completed steps before it and the variables snapshot taken at the last step
  boundary before it. Step outputs are restored as recorded, i.e. redacted.
  An execution that rolled back is not resumable: its completed steps were
  compensated, so only a rerun is meaningful.
- What lived only in the old process is reopened by running again, first and
  in order, the finished steps that opened it (REOPEN_STEP_TYPES), with the
  parameters of this resume (a secret re-given with -p or -c, never a stored
  one): gateway.login (the session later gateway steps use), and the browser
  steps that load a page or sign in (browser.navigate, perspective.navigate,
  perspective.login), which puts the page back at the last URL a step opened.
  What a click or a fill changed on a page since is not replayed. Variables
  and outputs are restored as recorded. docs/resume.md has the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.events import LIVE_STATUSES, RESUMABLE_STATUSES
from igtk_tui.engine.execution import ResumeState
from igtk_tui.engine.launch import GATEWAY_PARAM_NAMES
from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.model import OnFailure, Playbook

if TYPE_CHECKING:  # the record is read by the caller (the CLI, the agent, the TUI) from its store
    from igtk_tui.store.execution_records import ExecutionDetail

class MissingSecrets(InvalidInput):
    """Secret parameters the record kept redacted and nobody gave again (the TUI asks for them)."""


REOPEN_STEP_TYPES = frozenset({"gateway.login", "browser.navigate", "perspective.navigate", "perspective.login"})
FINISHED_STEP = ("completed", "skipped")


def masked_names(stored: dict[str, Any]) -> set[str]:
    """Parameters whose recorded value was redacted (wholly or in part)."""
    return {name for name, value in stored.items()
            if value is not None and redact.MASK in json.dumps(value, ensure_ascii=False, default=str)}


def playbook_as_run(detail: ExecutionDetail) -> Playbook:
    """The playbook text recorded with the execution, at its original path."""
    from igtk_tui.playbook.loader import load_file, load_text

    path = detail.summary.playbook_path
    if detail.source:
        return load_text(detail.source, path=path)
    if path:
        return load_file(path)
    raise InvalidInput(f"execution {detail.id} has neither its playbook text nor a path; cannot replay it")


def playbook_for_rerun(detail: ExecutionDetail) -> tuple[Playbook, list[str]]:
    """The playbook file as it is now, plus warnings (changed since, or gone)."""
    from igtk_tui.playbook.loader import load_file

    path = detail.summary.playbook_path
    if path and Path(path).is_file():
        playbook = load_file(path)
        notes = []
        if detail.playbook_hash and playbook.content_hash != detail.playbook_hash:
            notes.append(f"{path} changed since execution {detail.id[:8]} ran; running the current file")
        return playbook, notes
    return playbook_as_run(detail), [f"{path or 'the playbook file'} is gone; running the text recorded "
                                     f"with execution {detail.id[:8]}"]


def merge_parameters(
    playbook: Playbook,
    stored: dict[str, Any],
    given: dict[str, Any],
    *,
    credential: Any = None,
    gateway_url: str | None = None,
) -> dict[str, Any]:
    """Recorded values (minus masked ones) under what the operator gives now.

    Raises InvalidInput (exit 2) naming each masked parameter nobody supplies.
    """
    declared = {p.name: p for p in playbook.parameters}
    masked = masked_names(stored)
    from_credential: set[str] = set()
    if credential is not None:
        filled = credential.fill([(p.name, p.type.value) for p in playbook.parameters], {})
        from_credential = {name for name, value in filled.items() if value not in (None, "")}
    replaced = from_credential | (set(GATEWAY_PARAM_NAMES) if gateway_url else set())
    values = {name: value for name, value in recorded_values(playbook, stored).items() if name not in replaced}
    values.update(given)
    missing = sorted(name for name in masked
                     if name in declared and name not in given and name not in from_credential)
    if missing:
        names = ", ".join(repr(n) for n in missing)
        raise MissingSecrets(
            f"secret parameter{'s' if len(missing) > 1 else ''} {names} {'were' if len(missing) > 1 else 'was'} "
            "not recorded (the history keeps secrets redacted); give "
            + " ".join(f"-p {n}=..." for n in missing) + " or -c CREDENTIAL")
    return values


def recorded_values(playbook: Playbook, stored: dict[str, Any]) -> dict[str, Any]:
    """The recorded values that can be reused as they are: declared and not masked."""
    masked = masked_names(stored)
    return {name: value for name, value in stored.items() if playbook.parameter(name) and name not in masked}


def _finished(step: Any, playbook: Playbook) -> bool:
    if step.status in FINISHED_STEP:
        return True
    model = playbook.step(step.step_id)
    return step.status == "failed" and model is not None and model.on_failure == OnFailure.CONTINUE


def resume_state(detail: ExecutionDetail, playbook: Playbook) -> ResumeState:
    """Where and with what a resumed run starts; InvalidInput when it cannot."""
    status = detail.status
    if status not in RESUMABLE_STATUSES:
        if status in LIVE_STATUSES:
            raise InvalidInput(f"execution {detail.id} is still {status} (pid {detail.owner_pid} on "
                               f"{detail.summary.host}); it can be resumed once it has stopped")
        raise InvalidInput(f"execution {detail.id} is {status}; only interrupted, failed or cancelled "
                           "executions can be resumed (use `igtk rerun` to run it again)")
    if any(s.role == "rollback" and s.status != "pending" for s in detail.steps):
        raise InvalidInput(f"execution {detail.id} rolled back its steps; resuming would skip undone work. "
                           f"Use `igtk rerun {detail.id[:8]}`")
    top = [s for s in detail.steps if s.top_level]
    start = next((s for s in top if not _finished(s, playbook)), None)
    if start is None or playbook.step(start.step_id) is None:
        raise InvalidInput(f"execution {detail.id} has no unfinished step to resume from; "
                           f"use `igtk rerun {detail.id[:8]}`")
    before = top[:top.index(start)]
    outputs = {s.step_id: dict(s.output) for s in before if s.status == "completed" and isinstance(s.output, dict)}
    variables = next((dict(s.variables) for s in reversed(before) if isinstance(s.variables, dict)), {})
    reopen = tuple(s.step_id for s in before if s.status == "completed"
                   and (model := playbook.step(s.step_id)) is not None and model.type in REOPEN_STEP_TYPES)
    return ResumeState(resumed_from=detail.id, outputs=outputs, variables=variables, start_step=start.step_id,
                       reopen=reopen)


@dataclass
class Replay:
    """A recorded execution about to run again: the playbook, the merged parameters and,
    for a resume, where it starts (`rerun_of` is set for a rerun)."""

    playbook: Playbook
    params: dict[str, Any]
    resume: ResumeState | None = None
    rerun_of: str | None = None
    notes: list[str] = field(default_factory=list)


def prepare(detail: ExecutionDetail, given: dict[str, Any], *, resume: bool, credential: Any = None,
            gateway_url: str | None = None) -> Replay:
    """Resume (the recorded text, from the first unfinished step; refused after a rollback) or
    rerun (the file as it is now) with the recorded parameters under `given`.

    InvalidInput when it cannot run again; MissingSecrets (an InvalidInput) names the secrets to give.
    """
    if resume:
        playbook, notes = playbook_as_run(detail), []
        state: ResumeState | None = resume_state(detail, playbook)
        if detail.summary.resumed_by:
            notes.append(f"execution {detail.id[:8]} was already resumed by {detail.summary.resumed_by[:8]}")
    else:
        (playbook, notes), state = playbook_for_rerun(detail), None
    params = merge_parameters(playbook, detail.parameters, given, credential=credential, gateway_url=gateway_url)
    return Replay(playbook, params, state, None if resume else detail.id, notes)
