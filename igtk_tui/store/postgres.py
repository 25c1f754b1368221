"""The PostgreSQL backend: psycopg 3, a small connection pool, the store's own worker threads.

Why threads and not psycopg's async API: the store's design is one thread hop
per commit running a whole transaction (a plain function), and the SQLite
backend runs the very same functions on aiosqlite's thread. Running them here
on a small executor with one pooled connection each keeps a single copy of
every transaction; an async copy would drift from the SQLite one.

Semantics kept from SQLite (docs/postgresql.md):

- Writes run in one REPEATABLE READ transaction: a consistent snapshot, and a
  row changed by someone else since raises a serialization failure instead of
  being overwritten (first updater wins). Serialization failures and deadlocks
  are retried for up to `busy_timeout`, then raise StoreBusy, as SQLite's
  locked database does; `lock_timeout` is `busy_timeout`.
- `synchronous_commit = on` for every connection, whatever the server's
  default: a step the CLI printed is on the server's disk.
- The schema version lives in the table `igtk_schema`; migrations run under a
  transaction-scoped advisory lock, in the same transaction as the bump.

psycopg is imported only when a postgresql:// store_url is configured.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from igtk_tui import redact
from igtk_tui.store.db import (
    BUSY_TIMEOUT_MS,
    Database,
    StoreBusy,
    StoreConfigError,
    StoreError,
    StoreUnreachable,
    apply_migrations,
    check_version,
)
from igtk_tui.store.location import SETTING, StoreLocation
from igtk_tui.store.pg_sql import PgConnection, row_factory
from igtk_tui.store.schema import MIGRATIONS, Migration

T = TypeVar("T")
POOL_SIZE = 4  # the recorder, retention and a reader at once; more would only queue on the server
CONNECT_TIMEOUT = 10
MIGRATION_LOCK = 0x6967746B  # "igtk": the advisory lock migrations hold
_RETRY_STATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_LOCK_STATES = frozenset({"55P03"})  # lock_not_available (lock_timeout)


def _psycopg() -> Any:
    try:
        import psycopg
        import psycopg_pool  # noqa: F401 - checked here so the error names both
    except ImportError:
        raise StoreConfigError(f"{SETTING} names a PostgreSQL database, but psycopg is not installed: "
                               "pip install 'igtk[postgres]'") from None
    return psycopg


def _why(exc: BaseException) -> str:
    """psycopg's message, one line, scrubbed (it may quote the connection string)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact.scrub(text) or text


