"""Reading and removing recorded executions: the history repository.

Why keyset paging: history is ordered by (started_at, id) and each page
continues strictly before the last row seen, which is as fast on page 1,000
as on page 1 (an index range scan), where OFFSET would walk every skipped row.
Every read of one execution is a single hop to the database thread.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.paths import Paths
from igtk_tui.store.codec import loads
from igtk_tui.store.db import Database
from igtk_tui.store.deletion import delete_executions
from igtk_tui.store.execution_records import (
    ArtifactRecord,
    AttemptRecord,
    ExecutionDetail,
    ExecutionSummary,
    LastResult,
    LogLine,
    StepRecord,
)
from igtk_tui.store.location import StoreLocation, active

MIN_PREFIX = 6
_SUMMARY_COLUMNS = ("id, playbook, playbook_path, playbook_rel, status, started_at, finished_at, duration, "
                    "failed_steps, trigger, gateway_url, resumed_from, resumed_by, rerun_of, host, user, error, "
                    "fleet_run_id")


@dataclass
class Filters:
    status: str | None = None
    playbook: str | None = None
    gateway: str | None = None
    since: float | None = None
    params: list[Any] = field(default_factory=list)

    def where(self) -> list[str]:
        clauses: list[str] = []
        if self.status:
            clauses.append("status = ?")
            self.params.append(self.status)
        if self.playbook:
            pb = self.playbook
            if Path(pb).expanduser().is_file():  # a playbook file: its recorded path (no index; rare)
                clauses.append("playbook_path = ?")
                self.params.append(str(Path(pb).expanduser().resolve()))
            elif "/" in pb or pb.endswith((".yaml", ".yml")):  # a library path, suffix optional
                stem = pb.removesuffix(".yaml").removesuffix(".yml")
                clauses.append("playbook_rel IN (?, ?, ?)")
                self.params += [pb, stem + ".yaml", stem + ".yml"]
            else:  # the playbook's name
                clauses.append("playbook = ?")
                self.params.append(pb)
        if self.gateway:
            bare = self.gateway.rstrip("/")
            clauses.append("gateway_url IN (?, ?)")
            self.params += [bare, bare + "/"]
        if self.since is not None:
            clauses.append("started_at >= ?")
            self.params.append(self.since)
        return clauses


def _tree_order(steps: list[StepRecord]) -> list[StepRecord]:
    """Parents before children, each level in the order the steps were listed.

    A compensation step is listed at its own level where it ran (after the steps, in
    execution order), not under the step it undoes: its `parent` names that step.
    """
    children: dict[str | None, list[StepRecord]] = defaultdict(list)
    known = {s.path for s in steps}
    for s in sorted(steps, key=lambda s: s.position):
        parent = None if s.role == "rollback" else s.parent
        if parent is None and "/" in s.path:
            parent = s.path.rpartition("/")[0]
        children[parent if parent in known else None].append(s)
    out: list[StepRecord] = []
    seen: set[str] = set()

    def walk(parent: str | None) -> None:
        for s in children.get(parent, ()):
            if s.path not in seen:
                seen.add(s.path)
                out.append(s)
                walk(s.path)

    walk(None)
    out += [s for s in steps if s.path not in seen]
    return out


def _read_detail(c: Any, execution_id: str, log_tail: int) -> ExecutionDetail | None:
    row = c.execute("SELECT e.*, s.text AS source FROM executions e "
                    "LEFT JOIN playbook_sources s ON s.hash = e.playbook_hash WHERE e.id = ?",
                    (execution_id,)).fetchone()
    if row is None:
        return None
    attempts: dict[str, list[AttemptRecord]] = defaultdict(list)
    for a in c.execute("SELECT path, n, ok, error, duration, finished_at FROM attempts "
                       "WHERE execution_id = ? ORDER BY seq", (execution_id,)):
        attempts[a["path"]].append(AttemptRecord(a["n"], bool(a["ok"]), a["error"], a["duration"],
                                                 a["finished_at"]))
    steps = [
        StepRecord(
            path=s["path"], step_id=s["step_id"], parent=s["parent"], position=s["position"], name=s["name"],
            type=s["type"], role=s["role"], status=s["status"], attempts=s["attempts"],
            started_at=s["started_at"], finished_at=s["finished_at"], duration=s["duration"],
            output=loads(s["output"]), error=s["error"], reason=s["reason"], variables=loads(s["variables"]),
            attempt_list=tuple(attempts.get(s["path"], ())),
        )
        for s in c.execute("SELECT * FROM steps WHERE execution_id = ?", (execution_id,))
    ]
    logs: list[LogLine] = []
    if log_tail > 0:
        logs = [LogLine(r["seq"], r["ts"], r["step"], r["level"], r["message"]) for r in c.execute(
            "SELECT * FROM (SELECT seq, ts, step, level, message FROM logs WHERE execution_id = ? "
            "ORDER BY seq DESC LIMIT ?) AS tail ORDER BY seq", (execution_id, log_tail))]
    log_count = c.execute("SELECT COALESCE(MAX(seq), 0) FROM logs WHERE execution_id = ?",
                          (execution_id,)).fetchone()[0]
    artifacts = [ArtifactRecord(r["path"], r["kind"], r["step"], r["created_at"]) for r in c.execute(
        "SELECT path, kind, step, created_at FROM artifacts WHERE execution_id = ? ORDER BY seq",
        (execution_id,))]
    return ExecutionDetail(
        summary=ExecutionSummary.from_row(row), playbook_hash=row["playbook_hash"], source=row["source"],
        parameters=loads(row["parameters"], {}), credentials=loads(row["credentials"], []),
        debug=bool(row["debug"]), owner_pid=row["owner_pid"], browser_version=row["browser_version"],
        steps=tuple(_tree_order(steps)), logs=tuple(logs), log_count=int(log_count),
        artifacts=tuple(artifacts),
    )


class ExecutionRepository:
    def __init__(self, db: Database, paths: Paths) -> None:
        self.db = db
        self.paths = paths

    async def list_executions(
        self,
        limit: int = 50,
        *,
        before: tuple[float, str] | None = None,
        status: str | None = None,
        playbook: str | None = None,
        gateway: str | None = None,
        since: float | None = None,
    ) -> list[ExecutionSummary]:
        """Newest first; pass the last row's `keyset` as `before` for the next page."""
        filters = Filters(status, playbook, gateway, since)
        clauses = filters.where()
        params = filters.params
        if before is not None:
            clauses.append("(started_at, id) < (?, ?)")
            params += [before[0], before[1]]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self.db.fetchall(
            f"SELECT {_SUMMARY_COLUMNS} FROM executions {where} ORDER BY started_at DESC, id DESC LIMIT ?",
            [*params, max(0, int(limit))])
        return [ExecutionSummary.from_row(r) for r in rows]

    async def count(self, *, status: str | None = None, playbook: str | None = None,
                    gateway: str | None = None, since: float | None = None) -> int:
        filters = Filters(status, playbook, gateway, since)
        clauses = filters.where()
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        row = await self.db.fetchone(f"SELECT COUNT(*) FROM executions {where}", filters.params)
        return int(row[0]) if row else 0

    async def ended_since(self, status: str, since: float, limit: int = 200) -> list[ExecutionSummary]:
        """Executions that ended with `status` after `since` (Unix seconds), newest first
        (the TUI's "interrupted since your last visit")."""
        rows = await self.db.fetchall(
            f"SELECT {_SUMMARY_COLUMNS} FROM executions WHERE status = ? AND finished_at > ? "
            "ORDER BY finished_at DESC, id DESC LIMIT ?", [status, since, max(0, int(limit))])
        return [ExecutionSummary.from_row(r) for r in rows]

    async def get(self, execution_id: str, *, logs: int = 50) -> ExecutionDetail | None:
        """Everything about one execution: steps (tree order) with attempts, log tail, artifacts."""
        return await self.db.call(lambda c: _read_detail(c, execution_id, logs))

    async def summary(self, execution_id: str) -> ExecutionSummary | None:
        row = await self.db.fetchone(f"SELECT {_SUMMARY_COLUMNS} FROM executions WHERE id = ?", (execution_id,))
        return ExecutionSummary.from_row(row) if row else None

    async def resolve_id(self, given: str) -> str:
        """A full id or a unique prefix of at least 6 characters; InvalidInput (exit 2) otherwise."""
        text = given.strip().lower()
        if not text:
            raise InvalidInput("an execution id is required")
        exact = await self.db.fetchone("SELECT id FROM executions WHERE id = ?", (text,))
        if exact:
            return str(exact[0])
        if len(text) < MIN_PREFIX:
            raise InvalidInput(f"execution id {given!r} is too short: give at least {MIN_PREFIX} characters "
                               "(see `igtk history`)")
        rows = await self.db.fetchall("SELECT id FROM executions WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
                                      (text, text + "\uffff"))
        if not rows:
            raise InvalidInput(f"no execution {given!r} in the history (see `igtk history`)")
        if len(rows) > 1:
            listed = ", ".join(r[0] for r in rows[:5])
            raise InvalidInput(f"execution id {given!r} is ambiguous: it starts {listed}"
                               + ("…" if len(rows) > 5 else "") + "; give more characters")
        return str(rows[0][0])

    async def last_results(self) -> dict[str, LastResult]:
        """The newest execution of each playbook (by name), for the library pane.

        A skip-scan over the playbook index: one seek per distinct playbook, not
        a pass over the whole history.
        """
        rows = await self.db.fetchall("""
            WITH RECURSIVE names(p) AS (
                SELECT MIN(playbook) FROM executions
                UNION ALL
                SELECT (SELECT MIN(playbook) FROM executions WHERE playbook > names.p)
                FROM names WHERE names.p IS NOT NULL
            )
            SELECT e.playbook, e.playbook_rel, e.playbook_path, e.id, e.status, e.started_at, e.duration
            FROM names JOIN executions e ON e.id = (
                SELECT id FROM executions WHERE playbook = names.p ORDER BY started_at DESC, id DESC LIMIT 1)
            WHERE names.p IS NOT NULL""")
        return {r["playbook"]: LastResult(r["playbook"], r["playbook_rel"], r["playbook_path"], r["id"],
                                          r["status"], r["started_at"], r["duration"]) for r in rows}

    async def set_browser_version(self, execution_id: str, version: str | None) -> None:
        await self.db.write(lambda c: c.execute("UPDATE executions SET browser_version = ? WHERE id = ?",
                                                (version, execution_id)))

    async def delete(self, ids: list[str]) -> tuple[list[str], list[str]]:
        """Remove the rows (steps, attempts, logs, artifacts cascade), then each artifact folder;
        running and paused executions are kept. Returns (ids deleted, problems)."""
        return await delete_executions(self.db, self.paths, ids)


def process_store(default_db_file: Path) -> StoreLocation:
    """The database this process's store opened (PostgreSQL when configured), else the file."""
    return active(default_db_file)


def read_detail_sync(location: StoreLocation, execution_id: str) -> ExecutionDetail | None:
    """One execution read through its own short connection, without logs.

    For a step that reports on the execution running it (fat.generate_report): the
    process's store belongs to the recorder, and this reader sees every committed
    step while the recorder keeps writing (WAL on SQLite, MVCC on PostgreSQL).
    """
    from igtk_tui.store.sync import open_session

    with open_session(location, write=False) as session:
        return None if session is None else _read_detail(session.conn, execution_id, 0)
