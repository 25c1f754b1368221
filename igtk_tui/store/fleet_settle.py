"""Settling a fleet run whose coordinator died: the run `interrupted`, each gateway its real state.

Why here and not in the runner: a coordinator killed with SIGKILL (or whose host went down)
writes nothing more, so whoever finds it dead settles the record. Two finders exist: crash
recovery on the coordinator's own host (its pid is gone, store/recovery.py) and, with a shared
PostgreSQL history, any other agent whose reaper sees the coordinator's heartbeat stop
(`heartbeat_at`, written by agent/fleets.py), as stalled worker jobs are judged by theirs. The
claim is one compare-and-set on the run's `running` status, so whichever finder comes first
settles it and the other changes nothing.

What each gateway becomes (never a state it did not reach):
- pending (its batch never came): `skipped`, with the reason;
- running without an execution (queued, probing, waiting for its lock: nothing ran on the
  gateway): `cancelled`, never started;
- running with an execution that ended: that execution's status (its worker died before saying);
- running with an execution whose owner is dead on this host: `interrupted` (crash recovery
  marks the execution itself);
- running with an execution whose owner may be alive (another host's worker): left `running`;
  that worker records its own end, or its stalled job is reaped (agent/queue.py).
Nothing more starts: a gateway's job a worker takes after this finds the run ended.
"""

from __future__ import annotations

import time
from typing import Any

from igtk_tui.store.codec import scrub
from igtk_tui.store.db import Conn
from igtk_tui.store.owner import ProcessIdentity, owner_alive

_ENDED = ("completed", "failed", "cancelled", "interrupted")


def coordinator_text(host: str | None, pid: int | None) -> str:
    return f"pid {pid} on {host or 'this host'}"


def settle_members(c: Conn, run_id: str, me: ProcessIdentity, why: str) -> None:
    """Give each unfinished gateway of `run_id` its real state (see the module's docstring)."""
    now = time.time()
    c.execute("UPDATE fleet_gateways SET status = 'skipped', reason = ? WHERE fleet_run_id = ? "
              "AND status = 'pending'", (f"not started: {why}", run_id))
    rows = c.execute("SELECT g.position, g.execution_id, e.status AS execution_status, e.error AS execution_error, "
                     "e.host, e.owner_pid, e.owner_start FROM fleet_gateways g "
                     "LEFT JOIN executions e ON e.id = g.execution_id "
                     "WHERE g.fleet_run_id = ? AND g.status = 'running'", (run_id,)).fetchall()
    for r in rows:
        if not r["execution_id"]:
            status, error, reason = "cancelled", None, f"never started: {why}"
        elif r["execution_status"] in _ENDED:
            status, error, reason = r["execution_status"], r["execution_error"], None
        elif r["execution_status"] is None or not owner_alive(r["host"], r["owner_pid"], r["owner_start"], me):
            status, error, reason = "interrupted", None, None
        else:
            continue  # a live worker runs it and records its own end
        c.execute("UPDATE fleet_gateways SET status = ?, error = COALESCE(?, error), reason = COALESCE(?, reason), "
                  "finished_at = ?, duration = ? - COALESCE(started_at, ?) WHERE fleet_run_id = ? AND position = ?",
                  (status, scrub(error.splitlines()[0]) if error else None, reason, now, now, now, run_id,
                   r["position"]))


def _end_run(c: Conn, run_id: str, stop_reason: str) -> None:
    from igtk_tui.store.fleets import _recount

    c.execute("UPDATE fleet_runs SET status = 'interrupted', stop_reason = ?, "
              "finished_at = COALESCE((SELECT MAX(finished_at) FROM fleet_gateways WHERE fleet_run_id = ?), "
              "started_at) WHERE id = ?", (scrub(stop_reason), run_id, run_id))
    c.execute("UPDATE fleet_runs SET duration = finished_at - started_at WHERE id = ?", (run_id,))
    _recount(c, run_id)


def recover_fleets(c: Conn, me: ProcessIdentity) -> list[str]:
    """Crash recovery: running fleet runs whose coordinating process died on this host."""
    rows = c.execute("SELECT id, owner_host, owner_pid, owner_start FROM fleet_runs WHERE status = 'running'"
                     ).fetchall()
    dead = [r for r in rows if not owner_alive(r["owner_host"], r["owner_pid"], r["owner_start"], me)]
    for r in dead:
        why = f"{coordinator_text(r['owner_host'], r['owner_pid'])} ended without finishing the fleet run"
        settle_members(c, r["id"], me, f"the fleet run was interrupted: {why}")
        _end_run(c, r["id"], f"interrupted: {why}")
    return [r["id"] for r in dead]


def coordinator_beats(c: Conn, me: ProcessIdentity) -> list[Any]:
    """Running fleet runs whose coordinator beats, with their last beat (a live one on this host is left out).
    The watcher judges a beat by how long IT has seen it unchanged, never by comparing the beat's
    time with its own clock: the hosts' clocks may differ."""
    rows = c.execute("SELECT id, owner_host, owner_pid, owner_start, heartbeat_at FROM fleet_runs "
                     "WHERE status = 'running' AND heartbeat_at IS NOT NULL").fetchall()
    return [r for r in rows if not (r["owner_host"] == me.host
                                    and owner_alive(r["owner_host"], r["owner_pid"], r["owner_start"], me))]


def settle_stalled(c: Conn, row: Any, me: ProcessIdentity, stalled_after: float) -> bool:
    """Settle one fleet run whose beat `row` was seen unchanged for `stalled_after` seconds; False when
    another finder got there first or a beat came meanwhile (the claim compares the beat seen)."""
    claimed = c.execute("UPDATE fleet_runs SET status = 'interrupted' WHERE id = ? AND status = 'running' "
                        "AND heartbeat_at = ?", (row["id"], row["heartbeat_at"])).rowcount
    if not claimed:
        return False
    who = coordinator_text(row["owner_host"], row["owner_pid"])
    why = (f"its coordinator (the agent, {who}) stopped sending heartbeats for over {stalled_after:g} s "
           f"(settled by the agent, {coordinator_text(me.host, me.pid)})")
    settle_members(c, row["id"], me, f"the fleet run was interrupted: {why}")
    _end_run(c, row["id"], f"interrupted: {why}")
    return True
