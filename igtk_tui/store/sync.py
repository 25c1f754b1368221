"""Short synchronous sessions on the store, for callers without the process's event loop.

Why: the engine's nesting gate asks the library metadata one row at a time
(`is_verified`, `is_enabled`) and the report step reads its own execution
while the recorder writes; neither may use the process's async connection.
Each gets one short connection to whichever backend is configured, and runs
the same plain transaction functions as the async store.

Reads never create or migrate anything: on SQLite a missing file reads as
empty (`None`), so `igtk validate` leaves a fresh IGTK_HOME untouched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from igtk_tui.store.db import BUSY_TIMEOUT_MS
from igtk_tui.store.location import StoreLocation

T = TypeVar("T")


class SyncSession:
    def __init__(self, conn: Any, transact: Callable[[Callable[[Any], Any]], Any]) -> None:
        self.conn = conn
        self._transact = transact

    def transaction(self, fn: Callable[[Any], T]) -> T:
        """`fn(conn)` in one write transaction (BEGIN IMMEDIATE / REPEATABLE READ with retries)."""
        result: T = self._transact(fn)
        return result


def is_missing_table(exc: BaseException) -> bool:
    """A table an older schema does not have yet (read as "nothing recorded")."""
    if isinstance(exc, sqlite3.OperationalError):
        return "no such table" in str(exc)
    return getattr(exc, "sqlstate", None) == "42P01"  # psycopg UndefinedTable


@contextmanager
def open_session(location: StoreLocation, *, write: bool) -> Iterator[SyncSession | None]:
    if location.is_postgres:
        from igtk_tui.store.postgres import sync_session, sync_transaction

        with sync_session(location, write=write) as pg:
            yield SyncSession(pg, lambda fn: sync_transaction(pg, fn, location.display))
        return
    from igtk_tui.store.sqlite import configure, create_private, migrate, transaction

    db_file = location.path
    if not write and not db_file.exists():
        yield None
        return
    if write:
        create_private(db_file)
    conn = sqlite3.connect(db_file, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        if write:
            configure(conn, BUSY_TIMEOUT_MS)
            migrate(conn)
        else:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        yield SyncSession(conn, lambda fn: transaction(fn, conn))
    finally:
        conn.close()
