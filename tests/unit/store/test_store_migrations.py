"""Schema migrations by PRAGMA user_version, on real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from igtk_tui.paths import Paths
from igtk_tui.store.db import Database, StoreError
from igtk_tui.store.executions import ExecutionRepository
from igtk_tui.store.schema import LATEST_VERSION

# The version-1 shape, written by hand (as the first release created it).
V1 = """
CREATE TABLE executions (
    id TEXT PRIMARY KEY, playbook TEXT NOT NULL, playbook_path TEXT, playbook_rel TEXT,
    playbook_hash TEXT NOT NULL DEFAULT '', playbook_source TEXT, parameters TEXT NOT NULL DEFAULT '{}',
    credentials TEXT NOT NULL DEFAULT '[]', gateway_url TEXT, trigger TEXT NOT NULL DEFAULT 'cli', host TEXT,
    user TEXT, owner_pid INTEGER, status TEXT NOT NULL, failed_steps INTEGER NOT NULL DEFAULT 0,
    started_at REAL NOT NULL, finished_at REAL, duration REAL, error TEXT, debug INTEGER NOT NULL DEFAULT 0,
    resumed_from TEXT, rerun_of TEXT);
CREATE INDEX executions_started ON executions(started_at, id);
CREATE INDEX executions_status ON executions(status, started_at, id);
CREATE INDEX executions_playbook ON executions(playbook, started_at, id);
CREATE TABLE steps (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE, path TEXT NOT NULL,
    step_id TEXT NOT NULL, parent TEXT, position INTEGER NOT NULL, name TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'step', status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0, started_at REAL, finished_at REAL, duration REAL, output TEXT,
    error TEXT, reason TEXT, variables TEXT, PRIMARY KEY (execution_id, path));
CREATE TABLE attempts (
    execution_id TEXT NOT NULL, path TEXT NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL,
    ok INTEGER NOT NULL, error TEXT, duration REAL, finished_at REAL, PRIMARY KEY (execution_id, path, seq),
    FOREIGN KEY (execution_id, path) REFERENCES steps(execution_id, path) ON DELETE CASCADE);
CREATE TABLE logs (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    ts REAL NOT NULL, step TEXT, level TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (execution_id, seq));
CREATE TABLE artifacts (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE, seq INTEGER NOT NULL, step TEXT,
    path TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'file', created_at REAL NOT NULL,
    PRIMARY KEY (execution_id, seq));
INSERT INTO executions (id, playbook, playbook_path, playbook_hash, playbook_source, parameters, status,
    started_at, finished_at, duration)
VALUES ('old-1', 'Legacy', '/srv/legacy.yaml', '', 'name: Legacy\nsteps: []\n', '{"site": "a"}', 'completed',
    1000.0, 1002.5, 2.5),
       ('old-2', 'Legacy', '/srv/legacy.yaml', '', 'name: Legacy\nsteps: []\n', '{}', 'failed', 2000.0, 2001.0, 1.0);
