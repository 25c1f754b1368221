"""Repository for the `playbook_meta` table (schema migration v3): library
metadata per playbook, keyed by library-relative path (`gateway/backup.yaml`).

It lives in the history database (`paths.db_file`) so one file keeps history
and verification together. Synchronous sqlite3 on purpose: the engine's
nesting gate (`is_verified`, `is_enabled`) and the CLI ask one row at a time
and must not need an event loop or the process's aiosqlite connection. WAL and
`busy_timeout` make these short transactions safe beside the recorder.

Reads never create or migrate the file, so `igtk validate` and `igtk playbooks`
leave a fresh IGTK_HOME untouched; the first write creates it (0600) and runs
the store's migrations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from igtk_tui.errors import ServiceUnavailable
from igtk_tui.store.db import BUSY_TIMEOUT_MS, StoreError, _configure, _create_private, is_busy, migrate

COLUMNS = (
    "path", "verified", "verified_at", "verified_by", "verified_hash", "enabled", "origin",
    "duplicated_from", "revision", "notes", "created_at", "updated_at",
)
_BOOLS = ("verified", "enabled")


class MetadataUnavailable(ServiceUnavailable):
    """The database holding the metadata is locked, corrupt or newer than this igtk (exit 3):
    the engine will not guess whether a playbook is enabled or verified."""


@contextmanager
def _connect(db_file: Path, *, write: bool) -> Iterator[sqlite3.Connection | None]:
    if not write and not db_file.exists():
        yield None
        return
    if write:
        _create_private(db_file)
    conn = sqlite3.connect(db_file, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        if write:
            _configure(conn, BUSY_TIMEOUT_MS)
            try:
                migrate(conn)
            except StoreError as exc:
                raise MetadataUnavailable(str(exc)) from exc
        else:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        yield conn
    except sqlite3.Error as exc:
        if isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc):
            raise
        why = "is locked by another process" if is_busy(exc) else f"cannot be used: {exc}"
        raise MetadataUnavailable(f"the library metadata in {db_file} {why}") from exc
    finally:
        conn.close()


class PlaybookMetaRepo:
    """Row access to `playbook_meta`; rows are plain dicts keyed by column name."""

    def __init__(self, db_file: Path) -> None:
        self.db_file = Path(db_file)

    def _select(self, where: str = "", args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with _connect(self.db_file, write=False) as conn:
            if conn is None:
                return []
            try:
                return conn.execute(f"SELECT {', '.join(COLUMNS)} FROM playbook_meta {where}", args).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):  # an older file not migrated yet: nothing recorded
                    return []
                raise

    def get(self, path: str) -> dict[str, Any] | None:
        rows = self._select("WHERE path = ?", (path,))
        return _row(rows[0]) if rows else None

    def all(self) -> dict[str, dict[str, Any]]:
        return {r[0]: _row(r) for r in self._select()}

    def put(self, values: dict[str, Any]) -> None:
        """Insert or replace one row (every column given)."""
        row = [int(values[c]) if c in _BOOLS else values.get(c) for c in COLUMNS]
        with _connect(self.db_file, write=True) as conn:
            assert conn is not None
            conn.execute(
                f"INSERT OR REPLACE INTO playbook_meta ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                row,
            )

    def modify(self, path: str, change: Callable[[dict[str, Any] | None], dict[str, Any]]) -> dict[str, Any]:
        """Read-modify-write one row in a single IMMEDIATE transaction (no lost updates
        when the TUI and a CLI command change the same playbook at once)."""
        with _connect(self.db_file, write=True) as conn:
            assert conn is not None
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM playbook_meta WHERE path = ?",
                                   (path,)).fetchone()
                values = change(_row(row) if row else None)
                conn.execute(
                    f"INSERT OR REPLACE INTO playbook_meta ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                    [int(values[c]) if c in _BOOLS else values.get(c) for c in COLUMNS],
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return values

    def delete(self, path: str) -> None:
        with _connect(self.db_file, write=True) as conn:
            assert conn is not None
            conn.execute("DELETE FROM playbook_meta WHERE path = ?", (path,))


def last_results(db_file: Path) -> dict[str, dict[str, Any]]:
    """The newest execution per playbook, keyed by its library path and by its file path."""
    with _connect(Path(db_file), write=False) as conn:
        if conn is None:
            return {}
        try:
            rows = conn.execute(
                "SELECT e.playbook_rel, e.playbook_path, e.id, e.status, e.started_at, e.finished_at "
                "FROM executions e JOIN (SELECT COALESCE(playbook_rel, playbook_path) AS k, "
                "MAX(started_at) AS s FROM executions GROUP BY k) latest "
                "ON COALESCE(e.playbook_rel, e.playbook_path) = latest.k AND e.started_at = latest.s"
            ).fetchall()
        except sqlite3.OperationalError:
            return {}
    out: dict[str, dict[str, Any]] = {}
    for rel, path, execution_id, status, started, finished in rows:
        item = {"id": execution_id, "status": status, "started_at": started, "finished_at": finished}
        for key in (rel, path):
            if key:
                out[key] = item
    return out


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    out = dict(zip(COLUMNS, row))
    for key in _BOOLS:
        out[key] = bool(out[key])
    return out