def connect_kwargs(location: StoreLocation) -> dict[str, Any]:
    return {"autocommit": True, "row_factory": row_factory, "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "igtk", **location.connect_kwargs()}


def configure(raw: Any, busy_timeout_ms: int) -> None:
    """Per connection: durable commits and lock waits bounded like SQLite's busy_timeout."""
    raw.execute("SELECT set_config('synchronous_commit', 'on', false), set_config('lock_timeout', %s, false)",
                (f"{int(busy_timeout_ms)}ms",))


def connect(location: StoreLocation, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Any:
    """One connection, or StoreConfigError naming the setting and the (scrubbed) URL."""
    psycopg = _psycopg()
    assert location.url is not None
    try:
        raw = psycopg.connect(location.url, **connect_kwargs(location))
    except psycopg.Error as exc:
        raise StoreConfigError(f"{SETTING}: cannot connect to the history database {location.display}: "
                               f"{_why(exc)}") from None
    try:
        configure(raw, busy_timeout_ms)
    except BaseException:
        raw.close()
        raise
    return raw


def schema_version(raw: Any) -> int:
    if raw.execute("SELECT to_regclass('igtk_schema')").fetchone()[0] is None:
        return 0
    row = raw.execute("SELECT version FROM igtk_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(raw: Any, location: StoreLocation, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database to the latest schema; returns the version it had before."""
    latest = len(migrations)
    before = schema_version(raw)
    if before == latest:
        return before
    check_version(before, latest, location.display)
    raw.execute("BEGIN")
    try:
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        raw.execute("CREATE TABLE IF NOT EXISTS igtk_schema (version INTEGER NOT NULL)")
        current = schema_version(raw)  # another process may have migrated meanwhile
        check_version(current, latest, location.display)
        apply_migrations(PgConnection(raw), migrations, current)
        raw.execute("DELETE FROM igtk_schema")
        raw.execute("INSERT INTO igtk_schema (version) VALUES (%s)", (latest,))
        raw.execute("COMMIT")
    except BaseException:
        _rollback(raw)
        raise
    return before


def _rollback(raw: Any) -> None:
    from psycopg import Error
    from psycopg.pq import TransactionStatus

    if raw.closed or raw.info.transaction_status == TransactionStatus.IDLE:
        return
    try:
        raw.execute("ROLLBACK")
    except Error:
        pass  # the connection is broken: the pool discards it


def transaction(raw: Any, fn: Callable[[Any], T]) -> T:
    raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    try:
        result = fn(PgConnection(raw))
        raw.execute("COMMIT")
    except BaseException:
        _rollback(raw)
        raise
    return result


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(exc, "sqlstate", "") or "")


def run_write(get_connection: Callable[[], Any], fn: Callable[[Any], T], busy_timeout_ms: int,
              display: str) -> T:
    """One write transaction, retried on serialization failures for up to busy_timeout."""
    from psycopg import OperationalError

    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = 0.002
    while True:
        try:
            with get_connection() as raw:
                return transaction(raw, fn)
        except OperationalError as exc:
            state = _sqlstate(exc)
            if state in _RETRY_STATES:
                if time.monotonic() < deadline:
                    time.sleep(pause * (0.5 + random.random()))  # back-off between retries, jittered
                    pause = min(pause * 2, 0.1)
                    continue
                raise StoreBusy(f"the history database {display} stayed busy: {_why(exc)}") from exc
            if state in _LOCK_STATES:
                raise StoreBusy(f"the history database {display} is locked by another session") from exc
            raise StoreUnreachable(f"the history database {display}: {_why(exc)}") from exc


class PgDatabase(Database):
    dialect = "postgresql"

    def __init__(self, pool: Any, executor: ThreadPoolExecutor, location: StoreLocation,
                 busy_timeout_ms: int) -> None:
        self._pool = pool
        self._executor: ThreadPoolExecutor | None = executor
        self.location = location
        self.busy_timeout_ms = busy_timeout_ms

    @classmethod
    async def connect(cls, location: StoreLocation, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                      migrations: Sequence[Migration] = MIGRATIONS) -> PgDatabase:
        _psycopg()
        executor = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="igtk-store")
        try:
            pool = await asyncio.get_running_loop().run_in_executor(
                executor, _open_pool, location, busy_timeout_ms, migrations)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(pool, executor, location, busy_timeout_ms)

    @property
    def closed(self) -> bool:
        return self._executor is None

    def _submit(self, job: Callable[[], T]) -> asyncio.Future[T]:
        executor = self._executor
        if executor is None:
            raise StoreError("the history database is closed")
        return asyncio.get_running_loop().run_in_executor(executor, job)

    async def call(self, fn: Callable[[Any], T]) -> T:
        return await self._submit(lambda: self._read(fn))

    def _read(self, fn: Callable[[Any], T]) -> T:
        from psycopg import OperationalError

        try:
            with self._pool.connection() as raw:
                return fn(PgConnection(raw))
        except OperationalError as exc:
            raise StoreUnreachable(f"the history database {self.location.display}: {_why(exc)}") from exc

    async def write(self, fn: Callable[[Any], T]) -> T:
        return await self._submit(
            lambda: run_write(self._pool.connection, fn, self.busy_timeout_ms, self.location.display))

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        pool = self._pool
        await asyncio.get_running_loop().run_in_executor(executor, lambda: pool.close(timeout=5))
        executor.shutdown(wait=False)


def _open_pool(location: StoreLocation, busy_timeout_ms: int, migrations: Sequence[Migration]) -> Any:
    """Connect once (a clear error at once, not a pool timeout later), migrate, then fill the pool.

    The first connection is the one kept for synchronous callers (sync_session).
    """
    import psycopg
    from psycopg_pool import ConnectionPool

    try:
        with sync_session(location, write=False) as conn:
            migrate(conn.raw, location, migrations)
    except StoreError:
        raise
    except psycopg.Error as exc:
        raise StoreConfigError(f"{SETTING}: cannot use the history database {location.display}: "
                               f"{_why(exc)}") from None
    assert location.url is not None
    pool = ConnectionPool(location.url, kwargs=connect_kwargs(location), min_size=1, max_size=POOL_SIZE,
                          open=False, name="igtk-store", timeout=CONNECT_TIMEOUT + busy_timeout_ms / 1000,
                          configure=lambda raw: configure(raw, busy_timeout_ms))
    try:
        # Filled now, not behind the first step: the server accepted us a moment ago.
        pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        pool.close()
        raise StoreConfigError(f"{SETTING}: cannot connect to the history database {location.display}: "
                               f"{_why(exc)}") from None
    return pool


_SYNC_LOCK = threading.RLock()
_SYNC: dict[tuple[str, str | None], Any] = {}  # one kept connection per database, for sync callers
_SYNC_USED: dict[tuple[str, str | None], float] = {}
_MIGRATED: set[tuple[str, str | None]] = set()
SYNC_PING_AFTER = 10.0  # seconds idle after which a kept connection is checked before use


@contextmanager
def sync_session(location: StoreLocation, *, write: bool) -> Iterator[PgConnection]:
    """A connection for synchronous callers (library metadata, the report step), one at a time.

    Kept open between calls: authenticating costs tens of milliseconds, and the engine's
    nesting gate asks one row at a time. One idle for a while is checked first (the server
    may have restarted); a broken connection is dropped and made anew.
    """
    from psycopg import OperationalError

    assert location.url is not None
    key = (location.url, location.user)
    with _SYNC_LOCK:
        raw = _SYNC.get(key)
        if raw is not None and not raw.closed and time.monotonic() - _SYNC_USED.get(key, 0.0) > SYNC_PING_AFTER:
            try:
                raw.execute("SELECT 1")
            except OperationalError:
                raw.close()
        if raw is None or raw.closed or raw.broken:
            raw = _SYNC[key] = connect(location)
        _SYNC_USED[key] = time.monotonic()
        try:
            if write and key not in _MIGRATED:
                migrate(raw, location)
                _MIGRATED.add(key)
            yield PgConnection(raw)
        except OperationalError:
            _SYNC.pop(key, None)
            raw.close()
            raise


def sync_transaction(conn: PgConnection, fn: Callable[[Any], T], display: str,
                     busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> T:
    """`fn` in one write transaction on a sync session's connection, retried like `write`."""

    @contextmanager
    def same() -> Iterator[Any]:
        yield conn.raw

    return run_write(same, fn, busy_timeout_ms, display)
