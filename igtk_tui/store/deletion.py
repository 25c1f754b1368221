"""Deleting executions: rows first (one transaction, children cascade), then folders.

Shared by `igtk delete`, the TUI and retention. Rows go first so a crash in
between leaves at worst an orphaned folder, never a record pointing at missing
files. A running or paused execution is never deleted, whoever asks: its
recorder would write to rows that are gone.
"""

from __future__ import annotations

import asyncio
from typing import Any

from igtk_tui.engine.events import LIVE_STATUSES
from igtk_tui.paths import Paths
from igtk_tui.store.artifacts import UnsafeArtifactPath, remove_execution_folder
from igtk_tui.store.db import Database

_LIVE = ",".join(f"'{s.value}'" for s in LIVE_STATUSES)


def _delete_rows(c: Any, ids: list[str]) -> tuple[list[str], list[str]]:
    """(deleted ids, live ids left alone), in one transaction."""
    marks = ",".join("?" * len(ids))
    rows = c.execute(f"SELECT id, status, playbook_hash FROM executions WHERE id IN ({marks})", ids).fetchall()
    live = [r[0] for r in rows if r[1] in LIVE_STATUSES]
    doomed = [r[0] for r in rows if r[1] not in LIVE_STATUSES]
    if doomed:
        marks = ",".join("?" * len(doomed))
        c.execute(f"DELETE FROM executions WHERE id IN ({marks}) AND status NOT IN ({_LIVE})", doomed)
        hashes = {r[2] for r in rows if r[0] in doomed}  # playbook text no execution refers to any more
        c.executemany("DELETE FROM playbook_sources WHERE hash = ? AND NOT EXISTS "
                      "(SELECT 1 FROM executions WHERE playbook_hash = ?)", [(h, h) for h in hashes])
    return doomed, live


def _remove_folders(paths: Paths, ids: list[str]) -> list[str]:
    problems = []
    for execution_id in ids:
        try:
            remove_execution_folder(paths, execution_id)
        except (OSError, UnsafeArtifactPath) as exc:
            problems.append(f"{execution_id}: could not remove its artifacts: {exc}")
    return problems


async def delete_executions(db: Database, paths: Paths, ids: list[str]) -> tuple[list[str], list[str]]:
    """Returns (ids deleted, problems): a live execution kept, a folder that could not be
    removed. A stuck folder never stops the others."""
    if not ids:
        return [], []
    deleted, live = await db.write(lambda c: _delete_rows(c, ids))
    problems = [f"{execution_id}: still running or paused; cancel it before deleting it" for execution_id in live]
    problems += await asyncio.to_thread(_remove_folders, paths, deleted)
    return deleted, problems
