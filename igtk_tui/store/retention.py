"""Retention: keep the last N days and/or the newest N executions.

Why in the background and in small ticks: it starts with every run and the TUI
and must never delay either, nor their exit. Each tick deletes at most CHUNK
executions in its own short transaction and then gives the connection to the
recorder for TICK_PAUSE, so a concurrent `igtk run` in another process waits
at most milliseconds for the write lock, this process's own commits are not
queued behind a long purge, and a process that exits mid-way (the store
cancels retention at close, it never waits for it) simply leaves the rest to
the next run. Live (running/paused) executions are never removed; artifact
folders go with their rows. A finished fleet run goes once none of its executions is
left and it is older than every execution kept (with its report folder).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from igtk_tui.paths import Paths
from igtk_tui.store.db import Database
from igtk_tui.store.deletion import delete_executions
from igtk_tui.timefmt import age_cutoff

CHUNK = 50
TICK_PAUSE = 0.02  # between ticks: pacing, so the recorder's commits come first


async def _beyond_count(db: Database, keep: int) -> tuple[float, str] | None:
    """(started_at, id) of the newest execution not among the `keep` newest."""
    row = await db.fetchone("SELECT started_at, id FROM executions ORDER BY started_at DESC, id DESC "
                                 "LIMIT 1 OFFSET ?", (keep,))
    return (row[0], row[1]) if row else None


async def _delete_upto(db: Database, paths: Paths, bound: tuple[float, str], inclusive: bool,
                       pause: float) -> int:
    op = "<=" if inclusive else "<"
    cursor: tuple[float, str] = (float("-inf"), "")
    total = 0
    while True:
        rows = await db.fetchall(
            f"SELECT started_at, id, status FROM executions WHERE (started_at, id) {op} (?, ?) "
            "AND (started_at, id) > (?, ?) ORDER BY started_at, id LIMIT ?",
            (bound[0], bound[1], cursor[0], cursor[1], CHUNK))
        if not rows:
            return total
        cursor = (rows[-1][0], rows[-1][1])
        deleted, _problems = await delete_executions(db, paths, [r[1] for r in rows])  # live ones are kept
        total += len(deleted)
        if pause:
            await asyncio.sleep(pause)


async def apply_retention(db: Database, paths: Paths, *, days: float | None, count: int | None,
                          now: float | None = None, pause: float = 0.0) -> int:
    """Delete what falls outside either limit, `pause` seconds between ticks; returns how many went."""
    now = time.time() if now is None else now
    removed = 0
    if count is not None and count >= 0:
        bound = await _beyond_count(db, count)
        if bound is not None:
            removed += await _delete_upto(db, paths, bound, inclusive=True, pause=pause)
    if days is not None and days > 0:
        removed += await _delete_upto(db, paths, (age_cutoff(days, now=now), ""), inclusive=False,
                                    pause=pause)
    if removed:
        await _purge_fleet_runs(db, paths, now)
    return removed


async def _purge_fleet_runs(db: Database, paths: Paths, now: float) -> None:
    import shutil

    def purge(c: Any) -> list[str]:
        where = ("status <> 'running' AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.fleet_run_id = fleet_runs.id) "
                 "AND started_at < COALESCE((SELECT MIN(started_at) FROM executions), ?)")
        ids = [r[0] for r in c.execute(f"SELECT id FROM fleet_runs WHERE {where}", (now,))]
        c.execute(f"DELETE FROM fleet_runs WHERE {where}", (now,))
        return ids

    for run_id in await db.write(purge):
        shutil.rmtree(paths.artifacts_dir / f"fleet-{run_id}", ignore_errors=True)
