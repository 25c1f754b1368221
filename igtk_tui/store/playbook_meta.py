"""Repository for the `playbook_meta` table (schema migration v3): library
metadata per playbook, keyed by library-relative path (`gateway/backup.yaml`).

It lives in the history database (the SQLite file, or PostgreSQL when
`store_url` is set: a verification is then shared by every host, and still
bound to the content hash it was given for). Synchronous on purpose: the
engine's nesting gate (`is_verified`, `is_enabled`) and the CLI ask one row
at a time and must not need an event loop or the process's store connection
(store/sync.py gives each call one short session).

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
from igtk_tui.store.db import StoreError
from igtk_tui.store.location import StoreLocation
from igtk_tui.store.sync import SyncSession, is_missing_table, open_session

COLUMNS = (
    "path", "verified", "verified_at", "verified_by", "verified_hash", "enabled", "origin",
    "duplicated_from", "revision", "notes", "created_at", "updated_at",
)
_BOOLS = ("verified", "enabled")
_UPSERT = (f"INSERT INTO playbook_meta ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
           f"ON CONFLICT (path) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in COLUMNS[1:])}")


class MetadataUnavailable(ServiceUnavailable):
    """The database holding the metadata is locked, corrupt or newer than this igtk (exit 3):
    the engine will not guess whether a playbook is enabled or verified."""


def _location(where: Path | StoreLocation) -> StoreLocation:
    return where if isinstance(where, StoreLocation) else StoreLocation(path=Path(where))


@contextmanager
def _connect(where: Path | StoreLocation, *, write: bool) -> Iterator[SyncSession | None]:
    location = _location(where)
    try:
        with open_session(location, write=write) as session:
            yield session
    except StoreError as exc:
        raise MetadataUnavailable(str(exc)) from exc
    except sqlite3.Error as exc:
        if is_missing_table(exc):
            raise
        from igtk_tui.store.sqlite import is_busy

        why = "is locked by another process" if is_busy(exc) else f"cannot be used: {exc}"
        raise MetadataUnavailable(f"the library metadata in {location.display} {why}") from exc


class PlaybookMetaRepo:
    """Row access to `playbook_meta`; rows are plain dicts keyed by column name."""

    def __init__(self, where: Path | StoreLocation) -> None:
        self.location = _location(where)

    def _select(self, where: str = "", args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with _connect(self.location, write=False) as session:
            if session is None:
                return []
            try:
                rows = session.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM playbook_meta {where}",
                                            args).fetchall()
            except Exception as exc:
                if is_missing_table(exc):  # an older database not migrated yet: nothing recorded
                    return []
                raise
            return [tuple(r) for r in rows]

    def get(self, path: str) -> dict[str, Any] | None:
        rows = self._select("WHERE path = ?", (path,))
        return _row(rows[0]) if rows else None

    def all(self) -> dict[str, dict[str, Any]]:
        return {r[0]: _row(r) for r in self._select()}

    def put(self, values: dict[str, Any]) -> None:
        """Insert or replace one row (every column given)."""
        row = [int(values[c]) if c in _BOOLS else values.get(c) for c in COLUMNS]
        with _connect(self.location, write=True) as session:
            assert session is not None
            session.transaction(lambda c: c.execute(_UPSERT, row))

    def modify(self, path: str, change: Callable[[dict[str, Any] | None], dict[str, Any]]) -> dict[str, Any]:
        """Read-modify-write one row in a single write transaction (no lost updates
        when the TUI and a CLI command change the same playbook at once)."""

        def rmw(c: Any) -> dict[str, Any]:
            row = c.execute(f"SELECT {', '.join(COLUMNS)} FROM playbook_meta WHERE path = ?", (path,)).fetchone()
            values = change(_row(tuple(row)) if row else None)
            c.execute(_UPSERT, [int(values[col]) if col in _BOOLS else values.get(col) for col in COLUMNS])
            return values

        with _connect(self.location, write=True) as session:
            assert session is not None
            return session.transaction(rmw)

    def delete(self, path: str) -> None:
        with _connect(self.location, write=True) as session:
            assert session is not None
            session.transaction(lambda c: c.execute("DELETE FROM playbook_meta WHERE path = ?", (path,)))


def last_results(where: Path | StoreLocation) -> dict[str, dict[str, Any]]:
    """The newest execution per playbook, keyed by its library path and by its file path."""
    with _connect(where, write=False) as session:
        if session is None:
            return {}
        try:
            rows = session.conn.execute(
                "SELECT e.playbook_rel, e.playbook_path, e.id, e.status, e.started_at, e.finished_at "
                "FROM executions e JOIN (SELECT COALESCE(playbook_rel, playbook_path) AS k, "
                "MAX(started_at) AS s FROM executions GROUP BY k) latest "
                "ON COALESCE(e.playbook_rel, e.playbook_path) = latest.k AND e.started_at = latest.s"
            ).fetchall()
        except Exception as exc:
            if is_missing_table(exc):
                return {}
            raise
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
