"""Schedules and their fires in the history database.

Why a change counter: the CLI and the TUI write schedules straight into the
store (the agent need not run for `schedule add`), and the agent's scheduler
must notice. Every write of a definition bumps `schedule_changes.version` in
the same transaction; the scheduler reads that one integer each time it wakes
and reloads only when it moved. Fires and `last_handled` are the scheduler's
own writes and do not bump it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.schedules.model import LIVE_FIRE_OUTCOMES, Fire, NotificationResult, Schedule
from igtk_tui.store.codec import dumps, loads
from igtk_tui.store.db import Database

KEEP_FIRES = 500  # fires kept per schedule (older ones are removed as new ones end)
_COLUMNS = ("name", "playbook", "cron", "tz", "params", "credential", "gateway_url", "overlap", "catch_up",
            "enabled", "gateway_lock", "notify_on", "notify", "created_at", "updated_at", "last_handled")
_FIRE_COLUMNS = ("id", "schedule", "due_at", "kind", "outcome", "started_at", "finished_at", "execution_id",
                 "message", "notifications")
_FIRE_UPDATABLE = ("outcome", "started_at", "finished_at", "execution_id", "message", "notifications")


def _row(schedule: Schedule) -> tuple[Any, ...]:
    s = schedule
    return (s.name, s.playbook, s.cron, s.tz, dumps(s.params), s.credential, s.gateway_url, s.overlap, s.catch_up,
            int(s.enabled), int(s.gateway_lock), s.notify_on, dumps(list(s.notify)), s.created_at, s.updated_at,
            s.last_handled)


def _schedule(row: sqlite3.Row) -> Schedule:
    return Schedule(
        name=row["name"], playbook=row["playbook"], cron=row["cron"], tz=row["tz"], params=loads(row["params"], {}),
        credential=row["credential"], gateway_url=row["gateway_url"], overlap=row["overlap"],
        catch_up=row["catch_up"], enabled=bool(row["enabled"]), gateway_lock=bool(row["gateway_lock"]),
        notify_on=row["notify_on"], notify=tuple(loads(row["notify"], [])), created_at=row["created_at"],
        updated_at=row["updated_at"], last_handled=row["last_handled"])


def _fire(row: sqlite3.Row) -> Fire:
    return Fire(id=row["id"], schedule=row["schedule"], due_at=row["due_at"], kind=row["kind"],
                outcome=row["outcome"], started_at=row["started_at"], finished_at=row["finished_at"],
                execution_id=row["execution_id"], message=row["message"],
                notifications=tuple(NotificationResult.from_json(n) for n in loads(row["notifications"], [])))


def _bump(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE schedule_changes SET version = version + 1 WHERE id = 1")


class ScheduleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- definitions -------------------------------------------------------------------------------
    async def version(self) -> int:
        row = await self.db.fetchone("SELECT version FROM schedule_changes WHERE id = 1")
        return int(row[0]) if row else 0

    async def all(self) -> list[Schedule]:
        rows = await self.db.fetchall(f"SELECT {', '.join(_COLUMNS)} FROM schedules ORDER BY name")
        return [_schedule(r) for r in rows]

    async def get(self, name: str) -> Schedule | None:
        row = await self.db.fetchone(f"SELECT {', '.join(_COLUMNS)} FROM schedules WHERE name = ?", (name,))
        return _schedule(row) if row else None

    async def require(self, name: str) -> Schedule:
        """The schedule, or InvalidInput (exit 2) naming close matches."""
        found = await self.get(name)
        if found is None:
            import difflib

            names = [r[0] for r in await self.db.fetchall("SELECT name FROM schedules ORDER BY name")]
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
            hint = f"; did you mean: {', '.join(close)}?" if close else (
                f"; known: {', '.join(names[:10])}" if names else " (there are no schedules yet)")
            raise InvalidInput(f"no schedule named {name!r}{hint}")
        return found

    async def add(self, schedule: Schedule) -> None:
        """Insert a new schedule; InvalidInput when the name is taken (nothing written)."""
        placeholders = ", ".join("?" for _ in _COLUMNS)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM schedules WHERE name = ?", (schedule.name,)).fetchone():
                raise InvalidInput(f"a schedule named {schedule.name!r} already exists "
                                   f"(change it with `igtk schedule edit {schedule.name}`)")
            conn.execute(f"INSERT INTO schedules ({', '.join(_COLUMNS)}) VALUES ({placeholders})", _row(schedule))
            _bump(conn)

        await self.db.write(write)

    async def replace(self, schedule: Schedule, *, handled_from: float | None = None) -> None:
        """Store a changed definition. `last_handled` is the scheduler's and is kept, unless
        `handled_from` is given (a new expression, zone, or a schedule enabled again): then it
        becomes at least that instant, so no time before the change is caught up as missed."""
        columns = [c for c in _COLUMNS if c not in ("name", "created_at", "last_handled")]
        values = dict(zip(_COLUMNS, _row(schedule), strict=True))

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT last_handled FROM schedules WHERE name = ?", (schedule.name,)).fetchone()
            if row is None:
                raise InvalidInput(f"no schedule named {schedule.name!r}")
            handled = row[0] if handled_from is None else max(row[0], handled_from)
            conn.execute(f"UPDATE schedules SET {', '.join(f'{c} = ?' for c in columns)}, last_handled = ? "
                         "WHERE name = ?", (*(values[c] for c in columns), handled, schedule.name))
            _bump(conn)

        await self.db.write(write)

    async def delete(self, name: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM schedule_fires WHERE schedule = ?", (name,))
            gone = conn.execute("DELETE FROM schedules WHERE name = ?", (name,)).rowcount > 0
            if gone:
                _bump(conn)
            return gone

        return await self.db.write(write)

    # -- fires ---------------------------------------------------------------------------------------
    async def record_fires(self, fires: Sequence[Fire], *, last_handled: Sequence[tuple[str, float]] = (),
                           expected: dict[str, float] | None = None) -> set[str]:
        """New fire rows and the schedules' last handled instants, in one transaction.

        With `expected` (each schedule's last_handled as the caller read it), moving last_handled is
        a compare-and-set: a schedule another agent sharing the database handled meanwhile is not
        claimed, and its fires are not recorded (that agent fires them). Returns the schedules claimed.
        """
        from igtk_tui.store.owner import ProcessIdentity

        columns = (*_FIRE_COLUMNS, "owner_host", "owner_pid", "owner_start")
        placeholders = ", ".join("?" for _ in columns)
        moving = {name for name, _ in last_handled}
        me = ProcessIdentity.current()

        def write(conn: sqlite3.Connection) -> set[str]:
            claimed: set[str] = set()
            for name, instant in last_handled:
                before = (expected or {}).get(name)
                if before is None:
                    cur = conn.execute("UPDATE schedules SET last_handled = ? WHERE name = ?", (instant, name))
                else:
                    cur = conn.execute("UPDATE schedules SET last_handled = ? WHERE name = ? AND last_handled = ?",
                                       (instant, name, before))
                if cur.rowcount:
                    claimed.add(name)
            for f in fires:
                if f.schedule in moving and f.schedule not in claimed:
                    continue
                conn.execute(f"INSERT INTO schedule_fires ({', '.join(columns)}) VALUES ({placeholders})",
                             (f.id, f.schedule, f.due_at, f.kind, f.outcome, f.started_at, f.finished_at,
                              f.execution_id, f.message, dumps([n.to_json() for n in f.notifications]),
                              me.host, me.pid, me.start))
            return claimed

        return await self.db.write(write)

    async def update_fire(self, fire_id: str, **changes: Any) -> None:
        unknown = set(changes) - set(_FIRE_UPDATABLE)
        if unknown:
            raise ValueError(f"fire columns not updatable: {sorted(unknown)}")
        if "notifications" in changes:
            changes["notifications"] = dumps([n.to_json() for n in changes["notifications"]])
        if "message" in changes and changes["message"] is not None:
            from igtk_tui import redact

            changes["message"] = redact.scrub(str(changes["message"]))
        names = list(changes)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(f"UPDATE schedule_fires SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                         (*(changes[n] for n in names), fire_id))

        await self.db.write(write)

    async def prune_fires(self, name: str, keep: int = KEEP_FIRES) -> None:
        """Keep the newest `keep` fires of a schedule."""
        await self.db.write(lambda c: c.execute(
            "DELETE FROM schedule_fires WHERE schedule = ? AND due_at < (SELECT due_at FROM schedule_fires "
            "WHERE schedule = ? ORDER BY due_at DESC LIMIT 1 OFFSET ?)", (name, name, keep - 1)))

    async def fires(self, name: str, limit: int = 20) -> list[Fire]:
        rows = await self.db.fetchall(f"SELECT {', '.join(_FIRE_COLUMNS)} FROM schedule_fires WHERE schedule = ? "
                                      "ORDER BY due_at DESC, started_at DESC LIMIT ?", (name, limit))
        return [_fire(r) for r in rows]

    async def fire(self, fire_id: str) -> Fire | None:
        row = await self.db.fetchone(f"SELECT {', '.join(_FIRE_COLUMNS)} FROM schedule_fires WHERE id = ?",
                                     (fire_id,))
        return _fire(row) if row else None

    async def last_fires(self) -> dict[str, Fire]:
        """The newest fire of every schedule (for `schedule list` and the TUI)."""
        rows = await self.db.fetchall(
            f"SELECT {', '.join('f.' + c for c in _FIRE_COLUMNS)} FROM schedule_fires f "
            "JOIN (SELECT schedule, MAX(due_at) AS due FROM schedule_fires GROUP BY schedule) m "
            "ON f.schedule = m.schedule AND f.due_at = m.due")
        out: dict[str, Fire] = {}
        for row in rows:
            fire = _fire(row)
            current = out.get(fire.schedule)
            if current is None or (fire.started_at or 0) > (current.started_at or 0):
                out[fire.schedule] = fire
        return out

    async def close_abandoned_fires(self, message: str) -> int:
        """Fires a dead agent left pending/queued/running: recorded `interrupted`. Only the fires of
        agents found dead from here (on this host) are closed: with a shared PostgreSQL history the
        other agents' fires in flight are theirs."""
        from igtk_tui.store.owner import ProcessIdentity, owner_alive

        me = ProcessIdentity.current()
        marks = ", ".join("?" for _ in LIVE_FIRE_OUTCOMES)

        def write(conn: sqlite3.Connection) -> int:
            rows = conn.execute(f"SELECT id, owner_host, owner_pid, owner_start FROM schedule_fires "
                                f"WHERE outcome IN ({marks})", LIVE_FIRE_OUTCOMES).fetchall()
            dead = [r["id"] for r in rows
                    if r["owner_pid"] is None or not owner_alive(r["owner_host"], r["owner_pid"], r["owner_start"], me)]
            for fire_id in dead:
                conn.execute("UPDATE schedule_fires SET outcome = 'interrupted', message = ? WHERE id = ?",
                             (message, fire_id))
            return len(dead)

        return await self.db.write(write)
