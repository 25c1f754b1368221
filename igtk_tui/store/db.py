"""The history database: one interface, two backends, one copy of the SQL.

Why this shape: every transaction of the store is ONE plain synchronous
function over a DB-API-like connection (`execute`, `executemany`, cursors with
`fetchone`/`fetchall`/`rowcount`), handed whole to a worker thread with `call`
(reads, autocommit) or `write` (one transaction). One thread hop per commit,
not one per statement, is what keeps durable persistence per step cheap, and
because both backends run the very same functions the SQL cannot drift:

- SQLite (the default, sqlite.py): one aiosqlite connection per process, its
  thread running every transaction in order; `BEGIN IMMEDIATE`.
- PostgreSQL (postgres.py, `store_url`): psycopg 3 with a small connection
  pool; each function runs on a worker thread of the store's own executor with
  one pooled connection; pg_sql.py adapts placeholders, rows and DDL types.

A write that cannot get its locks within `busy_timeout` raises StoreBusy,
which callers retry; an unusable database is StoreError (exit 3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar

from igtk_tui.errors import ServiceUnavailable
from igtk_tui.store.location import StoreLocation, StoreUrlError, location_for
from igtk_tui.store.schema import LATEST_VERSION, MIGRATIONS, Migration

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000


class StoreError(ServiceUnavailable):
    """The history database cannot be used (corrupt, newer schema, unwritable): exit 3."""


class StoreBusy(StoreError):
    """The database could not be written within busy_timeout (locked, or briefly unreachable)."""

    reason = "is locked by another process"


class StoreUnreachable(StoreBusy):
    """The PostgreSQL server went away mid-run: retried like a lock."""

    reason = "is unreachable"


class StoreConfigError(StoreError):
    """store_url is set but the database behind it cannot be used: exit 3 before anything runs
    (a shared history that silently records nothing would mislead a whole team)."""


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    """What a transaction function is given, on either backend."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any: ...


def check_version(before: int, latest: int, where: str) -> None:
    if before > latest:
        raise StoreError(f"the history database {where} has schema version {before}, newer than this igtk "
                         f"understands ({latest}); upgrade igtk")


def apply_migrations(conn: Any, migrations: Sequence[Migration], current: int) -> None:
    for version in range(current + 1, len(migrations) + 1):
        migrations[version - 1](conn)


class Database:
    """The process's database. Create with `await Database.open(path or location)`; always `close()`."""

    dialect = "sqlite"
    location: StoreLocation

    @classmethod
    async def open(cls, target: Path | str | StoreLocation, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                   migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        """A Path is a SQLite file; a StoreLocation with a URL (or a postgresql:// string) is PostgreSQL."""
        if isinstance(target, str) and "://" in target:
            try:
                target = location_for(Path("."), SimpleNamespace(store_url=target))
            except StoreUrlError as exc:
                raise StoreConfigError(str(exc)) from None
        location = target if isinstance(target, StoreLocation) else StoreLocation(path=Path(target))
        if location.is_postgres:
            from igtk_tui.store.postgres import PgDatabase

            return await PgDatabase.connect(location, busy_timeout_ms=busy_timeout_ms, migrations=migrations)
        from igtk_tui.store.sqlite import SqliteDatabase

        return await SqliteDatabase.connect(location, busy_timeout_ms=busy_timeout_ms, migrations=migrations)

    @property
    def path(self) -> Path:
        return self.location.path

    @property
    def closed(self) -> bool:
        raise NotImplementedError

    async def call(self, fn: Callable[[Any], T]) -> T:
        """Run `fn(connection)` on a worker thread, in autocommit mode (reads)."""
        raise NotImplementedError

    async def write(self, fn: Callable[[Any], T]) -> T:
        """Run `fn(connection)` in one write transaction; raises StoreBusy when locked."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return await self.call(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return await self.call(lambda c: c.execute(sql, params).fetchone())


__all__ = ["Database", "StoreBusy", "StoreError", "StoreConfigError", "StoreUnreachable", "BUSY_TIMEOUT_MS",
           "LATEST_VERSION", "Conn", "Cursor"]
