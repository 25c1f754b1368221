"""The history schema as numbered migrations (version: `PRAGMA user_version` on
SQLite, the `igtk_schema` table on PostgreSQL).

Why numbered migrations and not `CREATE TABLE IF NOT EXISTS`: a plant server
keeps its database across upgrades (the earlier toolkit had no migrations and
drifted, prior-art §4.9). Each migration is a function run inside one
transaction together with the version bump (under the write lock on SQLite,
an advisory lock on PostgreSQL, whose DDL is transactional too), so a crash
or a second process starting at the same moment never sees half a schema.

To add a table or column: append a function to MIGRATIONS; never edit a
released one. Timestamps are Unix seconds (REAL, UTC) so keyset paging on
(started_at, id) compares numbers; JSON columns hold redacted text.

The same functions run on both backends (store/pg_sql.py translates types and
placeholders): write portable SQL (CONTRIBUTING.md, "Store migrations").
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from typing import Any

Migration = Callable[[Any], None]  # given a store connection (sqlite3, or pg_sql.PgConnection)


def _run(conn: Any, statements: str) -> None:
    """Execute `;`-separated DDL one statement at a time.

    `executescript` would COMMIT the migration's transaction first.
    """
    for statement in statements.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1_history(conn: Any) -> None:
    """Executions, steps (one row per path, updated in place), attempts, logs, artifacts."""
    _run(conn, """
    CREATE TABLE executions (
        id              TEXT PRIMARY KEY,
        playbook        TEXT NOT NULL,
        playbook_path   TEXT,
        playbook_rel    TEXT,
        playbook_hash   TEXT NOT NULL DEFAULT '',
        playbook_source TEXT,
        parameters      TEXT NOT NULL DEFAULT '{}',
        credentials     TEXT NOT NULL DEFAULT '[]',
        gateway_url     TEXT,
        trigger         TEXT NOT NULL DEFAULT 'cli',
        host            TEXT,
        user            TEXT,
        owner_pid       INTEGER,
        status          TEXT NOT NULL,
        failed_steps    INTEGER NOT NULL DEFAULT 0,
        started_at      REAL NOT NULL,
        finished_at     REAL,
        duration        REAL,
        error           TEXT,
        debug           INTEGER NOT NULL DEFAULT 0,
        resumed_from    TEXT,
        rerun_of        TEXT
    );
    CREATE INDEX executions_started ON executions(started_at, id);
    CREATE INDEX executions_status ON executions(status, started_at, id);
    CREATE INDEX executions_playbook ON executions(playbook, started_at, id);

    CREATE TABLE steps (
        execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        path         TEXT NOT NULL,
        step_id      TEXT NOT NULL,
        parent       TEXT,
        position     INTEGER NOT NULL,
        name         TEXT NOT NULL DEFAULT '',
        type         TEXT NOT NULL DEFAULT '',
        role         TEXT NOT NULL DEFAULT 'step',
        status       TEXT NOT NULL DEFAULT 'pending',
        attempts     INTEGER NOT NULL DEFAULT 0,
        started_at   REAL,
        finished_at  REAL,
        duration     REAL,
        output       TEXT,
        error        TEXT,
        reason       TEXT,
        variables    TEXT,
        PRIMARY KEY (execution_id, path)
    );

    CREATE TABLE attempts (
        execution_id TEXT NOT NULL,
        path         TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        n            INTEGER NOT NULL,
        ok           INTEGER NOT NULL,
        error        TEXT,
        duration     REAL,
        finished_at  REAL,
        PRIMARY KEY (execution_id, path, seq),
        FOREIGN KEY (execution_id, path) REFERENCES steps(execution_id, path) ON DELETE CASCADE
    );

    CREATE TABLE logs (
        execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        seq          INTEGER NOT NULL,
        ts           REAL NOT NULL,
        step         TEXT,
        level        TEXT NOT NULL,
        message      TEXT NOT NULL,
        PRIMARY KEY (execution_id, seq)
    );

    CREATE TABLE artifacts (
        execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        seq          INTEGER NOT NULL,
        step         TEXT,
        path         TEXT NOT NULL,
        kind         TEXT NOT NULL DEFAULT 'file',
        created_at   REAL NOT NULL,
        PRIMARY KEY (execution_id, seq)
    )
    """)


def _v2_sources_presets_links(conn: Any) -> None:
    """Playbook text stored once per content hash; presets; owner start time,
    resumed_by and browser version; gateway and library-path indexes."""
    _run(conn, """
    ALTER TABLE executions ADD COLUMN owner_start TEXT;
    ALTER TABLE executions ADD COLUMN resumed_by TEXT;
    ALTER TABLE executions ADD COLUMN browser_version TEXT;
    CREATE TABLE playbook_sources (
        hash TEXT PRIMARY KEY,
        text TEXT NOT NULL
    );
    CREATE TABLE presets (
        playbook   TEXT NOT NULL,
        name       TEXT NOT NULL,
        params     TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (playbook, name)
    );
    CREATE INDEX executions_gateway ON executions(gateway_url, started_at, id);
    CREATE INDEX executions_rel ON executions(playbook_rel, started_at, id);
    CREATE INDEX executions_hash ON executions(playbook_hash)
    """)
    # Move the inline playbook text (one copy per run) into the shared table.
    rows = conn.execute("SELECT id, playbook_hash, playbook_source FROM executions "
                        "WHERE playbook_source IS NOT NULL").fetchall()
    for execution_id, digest, text in rows:
        digest = digest or hashlib.sha256(text.encode("utf-8")).hexdigest()
        conn.execute("INSERT OR IGNORE INTO playbook_sources(hash, text) VALUES (?, ?)", (digest, text))
        conn.execute("UPDATE executions SET playbook_hash = ? WHERE id = ?", (digest, execution_id))
    if sqlite3.sqlite_version_info >= (3, 35, 0):
        conn.execute("ALTER TABLE executions DROP COLUMN playbook_source")
    else:  # pragma: no cover - Debian 12 ships 3.40
        conn.execute("UPDATE executions SET playbook_source = NULL")


def _v3_playbook_meta(conn: Any) -> None:
    """Library metadata per playbook, keyed by library-relative path
    (repository: igtk_tui.store.playbook_meta). Timestamps are ISO-8601 UTC
    text: they are shown and exported, never paged on."""
    _run(conn, """
    CREATE TABLE IF NOT EXISTS playbook_meta (
        path            TEXT PRIMARY KEY,
        verified        INTEGER NOT NULL DEFAULT 0,
        verified_at     TEXT,
        verified_by     TEXT,
        verified_hash   TEXT,
        enabled         INTEGER NOT NULL DEFAULT 1,
        origin          TEXT NOT NULL DEFAULT 'user-created',
        duplicated_from TEXT,
        revision        INTEGER NOT NULL DEFAULT 1,
        notes           TEXT NOT NULL DEFAULT '',
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    )
    """)


def _v4_fleet_runs(conn: Any) -> None:
    """Fleet runs (`igtk run --on`): one row per run with its counts, one row per gateway it
    planned (also those never started), and each execution's fleet run; the last check of each
    inventory gateway (`igtk inventory check`). Portable SQL: TEXT/INTEGER/REAL only, no
    reserved words as column names (the store may also live in PostgreSQL)."""
    _run(conn, """
    CREATE TABLE fleet_runs (
        id            TEXT PRIMARY KEY,
        playbook      TEXT NOT NULL,
        playbook_path TEXT,
        playbook_rel  TEXT,
        targets       TEXT NOT NULL DEFAULT '[]',
        options       TEXT NOT NULL DEFAULT '{}',
        status        TEXT NOT NULL,
        stop_reason   TEXT,
        total         INTEGER NOT NULL DEFAULT 0,
        completed     INTEGER NOT NULL DEFAULT 0,
        failed        INTEGER NOT NULL DEFAULT 0,
        skipped       INTEGER NOT NULL DEFAULT 0,
        cancelled     INTEGER NOT NULL DEFAULT 0,
        running       INTEGER NOT NULL DEFAULT 0,
        owner_host    TEXT,
        owner_user    TEXT,
        owner_pid     INTEGER,
        owner_start   TEXT,
        started_at    REAL NOT NULL,
        finished_at   REAL,
        duration      REAL
    );
    CREATE INDEX fleet_runs_started ON fleet_runs(started_at, id);
    CREATE INDEX fleet_runs_status ON fleet_runs(status, started_at, id);

    CREATE TABLE fleet_gateways (
        fleet_run_id  TEXT NOT NULL REFERENCES fleet_runs(id) ON DELETE CASCADE,
        position      INTEGER NOT NULL,
        name          TEXT NOT NULL,
        url           TEXT NOT NULL,
        gateway_groups TEXT NOT NULL DEFAULT '[]',
        batch         INTEGER NOT NULL,
        status        TEXT NOT NULL DEFAULT 'pending',
        execution_id  TEXT,
        started_at    REAL,
        finished_at   REAL,
        duration      REAL,
        error         TEXT,
        reason        TEXT,
        PRIMARY KEY (fleet_run_id, position)
    );
    CREATE INDEX fleet_gateways_execution ON fleet_gateways(execution_id);

    ALTER TABLE executions ADD COLUMN fleet_run_id TEXT;
    CREATE INDEX executions_fleet ON executions(fleet_run_id, started_at, id);

    CREATE TABLE gateway_checks (
        gateway     TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        url         TEXT NOT NULL,
        state       TEXT NOT NULL,
        version     TEXT,
        platform    TEXT,
        error       TEXT,
        elapsed     REAL,
        checked_at  REAL NOT NULL
    )
    """)


def _v5_gateway_locks(conn: Any) -> None:
    """One exclusive lock per gateway (key: values.gateway_key of its URL), taken with
    INSERT ... ON CONFLICT DO NOTHING (store/locks.py); the holder names the execution and its
    process (host, pid, start time) so a dead holder's lock is freed by crash recovery."""
    _run(conn, """
    CREATE TABLE gateway_locks (
        gateway       TEXT PRIMARY KEY,
        url           TEXT NOT NULL,
        execution_id  TEXT NOT NULL,
        playbook      TEXT,
        fleet_run_id  TEXT,
        holder_host   TEXT NOT NULL,
        holder_user   TEXT,
        holder_pid    INTEGER NOT NULL,
        holder_start  TEXT,
        acquired_at   REAL NOT NULL
    )
    """)


