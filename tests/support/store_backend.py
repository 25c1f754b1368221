"""One history backend under test (`sqlite` or `postgresql`), seen from the outside.

The store's tests run once per backend (tests/support/plugin.py parametrizes the
`store_backend` fixture). They read, seed, lock and dump the database through
this object, with SQL written as the store writes it (`?` placeholders): on
PostgreSQL it goes through the store's own translator, so a test never holds a
second dialect of its queries.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from igtk_tui.store.pg_sql import row_factory, translate

# Tables the store owns (migrations of other modules may add more: dump_text finds them all).
SQLITE_FILES = ("", "-wal", "-shm")


@dataclass(frozen=True)
class StoreBackend:
    name: str
    url: str | None = None
    server: Any = None  # pg_server.PostgresServer when postgresql

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"

    # -- configuring the code under test ----------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {"IGTK_STORE_URL": self.url} if self.url else {}

    def settings(self, settings: Any = None) -> Any:
        """Settings (or None) for Store.open, pointing at this backend."""
        if not self.url:
            return settings
        if settings is None:
            from igtk_tui.config import Settings

            return Settings(retention_days=None, retention_count=None, store_url=self.url)
        return replace(settings, store_url=self.url)

    # -- reading and writing from outside the store --------------------------------------------
    def connect(self, home_or_db: Path) -> Any:
        """A plain connection (rows by index and by name), autocommit."""
        if self.url:
            import psycopg

            return _PgConn(psycopg.connect(self.url, autocommit=True, row_factory=row_factory))
        db = home_or_db if home_or_db.suffix == ".db" else home_or_db / "data" / "igtk.db"
        conn = sqlite3.connect(db, timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def rows(self, home_or_db: Path, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        conn = self.connect(home_or_db)
        try:
            return list(conn.execute(sql, params).fetchall())
        finally:
            conn.close()

    def execute(self, home_or_db: Path, sql: str, params: Sequence[Any] = (), *, many: bool = False) -> None:
        conn = self.connect(home_or_db)
        try:
            conn.execute("BEGIN")
            if many:
                conn.executemany(sql, params)
            else:
                conn.execute(sql, params)
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextmanager
    def write_lock(self, home_or_db: Path) -> Iterator[None]:
        """Another session holding the write lock, as a long transaction of another process would."""
        conn = self.connect(home_or_db)
        try:
            if self.url:
                conn.execute("BEGIN")
                conn.execute("LOCK TABLE executions, steps, logs, attempts, artifacts, playbook_sources "
                             "IN EXCLUSIVE MODE")
            else:
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()

    def check_integrity(self, home: Path) -> None:
        """SQLite's own checks on the file; PostgreSQL enforces its constraints at every write."""
        if self.url:
            return
        conn = self.connect(home)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            conn.close()

    def dump_text(self, home_or_db: Path) -> str:
        """Every row of every table, as text (for secret canaries)."""
        conn = self.connect(home_or_db)
        try:
            if self.url:
                tables = [r[0] for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()]
            else:
                tables = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
            out = []
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                    out.append(json.dumps([str(v) for v in row], ensure_ascii=False))
            return "\n".join(out)
        finally:
            conn.close()

    def server_files(self) -> list[Path]:
        """The PostgreSQL server's WAL and table files (what a disk holds)."""
        assert self.server is not None
        data = Path(self.server.data)
        return [p for p in [*data.joinpath("pg_wal").glob("*"), *data.joinpath("base").rglob("*")] if p.is_file()]


class _PgConn:
    """psycopg with the store's `?` placeholders, like a sqlite3 connection in tests."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(translate(sql), tuple(params))

    def executemany(self, sql: str, params: Any) -> Any:
        with self.raw.cursor() as cur:
            cur.executemany(translate(sql), [tuple(p) for p in params])

    def close(self) -> None:
        self.raw.close()


# -- the running test's database, whichever backend it is on --------------------------------------
def current() -> StoreBackend:
    """The backend of the running test: PostgreSQL when its fixture set IGTK_STORE_URL, else SQLite."""
    url = os.environ.get("IGTK_STORE_URL")
    return StoreBackend("postgresql", url) if url else StoreBackend("sqlite")


def db_connect(home: Path) -> Any:
    """A plain connection to the test's history database (SQL with `?`, rows by index or name)."""
    return current().connect(home)


def db_rows(home: Path, sql: str, params: Sequence[Any] = (), *, missing_ok: bool = False) -> list[Any]:
    """The rows of one query on the test's history database. `missing_ok`: no rows (instead of an
    error) while the process under test has not created the database or its tables yet."""
    backend = current()
    if missing_ok and not backend.url and not (home / "data" / "igtk.db").exists():
        return []
    try:
        return backend.rows(home, sql, params)
    except Exception as exc:
        if missing_ok and ("no such table" in str(exc) or type(exc).__name__ == "UndefinedTable"):
            return []
        raise


def db_execute(home: Path, sql: str, params: Any = (), *, many: bool = False) -> None:
    current().execute(home, sql, params, many=many)