INSERT INTO steps (execution_id, path, step_id, position, status, attempts, output)
VALUES ('old-1', 'a', 'a', 0, 'completed', 1, '{"x": 1}');
INSERT INTO attempts VALUES ('old-1', 'a', 1, 1, 1, NULL, 0.1, 1001.0);
INSERT INTO logs VALUES ('old-1', 1, 1001.0, 'a', 'info', 'legacy line');
PRAGMA user_version = 1;
"""


def paths_for(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path / "c", data_dir=tmp_path / "d", state_dir=tmp_path / "s")


async def test_a_version_1_file_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    paths.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(paths.db_file)
    conn.executescript(V1)
    conn.close()

    db = await Database.open(paths.db_file)
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == LATEST_VERSION
        repo = ExecutionRepository(db, paths)
        detail = await repo.get("old-1")
        assert detail is not None
        assert detail.source == "name: Legacy\nsteps: []\n"  # moved to playbook_sources
        assert detail.playbook_hash and detail.parameters == {"site": "a"}
        assert detail.summary.duration == 2.5 and detail.browser_version is None
        assert detail.steps[0].output == {"x": 1} and detail.steps[0].attempt_list[0].ok
        assert detail.logs[0].message == "legacy line"
        assert [e.id for e in await repo.list_executions()] == ["old-2", "old-1"]
        assert (await db.fetchone("SELECT COUNT(*) FROM playbook_sources"))[0] == 1
        columns = {r[1] for r in await db.fetchall("PRAGMA table_info(executions)")}
        assert {"owner_start", "resumed_by", "browser_version"} <= columns
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        await repo.set_browser_version("old-1", "Chromium 156")
        assert (await repo.get("old-1")).browser_version == "Chromium 156"
        assert (await db.fetchall("PRAGMA integrity_check"))[0][0] == "ok"
    finally:
        await db.close()


async def test_a_fresh_file_gets_the_latest_schema_and_a_private_mode(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    db = await Database.open(paths.db_file)
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == LATEST_VERSION
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"executions", "steps", "attempts", "logs", "artifacts", "presets", "playbook_sources"} <= tables
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000
        assert (await db.fetchone("PRAGMA synchronous"))[0] == 1  # NORMAL
    finally:
        await db.close()
    assert paths.db_file.stat().st_mode & 0o077 == 0


async def test_a_newer_schema_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    paths.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(paths.db_file)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        await Database.open(paths.db_file)


async def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("boom in migration")

    from igtk_tui.store.schema import MIGRATIONS

    with pytest.raises(StoreError, match="boom"):
        await Database.open(paths.db_file, migrations=(*MIGRATIONS, broken))
    db = await Database.open(paths.db_file)
    try:
        assert (await db.fetchone("PRAGMA user_version"))[0] == LATEST_VERSION
        assert not await db.fetchall("SELECT name FROM sqlite_master WHERE name = 'half'")
    finally:
        await db.close()


async def test_close_stops_the_connection_thread(tmp_path: Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    db = await Database.open(paths_for(tmp_path).db_file)
    workers = [t for t in threading.enumerate() if t.ident not in before]
    assert workers and all(t.daemon for t in workers)
    await db.close()
    await asyncio.to_thread(lambda: [t.join(5) for t in workers])
    assert not any(t.is_alive() for t in workers)
    await db.close()  # idempotent
    with pytest.raises(StoreError):
        await db.fetchall("SELECT 1")


# -- PostgreSQL: the same migration functions, the version in igtk_schema -------------------------

async def pg_scalar(url: str, sql: str) -> object:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


async def test_a_fresh_postgresql_database_gets_the_latest_schema_with_exact_types(postgres_url: str) -> None:
    db = await Database.open(postgres_url)
    try:
        assert db.dialect == "postgresql"
        assert (await db.fetchone("SELECT version FROM igtk_schema"))[0] == LATEST_VERSION
        tables = {r[0] for r in await db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
        assert {"executions", "steps", "attempts", "logs", "artifacts", "presets", "playbook_sources",
                "playbook_meta", "igtk_schema"} <= tables
        types = {(r[0], r[1]): (r[2], r[3]) for r in await db.fetchall(
            "SELECT table_name, column_name, data_type, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()")}
        assert types[("executions", "started_at")][0] == "double precision"  # not PostgreSQL's 4-byte REAL
        assert types[("executions", "owner_pid")][0] == "bigint"
        assert types[("executions", "id")] == ("text", "C")  # byte order, as SQLite's BINARY
        assert ("executions", "user") in types
        moment = 1767225600.123456
        await db.write(lambda c: c.execute(
            "INSERT INTO executions (id, playbook, status, started_at, user) VALUES ('e', 'p', 'completed', ?, ?)",
            (moment, "operator")))
        row = await db.fetchone("SELECT started_at, user FROM executions WHERE id = 'e'")
        assert row["started_at"] == moment and row[1] == "operator"  # by name and by index
        assert (await db.fetchone("SELECT setting FROM pg_settings WHERE name = 'synchronous_commit'"))[0] == "on"
    finally:
        await db.close()


async def test_a_newer_postgresql_schema_is_refused(postgres_url: str) -> None:
    import psycopg

    db = await Database.open(postgres_url)
    await db.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE igtk_schema SET version = %s", (LATEST_VERSION + 5,))
    with pytest.raises(StoreError, match="newer"):
        await Database.open(postgres_url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_migration_failing_in_sql_leaves_the_database_as_it_was(tmp_path: Path, backend: str,
                                                                       request: pytest.FixtureRequest) -> None:
    target: Path | str = (request.getfixturevalue("postgres_url") if backend == "postgresql"
                          else paths_for(tmp_path).db_file)

    def broken(conn: object) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")  # type: ignore[attr-defined]
        conn.execute("SELECT no_such_function(1)")  # type: ignore[attr-defined]

    from igtk_tui.store.schema import MIGRATIONS

    with pytest.raises(StoreError, match="no_such_function"):
        await Database.open(target, migrations=(*MIGRATIONS, broken))
    db = await Database.open(target)
    try:
        version = "SELECT version FROM igtk_schema" if backend == "postgresql" else "PRAGMA user_version"
        assert (await db.fetchone(version))[0] == LATEST_VERSION
        tables = ("SELECT table_name FROM information_schema.tables WHERE table_name = 'half'"
                  if backend == "postgresql" else "SELECT name FROM sqlite_master WHERE name = 'half'")
        assert not await db.fetchall(tables)
    finally:
        await db.close()


async def test_processes_opening_a_fresh_postgresql_database_at_once_migrate_it_once(postgres_url: str) -> None:
    dbs = await asyncio.gather(*(Database.open(postgres_url) for _ in range(4)))
    try:
        assert (await dbs[0].fetchone("SELECT COUNT(*), MAX(version) FROM igtk_schema"))[:] == (1, LATEST_VERSION)
    finally:
        for db in dbs:
            await db.close()


async def test_close_stops_the_postgresql_threads(postgres_url: str) -> None:
    before = {t.ident for t in threading.enumerate()}
    db = await Database.open(postgres_url)
    await db.fetchone("SELECT 1")
    workers = [t for t in threading.enumerate() if t.ident not in before]
    assert workers
    await db.close()
    await asyncio.to_thread(lambda: [t.join(10) for t in workers])
    assert not any(t.is_alive() for t in workers)
    await db.close()  # idempotent
    with pytest.raises(StoreError):
        await db.fetchall("SELECT 1")
