"""Rerun and resume from what was recorded: which parameters can be reused,
where a resumed run starts, and a read-only view of a stored execution.

No textual: pure functions over the store's records and the playbook model.
"""

from __future__ import annotations

from typing import Any

from igtk_tui import redact
from igtk_tui.engine.execution import ResumeState
from igtk_tui.playbook.model import Playbook
from igtk_tui.playbook.params import is_secret_parameter
from igtk_tui.tui.viewmodel import ExecutionView, StepView

DONE = ("completed", "skipped")


def reusable_params(playbook: Playbook, params: dict[str, Any]) -> dict[str, Any]:
    """The non-secret values: secret parameters and anything masked (••••) are asked again."""
    out = {}
    for name, value in params.items():
        param = playbook.parameter(name)
        if param is None or is_secret_parameter(param):
            continue
        if redact.MASK in str(value):
            continue
        out[name] = value
    return out


def resume_state(detail: Any, playbook: Playbook) -> ResumeState | None:
    """Continue at the first top-level step that did not finish; None when nothing is left."""
    records = {s.path: s for s in detail.steps}
    outputs: dict[str, dict[str, Any]] = {}
    variables: dict[str, Any] = {}
    for step in playbook.steps:
        record = records.get(step.id)
        if record is None or record.status not in DONE:
            return ResumeState(resumed_from=detail.id, outputs=outputs, variables=variables, start_step=step.id)
        if record.status == "completed":
            outputs[step.id] = record.output if isinstance(record.output, dict) else {}
        if isinstance(record.variables, dict):
            variables = dict(record.variables)
    return None


def view_from_detail(detail: Any, seq: int = 0) -> ExecutionView:
    """A stored execution shown in the executions list (e.g. one recovered as interrupted)."""
    summary = detail.summary
    view = ExecutionView(summary.id, seq, summary.playbook, playbook_ref=summary.playbook_rel or "",
                         status=summary.status, trigger=summary.trigger, started_at=summary.started_at,
                         duration=summary.duration,
                         error=summary.error, parameters=dict(detail.parameters), debug=detail.debug)
    for record in detail.steps:
        step = StepView(record.path, record.step_id, record.name, record.type, parent=record.parent,
                        role=record.role, status=record.status, attempt=record.attempts,
                        max_attempts=max(1, record.attempts), started_at=record.started_at,
                        duration=record.duration, error=record.error, reason=record.reason)
        view.steps[record.path] = step
        owner = view.steps.get(record.parent) if record.parent else None
        if owner is not None:
            owner.children.append(record.path)
        else:
            view.roots.append(record.path)
    for line in detail.logs:
        view.add_log(line.ts, line.level, line.step, line.message)
    view.take_pending_logs()  # shown whole when selected, not as news
    view.artifacts = [a.path for a in detail.artifacts]
    return view