def _v6_schedules(conn: Any) -> None:
    """Schedules (definitions: names of playbook and credential, never secrets), every fire
    of one with its outcome and notification results, and a change counter the agent's
    scheduler polls to reload (repository: igtk_tui.store.schedules)."""
    _run(conn, """
    CREATE TABLE schedules (
        name         TEXT PRIMARY KEY,
        playbook     TEXT NOT NULL,
        cron         TEXT NOT NULL,
        tz           TEXT NOT NULL,
        params       TEXT NOT NULL DEFAULT '{}',
        credential   TEXT,
        gateway_url  TEXT,
        overlap      TEXT NOT NULL DEFAULT 'skip',
        catch_up     TEXT NOT NULL DEFAULT 'skip',
        enabled      INTEGER NOT NULL DEFAULT 1,
        gateway_lock INTEGER NOT NULL DEFAULT 0,
        notify_on    TEXT,
        notify       TEXT NOT NULL DEFAULT '[]',
        created_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        last_handled REAL NOT NULL
    );
    CREATE TABLE schedule_fires (
        id            TEXT PRIMARY KEY,
        schedule      TEXT NOT NULL REFERENCES schedules(name) ON DELETE CASCADE,
        due_at        REAL NOT NULL,
        kind          TEXT NOT NULL,
        outcome       TEXT NOT NULL,
        started_at    REAL,
        finished_at   REAL,
        execution_id  TEXT,
        message       TEXT,
        notifications TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX schedule_fires_due ON schedule_fires(schedule, due_at, id);
    CREATE INDEX schedule_fires_outcome ON schedule_fires(outcome);
    CREATE TABLE schedule_changes (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    );
    INSERT INTO schedule_changes (id, version) VALUES (1, 0)
    """)


