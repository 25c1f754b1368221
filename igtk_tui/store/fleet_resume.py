"""A resumed fleet gateway stays in its fleet run's record.

Why: `igtk resume ID` (or the TUI's `r`, or the agent's resume) of a gateway's interrupted or
failed execution is how an operator finishes a fleet run (docs/fleets.md, "Resuming"). The
resume is a new execution (engine/replay.py); without this link the fleet record would still
show the old outcome and `igtk show FLEET`, `history --fleet` and the fleet view would disagree
with what was done. Every entry point that resumes calls `link` before the new execution
starts and `follow` once its end is committed; both are no-ops for an execution outside a
fleet run.
"""

from __future__ import annotations

import time

from igtk_tui.store.codec import scrub
from igtk_tui.store.db import Conn

_ENDED = ("completed", "failed", "cancelled", "interrupted")


def link(c: Conn, old_id: str, new_id: str) -> str | None:
    """The gateway whose execution was `old_id` now runs `new_id`; returns its fleet run id."""
    from igtk_tui.store.fleets import _recount

    row = c.execute("SELECT fleet_run_id, position FROM fleet_gateways WHERE execution_id = ?", (old_id,)).fetchone()
    if row is None:
        return None
    c.execute("UPDATE fleet_gateways SET execution_id = ?, status = 'running', finished_at = NULL, duration = NULL, "
              "error = NULL, reason = ? WHERE fleet_run_id = ? AND position = ?",
              (new_id, f"resumed from execution {old_id[:8]}", row["fleet_run_id"], row["position"]))
    _recount(c, row["fleet_run_id"])
    return str(row["fleet_run_id"])


def follow(c: Conn, execution_id: str) -> str | None:
    """The recorded end of a resumed gateway's execution becomes the gateway's outcome; a fleet run
    that had ended becomes `completed` once every gateway of it completed. Returns the new status."""
    from igtk_tui.store.fleets import _recount

    row = c.execute("SELECT g.fleet_run_id, g.position, g.started_at, e.status, e.error, e.finished_at, r.status "
                    "AS run_status FROM fleet_gateways g JOIN executions e ON e.id = g.execution_id "
                    "JOIN fleet_runs r ON r.id = g.fleet_run_id WHERE g.execution_id = ?", (execution_id,)).fetchone()
    if row is None or row["status"] not in _ENDED:
        return None
    now = row["finished_at"] or time.time()
    run_id = row["fleet_run_id"]
    error = row["error"].splitlines()[0] if row["error"] else None
    c.execute("UPDATE fleet_gateways SET status = ?, error = ?, finished_at = ?, duration = ? - COALESCE(started_at, ?) "
              "WHERE fleet_run_id = ? AND position = ?", (row["status"], scrub(error), now, now, now, run_id,
                                                         row["position"]))
    _recount(c, run_id)
    if row["run_status"] != "running":
        left = c.execute("SELECT COUNT(*) FROM fleet_gateways WHERE fleet_run_id = ? AND status <> 'completed'",
                         (run_id,)).fetchone()[0]
        if not left:
            c.execute("UPDATE fleet_runs SET status = 'completed', finished_at = ?, duration = ? - started_at "
                      "WHERE id = ?", (now, now, run_id))
    return str(row["status"])
