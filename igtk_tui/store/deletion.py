"""Deleting executions: rows first (one transaction, children cascade), then folders.

Shared by `igtk delete` and retention. Rows go first so a crash in between
leaves at worst an orphaned folder, never a record pointing at missing files.
"""

from __future__ import annotations

import asyncio
import sqlite3

from igtk_tui.paths import Paths
from igtk_tui.store.artifacts import remove_execution_folder
from igtk_tui.store.db import Database


def _delete_rows(c: sqlite3.Connection, ids: list[str]) -> int:
    marks = ",".join("?" * len(ids))
    hashes = [r[0] for r in c.execute(f"SELECT DISTINCT playbook_hash FROM executions WHERE id IN ({marks})", ids)]
    count = c.execute(f"DELETE FROM executions WHERE id IN ({marks})", ids).rowcount
    if hashes:  # playbook text no execution refers to any more
        c.executemany("DELETE FROM playbook_sources WHERE hash = ? AND NOT EXISTS "
                      "(SELECT 1 FROM executions WHERE playbook_hash = ?)", [(h, h) for h in hashes])
    return count


def _remove_folders(paths: Paths, ids: list[str]) -> list[str]:
    problems = []
    for execution_id in ids:
        try:
            remove_execution_folder(paths, execution_id)
        except (OSError, ValueError) as exc:
            problems.append(f"{execution_id}: {exc}")
    return problems


async def delete_executions(db: Database, paths: Paths, ids: list[str]) -> tuple[int, list[str]]:
    """Returns (rows deleted, problems removing folders); a stuck folder never stops the others."""
    if not ids:
        return 0, []
    count = await db.write(lambda c: _delete_rows(c, ids))
    problems = await asyncio.to_thread(_remove_folders, paths, ids)
    return count, problems
