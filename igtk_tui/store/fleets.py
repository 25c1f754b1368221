"""Fleet runs in the store: one row per run, one per gateway it planned, counts kept current.

Why a row per planned gateway and not only the executions: a gateway that was never
started (the stop rule fired, the run was cancelled, its lock was busy, it did not answer)
has no execution, yet the record must say it was in the run and why it did not run. Each
member row carries its batch, status, execution id (when one ran), times and the reason.
The run's counts are recounted from the member rows in the transaction that changes them,
so `igtk history --fleet` reads one row per run and never disagrees with the members.

Member statuses: pending (planned), running, completed, failed, cancelled, interrupted,
skipped (never started; `reason` says why). Run statuses: running, completed (every
gateway completed), failed, cancelled (Ctrl-C), interrupted (a signal or a dead process).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.store.codec import dumps, loads, scrub
from igtk_tui.store.db import Conn, Database
from igtk_tui.store.owner import ProcessIdentity, owner_alive
from igtk_tui.timefmt import iso_utc

MIN_PREFIX = 6
FINISHED = ("completed", "failed", "cancelled", "interrupted", "skipped")
_COUNTED = ("completed", "failed", "skipped", "cancelled", "running")
_RUN_COLUMNS = ("id, playbook, playbook_path, playbook_rel, targets, options, status, stop_reason, total, "
                "completed, failed, skipped, cancelled, running, owner_host, owner_user, started_at, "
                "finished_at, duration")


@dataclass(frozen=True)
class PlannedGateway:
    """One gateway of a fleet run as planned: its place, batch and where it is."""

    position: int
    name: str
    url: str
    groups: tuple[str, ...]
    batch: int


@dataclass(frozen=True)
class FleetRunSummary:
    id: str
    playbook: str
    playbook_path: str | None
    playbook_rel: str | None
    targets: list[str]
    options: dict[str, Any]
    status: str
    stop_reason: str | None
    total: int
    completed: int
    failed: int
    skipped: int
    cancelled: int
    running: int
    host: str | None
    user: str | None
    started_at: float
    finished_at: float | None
    duration: float | None

    @classmethod
    def from_row(cls, row: Any) -> FleetRunSummary:
        return cls(row["id"], row["playbook"], row["playbook_path"], row["playbook_rel"],
                   loads(row["targets"], []), loads(row["options"], {}), row["status"], row["stop_reason"],
                   row["total"], row["completed"], row["failed"], row["skipped"], row["cancelled"], row["running"],
                   row["owner_host"], row["owner_user"], row["started_at"], row["finished_at"], row["duration"])

    @property
    def keyset(self) -> tuple[float, str]:
        return (self.started_at, self.id)

    @property
    def pending(self) -> int:
        return max(0, self.total - self.completed - self.failed - self.skipped - self.cancelled - self.running)

    def counts(self) -> dict[str, int]:
        return {"total": self.total, "completed": self.completed, "failed": self.failed, "skipped": self.skipped,
                "cancelled": self.cancelled, "running": self.running, "pending": self.pending}

    def counts_text(self) -> str:
        """`50: 17✓ 3✗ 30↷`: the total, then each non-zero count with its status glyph (narrow tables)."""
        from igtk_tui.glyphs import GLYPHS

        counts = self.counts()
        parts = [f"{counts[k]}{GLYPHS[k]}" for k in ("completed", "failed", "cancelled", "skipped", "running",
                                                      "pending") if counts[k]]
        return f"{self.total}: " + (" ".join(parts) or "0")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": "fleet", "playbook": self.playbook, "playbook_path": self.playbook_path,
                "playbook_rel": self.playbook_rel, "targets": self.targets, "options": self.options,
                "status": self.status, "stop_reason": self.stop_reason, "counts": self.counts(),
                "host": self.host, "user": self.user, "started_at": iso_utc(self.started_at),
                "finished_at": iso_utc(self.finished_at), "duration": self.duration}


@dataclass(frozen=True)
class FleetMember:
    """One gateway of a recorded fleet run; `step` is the running step while it runs, the failed
    step once it failed (path and name), None otherwise."""

    position: int
    name: str
    url: str
    groups: tuple[str, ...]
    batch: int
    status: str
    execution_id: str | None
    started_at: float | None
    finished_at: float | None
    duration: float | None
    error: str | None
    reason: str | None
    step: str | None = None
    step_name: str | None = None

    @property
    def group(self) -> str:
        return self.groups[0] if self.groups else ""

    def to_json(self) -> dict[str, Any]:
        failed_step = self.step if self.status != "running" else None
        return {"gateway": self.name, "url": self.url, "groups": list(self.groups), "batch": self.batch,
                "status": self.status, "execution_id": self.execution_id, "started_at": iso_utc(self.started_at),
                "finished_at": iso_utc(self.finished_at), "duration": self.duration, "error": self.error,
                "reason": self.reason, "failed_step": failed_step,
                "current_step": self.step if self.status == "running" else None}


@dataclass(frozen=True)
class MemberState:
    """A gateway's recorded status and its execution's (what a waiting coordinator reads)."""

    status: str
    execution_id: str | None
    error: str | None
    reason: str | None
    execution_status: str | None
    execution_error: str | None
    execution_host: str | None = None
    execution_pid: int | None = None


@dataclass(frozen=True)
class FleetRunDetail:
    summary: FleetRunSummary
    members: tuple[FleetMember, ...]

    @property
    def id(self) -> str:
        return self.summary.id

    def to_json(self) -> dict[str, Any]:
        out = self.summary.to_json()
        out["gateways"] = [m.to_json() for m in self.members]
        return out


class FleetRepository:
    def __init__(self, db: Database, owner: ProcessIdentity | None = None) -> None:
        self.db = db
        self.owner = owner or ProcessIdentity.current()

    # -- writing (the fleet runner) ---------------------------------------------------------
    async def create(self, run_id: str, *, playbook: str, playbook_path: str | None, playbook_rel: str | None,
                     targets: Sequence[str], options: dict[str, Any], plan: Sequence[PlannedGateway],
                     started_at: float | None = None) -> None:
        me = self.owner
        now = time.time() if started_at is None else started_at

        def write(c: Conn) -> None:
            c.execute(
                "INSERT INTO fleet_runs (id, playbook, playbook_path, playbook_rel, targets, options, status, "
                "total, owner_host, owner_user, owner_pid, owner_start, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (run_id, playbook, playbook_path, playbook_rel, dumps(list(targets)), dumps(options), len(plan),
                 me.host, me.user, me.pid, me.start, now))
            c.executemany(
                "INSERT INTO fleet_gateways (fleet_run_id, position, name, url, gateway_groups, batch) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, p.position, p.name, p.url, dumps(list(p.groups)), p.batch) for p in plan])

        await self.db.write(write)

    async def member_started(self, run_id: str, position: int, *, ts: float | None = None) -> None:
        await self._member(run_id, position, "UPDATE fleet_gateways SET status = 'running', started_at = ? "
                           "WHERE fleet_run_id = ? AND position = ?", (ts or time.time(), run_id, position))

    async def member_execution(self, run_id: str, position: int, execution_id: str) -> None:
        await self.db.write(lambda c: c.execute(
            "UPDATE fleet_gateways SET execution_id = ? WHERE fleet_run_id = ? AND position = ?",
            (execution_id, run_id, position)))

    async def member_finished(self, run_id: str, position: int, status: str, *, error: str | None = None,
                              reason: str | None = None, ts: float | None = None) -> None:
        now = ts or time.time()
        await self._member(
            run_id, position,
            "UPDATE fleet_gateways SET status = ?, finished_at = ?, error = ?, reason = ?, "
            "started_at = COALESCE(started_at, ?), duration = ? - COALESCE(started_at, ?) "
            "WHERE fleet_run_id = ? AND position = ?",
            (status, now, scrub(error), reason, now, now, now, run_id, position))

    async def skip(self, run_id: str, positions: Sequence[int], reason: str) -> None:
        """Gateways that will never start in this run: `skipped`, with the reason."""
        if not positions:
            return

        def write(c: Conn) -> None:
            c.executemany("UPDATE fleet_gateways SET status = 'skipped', reason = ? "
                          "WHERE fleet_run_id = ? AND position = ? AND status = 'pending'",
                          [(reason, run_id, p) for p in positions])
            _recount(c, run_id)

        await self.db.write(write)

    async def finish(self, run_id: str, status: str, *, stop_reason: str | None = None,
                     ts: float | None = None) -> None:
        now = ts or time.time()

        def write(c: Conn) -> None:
            c.execute("UPDATE fleet_runs SET status = ?, stop_reason = COALESCE(?, stop_reason), finished_at = ?, "
                      "duration = ? - started_at WHERE id = ?", (status, scrub(stop_reason), now, now, run_id))
            _recount(c, run_id)

        await self.db.write(write)

    async def member_states(self, run_id: str) -> dict[int, MemberState]:
        """Each gateway's status and its execution's, for a coordinator waiting on queued gateways."""
        rows = await self.db.fetchall(
            "SELECT g.position, g.status, g.execution_id, g.error, g.reason, e.status AS execution_status, "
            "e.error AS execution_error, e.host AS execution_host, e.owner_pid AS execution_pid "
            "FROM fleet_gateways g LEFT JOIN executions e ON e.id = g.execution_id "
            "WHERE g.fleet_run_id = ?", (run_id,))
        return {int(r["position"]): MemberState(r["status"], r["execution_id"], r["error"], r["reason"],
                                                r["execution_status"], r["execution_error"], r["execution_host"],
                                                r["execution_pid"]) for r in rows}

    async def interrupt_queued(self, run_id: str | None, position: int | None, reason: str) -> str | None:
        """A queued gateway whose worker died (its heartbeat stopped): its execution, when it started
        one, becomes `interrupted` (as crash recovery marks it), its gateway `interrupted`, and the
        gateway lock that execution held is freed. Returns the execution id. A live owner on this
        host is never marked (its heartbeat may only be late)."""
        if run_id is None or position is None:
            return None
        me = self.owner

        def write(c: Conn) -> str | None:
            from igtk_tui.store.recovery import Recovered, mark

            row = c.execute("SELECT g.status, g.execution_id, e.host, e.owner_pid, e.owner_start FROM fleet_gateways g "
                            "LEFT JOIN executions e ON e.id = g.execution_id "
                            "WHERE g.fleet_run_id = ? AND g.position = ?", (run_id, position)).fetchone()
            if row is None or row["status"] in FINISHED:
                return None
            if row["host"] == me.host and owner_alive(row["host"], row["owner_pid"], row["owner_start"], me):
                return None
            execution_id = row["execution_id"]
            if execution_id:
                mark(c, [Recovered(execution_id, row["owner_pid"], row["host"])], error=reason)
                c.execute("DELETE FROM gateway_locks WHERE execution_id = ?", (execution_id,))
            now = time.time()
            c.execute("UPDATE fleet_gateways SET status = 'interrupted', error = ?, finished_at = ?, "
                      "duration = ? - COALESCE(started_at, ?) WHERE fleet_run_id = ? AND position = ?",
                      (scrub(reason), now, now, now, run_id, position))
            _recount(c, run_id)
            return str(execution_id) if execution_id else None

        return await self.db.write(write)

    async def _member(self, run_id: str, position: int, sql: str, params: tuple[Any, ...]) -> None:
        def write(c: Conn) -> None:
            c.execute(sql, params)
            _recount(c, run_id)

        await self.db.write(write)

    # -- reading -----------------------------------------------------------------------------
    async def list_runs(self, limit: int = 50, *, before: tuple[float, str] | None = None,
                        status: str | None = None, playbook: str | None = None) -> list[FleetRunSummary]:
        clauses: list[str] = []
        params: list[Any] = []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if playbook:
            clauses.append("(playbook = ? OR playbook_rel = ? OR playbook_rel = ?)")
            params += [playbook, playbook, playbook.removesuffix(".yaml") + ".yaml"]
        if before is not None:
            clauses.append("(started_at < ? OR (started_at = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self.db.fetchall(f"SELECT {_RUN_COLUMNS} FROM fleet_runs {where} "
                                      "ORDER BY started_at DESC, id DESC LIMIT ?", [*params, max(0, int(limit))])
        return [FleetRunSummary.from_row(r) for r in rows]

    async def summary(self, run_id: str) -> FleetRunSummary | None:
        row = await self.db.fetchone(f"SELECT {_RUN_COLUMNS} FROM fleet_runs WHERE id = ?", (run_id,))
        return FleetRunSummary.from_row(row) if row else None

    async def get(self, run_id: str) -> FleetRunDetail | None:
        return await self.db.call(lambda c: _read_detail(c, run_id))

    async def find_id(self, given: str) -> list[str]:
        """Fleet run ids equal to `given` or starting with it (at most 6), for id resolution."""
        text = given.strip().lower()
        exact = await self.db.fetchone("SELECT id FROM fleet_runs WHERE id = ?", (text,))
        if exact:
            return [str(exact[0])]
        if len(text) < MIN_PREFIX:
            return []
        rows = await self.db.fetchall("SELECT id FROM fleet_runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
                                      (text, text + "\uffff"))
        return [str(r[0]) for r in rows]

    async def resolve_id(self, given: str) -> str:
        found = await self.find_id(given)
        if len(found) == 1:
            return found[0]
        if found:
            raise InvalidInput(f"fleet run id {given!r} is ambiguous: it starts {', '.join(found[:5])}; "
                               "give more characters")
        raise InvalidInput(f"no fleet run {given!r} in the history (see `igtk history --fleet`)")


def _read_detail(c: Conn, run_id: str) -> FleetRunDetail | None:
    row = c.execute(f"SELECT {_RUN_COLUMNS} FROM fleet_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        return None
    members = c.execute("SELECT * FROM fleet_gateways WHERE fleet_run_id = ? ORDER BY position",
                        (run_id,)).fetchall()
    steps: dict[str, tuple[str, str, str]] = {}
    # The (innermost) running step of live members, the first failed step of the others: one query.
    for s in c.execute(
            "SELECT s.execution_id, s.path, s.name, s.status FROM fleet_gateways g "
            "JOIN steps s ON s.execution_id = g.execution_id "
            "WHERE g.fleet_run_id = ? AND s.status IN ('running', 'failed', 'interrupted') "
            "ORDER BY s.position", (run_id,)):
        current = steps.get(s["execution_id"])
        if current is None or (s["status"] == "running" and (current[2] != "running" or "/" in s["path"])):
            steps[s["execution_id"]] = (s["path"], s["name"], s["status"])
    out = []
    for m in members:
        step = steps.get(m["execution_id"]) if m["execution_id"] else None
        out.append(FleetMember(
            m["position"], m["name"], m["url"], tuple(loads(m["gateway_groups"], [])), m["batch"], m["status"],
            m["execution_id"], m["started_at"], m["finished_at"], m["duration"], m["error"], m["reason"],
            step[0] if step else None, step[1] if step else None))
    return FleetRunDetail(FleetRunSummary.from_row(row), tuple(out))


def _recount(c: Conn, run_id: str) -> None:
    counts = dict.fromkeys(_COUNTED, 0)
    for status, n in c.execute("SELECT status, COUNT(*) FROM fleet_gateways WHERE fleet_run_id = ? "
                               "GROUP BY status", (run_id,)):
        if status == "interrupted":
            status = "cancelled"
        if status in counts:
            counts[status] += int(n)
    c.execute("UPDATE fleet_runs SET completed = ?, failed = ?, skipped = ?, cancelled = ?, running = ? "
              "WHERE id = ?", (*[counts[k] for k in _COUNTED], run_id))


def recover_fleets(c: Conn, me: ProcessIdentity) -> list[str]:
    """Crash recovery: fleet runs whose process died become `interrupted`; their pending gateways
    `skipped`, their running ones `interrupted` (those executions are recovered on their own)."""
    rows = c.execute("SELECT id, owner_host, owner_pid, owner_start FROM fleet_runs WHERE status = 'running'"
                     ).fetchall()
    dead = [r for r in rows if not owner_alive(r["owner_host"], r["owner_pid"], r["owner_start"], me)]
    now = time.time()
    for r in dead:
        reason = (f"interrupted: pid {r['owner_pid']} on {r['owner_host'] or 'this host'} ended without "
                  "finishing the fleet run")
        c.execute("UPDATE fleet_gateways SET status = 'skipped', reason = ? WHERE fleet_run_id = ? "
                  "AND status = 'pending'", ("the fleet run was interrupted before it started", r["id"]))
        c.execute("UPDATE fleet_gateways SET status = 'interrupted', finished_at = ?, "
                  "duration = ? - started_at WHERE fleet_run_id = ? AND status = 'running'", (now, now, r["id"]))
        c.execute("UPDATE fleet_runs SET status = 'interrupted', stop_reason = ?, "
                  "finished_at = COALESCE((SELECT MAX(finished_at) FROM fleet_gateways WHERE fleet_run_id = ?), "
                  "started_at) WHERE id = ?", (reason, r["id"], r["id"]))
        c.execute("UPDATE fleet_runs SET duration = finished_at - started_at WHERE id = ?", (r["id"],))
        _recount(c, r["id"])
    return [r["id"] for r in dead]
