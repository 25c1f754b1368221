"""The SQLite backend: one long-lived aiosqlite connection per process, WAL, migrations.

Why one connection: aiosqlite gives each connection a worker thread, and all
our SQL for that connection runs there in order, so transactions of the
recorder, retention and the repository can never interleave. Every call hands
the worker one plain function that runs a whole transaction at once.

Writes use `BEGIN IMMEDIATE`: the write lock is taken up front and waits
`busy_timeout` for another process, instead of failing later on a lock
upgrade (SQLITE_BUSY_SNAPSHOT in WAL mode). A lock held longer than that
surfaces as `StoreBusy`, which callers retry.

aiosqlite is imported only when a database is opened, so commands that never
touch history do not pay for it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from igtk_tui.store.db import BUSY_TIMEOUT_MS, Database, StoreBusy, StoreError, apply_migrations, check_version
from igtk_tui.store.location import StoreLocation
from igtk_tui.store.schema import MIGRATIONS, Migration

T = TypeVar("T")
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _BUSY_CODES
    text = str(exc)
    return "locked" in text or "busy" in text


def configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the file to the latest schema; returns the version it had before."""
    latest = len(migrations)
    before = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if before == latest:
        return before
    check_version(before, latest, "file")
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        check_version(current, latest, "file")
        apply_migrations(conn, migrations, current)
        conn.execute(f"PRAGMA user_version = {latest}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return before


def transaction(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def create_private(path: Path) -> None:
    """The file names gateways, users and playbooks: create it 0600 in a 0700 folder."""
    from igtk_tui.paths import ensure_private_dir

    ensure_private_dir(path.parent)
    if not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError:
            pass  # sqlite reports the real problem with a better message


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, conn: Any, location: StoreLocation) -> None:
        self._conn = conn
        self.location = location

    @classmethod
    async def connect(cls, location: StoreLocation, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                      migrations: Sequence[Migration] = MIGRATIONS) -> SqliteDatabase:
        import aiosqlite

        path = location.path
        create_private(path)
        conn = aiosqlite.connect(str(path), isolation_level=None)
        # Belt and braces: a connection someone forgot to close must not keep the
        # process alive at exit (aiosqlite's worker thread is not a daemon); we still close it explicitly.
        conn._thread.daemon = True
        try:
            await conn
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the history database {path}: {exc}") from exc
        db = cls(conn, location)
        try:
            await db.call(lambda c: configure(c, busy_timeout_ms))
            await db.call(lambda c: migrate(c, migrations))
        except BaseException as exc:
            await db.close()
            if is_busy(exc):
                raise StoreBusy(f"the history database {path} is locked by another process") from exc
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot use the history database {path}: {exc}") from exc
            raise
        return db

    @property
    def closed(self) -> bool:
        return self._conn is None

    async def call(self, fn: Callable[[Any], T]) -> T:
        conn = self._conn
        if conn is None:
            raise StoreError("the history database is closed")
        # aiosqlite's own queue: the same path every public aiosqlite method takes.
        result: T = await conn._execute(lambda: fn(conn._conn))
        return result

    async def write(self, fn: Callable[[Any], T]) -> T:
        try:
            return await self.call(lambda c: transaction(fn, c))
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise StoreBusy(str(exc)) from exc
            raise

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()
