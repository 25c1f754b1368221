"""A read-only view of a stored execution (rerun and resume are engine/replay.py's).

No textual: a pure function over the store's record.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.tui.viewmodel import ExecutionView, StepView


def view_from_detail(detail: Any, seq: int = 0) -> ExecutionView:
    """A stored execution shown in the executions list (e.g. one recovered as interrupted)."""
    summary = detail.summary
    view = ExecutionView(summary.id, seq, summary.playbook, playbook_ref=summary.playbook_rel or "",
                         status=summary.status, trigger=summary.trigger, started_at=summary.started_at,
                         duration=summary.duration,
                         error=summary.error, parameters=dict(detail.parameters), debug=detail.debug)
    for record in detail.steps:
        # The tree level is the path's prefix (a compensation step sits at its frame's level; its
        # recorded parent is the step it undoes), as the live view places it.
        level = record.path.rpartition("/")[0] or None
        view.add(StepView(record.path, record.step_id, record.name, record.type, parent=level,
                          undoes=record.parent if record.role == "rollback" else None, role=record.role,
                          status=record.status, attempt=record.attempts, max_attempts=max(1, record.attempts),
                          starts=record.attempts, started_at=record.started_at, duration=record.duration,
                          error=record.error, reason=record.reason))
    for line in detail.logs:
        view.add_log(line.ts, line.level, line.step, line.message)
    view.take_pending_logs()  # shown whole when selected, not as news
    for artifact in detail.artifacts:
        view.add_artifact(artifact.path)
    return view