def _v7_workers(conn: Any) -> None:
    """Agents sharing one PostgreSQL history (docs/workers.md): each schedule fire names the agent
    that handles it (so a starting agent closes only the fires of dead agents), and a control sent
    on one host to an execution another host's agent runs waits in `execution_controls` until
    that agent applies it and answers (store/controls.py)."""
    _run(conn, """
    ALTER TABLE schedule_fires ADD COLUMN owner_host TEXT;
    ALTER TABLE schedule_fires ADD COLUMN owner_pid INTEGER;
    ALTER TABLE schedule_fires ADD COLUMN owner_start TEXT;
    CREATE TABLE execution_controls (
        id            TEXT PRIMARY KEY,
        execution_id  TEXT NOT NULL,
        owner_host    TEXT NOT NULL,
        owner_pid     INTEGER NOT NULL,
        verb          TEXT NOT NULL,
        body          TEXT NOT NULL DEFAULT '{}',
        requested_at  REAL NOT NULL,
        requested_by  TEXT,
        claimed_at    REAL,
        answered_at   REAL,
        answer_status INTEGER,
        answer        TEXT
    );
    CREATE INDEX execution_controls_owner ON execution_controls(owner_host, owner_pid, claimed_at)
    """)


MIGRATIONS: tuple[Migration, ...] = (
    _v1_history,
    _v2_sources_presets_links,
    _v3_playbook_meta,
    _v4_fleet_runs,
    _v5_gateway_locks,
    _v6_schedules,
    _v7_workers,
)
LATEST_VERSION = len(MIGRATIONS)
