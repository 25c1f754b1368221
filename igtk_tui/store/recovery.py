"""Crash recovery at start: executions whose process died become `interrupted`.

Why at every start: a SIGKILL, an OOM kill or a power cut leaves the row
`running` forever (the engine had no chance to write its end). The next igtk
process on the same host checks each running/paused row's owner (pid + start
time, see owner.py) and marks the dead ones, so history tells the truth and
`igtk resume` can continue them. Live owners and other hosts' rows are left
alone: with a shared PostgreSQL history only the host that ran an execution
can tell whether its process is gone, so another host's `running` row stays
running until that host starts igtk again (docs/postgresql.md). The step
that was in flight is marked `interrupted` too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from igtk_tui.engine.events import LIVE_STATUSES
from igtk_tui.store.db import Database
from igtk_tui.store.owner import ProcessIdentity, owner_alive

_LIVE = ",".join(f"'{s.value}'" for s in LIVE_STATUSES)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovered:
    id: str
    pid: int | None
    host: str | None


def mark(c: Any, rows: list[Recovered], *, error: str | None = None) -> list[Recovered]:
    """Mark these live executions `interrupted` (and their running steps), in the caller's transaction;
    `error` says why (default: their process ended)."""
    done = []
    for row in rows:
        who = f"pid {row.pid}" if row.pid else "its process"
        why = error or f"interrupted: {who} on {row.host or 'this host'} ended without finishing the run"
        cur = c.execute(
            f"""UPDATE executions SET status = 'interrupted', error = ?,
                   finished_at = COALESCE(
                       (SELECT MAX(COALESCE(s.finished_at, s.started_at)) FROM steps s
                        WHERE s.execution_id = executions.id), started_at)
               WHERE id = ? AND status IN ({_LIVE})""",
            (why, row.id))
        if cur.rowcount:
            c.execute("UPDATE executions SET duration = finished_at - started_at WHERE id = ?", (row.id,))
            c.execute("""UPDATE steps SET status = 'interrupted',
                             error = COALESCE(error, 'the process ended during this step')
                         WHERE execution_id = ? AND status = 'running'""", (row.id,))
            done.append(row)
    return done


async def recover(db: Database, me: ProcessIdentity | None = None) -> list[Recovered]:
    """Mark dead owners' executions interrupted (returns those marked), their fleet runs
    interrupted, and free the gateway locks their processes held."""
    me = me or ProcessIdentity.current()
    rows = await db.fetchall(
        f"SELECT id, host, owner_pid, owner_start FROM executions WHERE status IN ({_LIVE})")
    dead = [Recovered(r["id"], r["owner_pid"], r["host"]) for r in rows
            if not owner_alive(r["host"], r["owner_pid"], r["owner_start"], me)]
    await _recover_fleets_and_locks(db, me)
    if not dead:
        return []
    return await db.write(lambda c: mark(c, dead))


async def _recover_fleets_and_locks(db: Database, me: ProcessIdentity) -> None:
    """Only read unless something is dead: every command opens the store, most find nothing."""
    holders = await db.fetchall("SELECT holder_host, holder_pid, holder_start FROM gateway_locks")
    fleets = await db.fetchall("SELECT owner_host, owner_pid, owner_start FROM fleet_runs WHERE status = 'running'")
    if not any(not owner_alive(r[0], r[1], r[2], me) for r in (*holders, *fleets)):
        return
    from igtk_tui.store.fleets import recover_fleets
    from igtk_tui.store.locks import free_dead_holders

    def write(c: Any) -> None:
        freed = free_dead_holders(c, me)
        interrupted = recover_fleets(c, me)
        if freed or interrupted:
            log.info("recovery: freed %d gateway lock(s) of dead processes; fleet runs interrupted: %s",
                     freed, ", ".join(interrupted) or "none")

    await db.write(write)

