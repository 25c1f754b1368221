"""Gateway locks: at most one execution touches a gateway at a time, whoever started it.

Why in the store and not a lock file: every igtk process that runs executions (a fleet run,
`igtk run --lock`, the TUI, the agent, a schedule) already shares the history database, and
with a PostgreSQL store it is shared across hosts too. One row per gateway, keyed by
`values.gateway_key(url)`; taking it is one `INSERT ... ON CONFLICT (gateway) DO NOTHING`
(portable SQL): whoever inserted the row holds the lock.

The holder names its execution and its process (host, pid, process start time, as owner.py
judges executions). A lock is stale, and taken over in the same transaction, when its holder
process is gone (same host) or its execution is recorded as finished; crash recovery
(recovery.py) frees dead holders' locks at every start. Releasing deletes the row only if
this execution still holds it.

The API for callers (fleet runs now, schedules later):

    lock = await store.locks.acquire(url, execution_id, playbook="Module upgrade", wait=30)
    try: ... finally: await lock.release()

`acquire` raises GatewayBusy (exit 3, naming the holder) when the lock is still held after
`wait` seconds (0: refuse at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from igtk_tui.engine.events import LIVE_STATUSES
from igtk_tui.errors import ServiceUnavailable
from igtk_tui.store.db import Conn, Database
from igtk_tui.store.owner import ProcessIdentity, owner_alive
from igtk_tui.timefmt import duration
from igtk_tui.values import gateway_key

POLL_INTERVAL = 0.25  # how often a waiting acquire asks again (a product behaviour, not a test wait)
_LIVE = tuple(s.value for s in LIVE_STATUSES)
_INSERT = """
INSERT INTO gateway_locks (gateway, url, execution_id, playbook, fleet_run_id, holder_host, holder_user,
    holder_pid, holder_start, acquired_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (gateway) DO NOTHING"""


@dataclass(frozen=True)
class LockHolder:
    """Who holds a gateway's lock (one row of gateway_locks)."""

    gateway: str
    url: str
    execution_id: str
    playbook: str | None
    fleet_run_id: str | None
    host: str
    user: str | None
    pid: int
    start: str | None
    acquired_at: float

    @classmethod
    def from_row(cls, row: Any) -> LockHolder:
        return cls(row["gateway"], row["url"], row["execution_id"], row["playbook"], row["fleet_run_id"],
                   row["holder_host"], row["holder_user"], int(row["holder_pid"]), row["holder_start"],
                   float(row["acquired_at"]))

    def describe(self, now: float | None = None) -> str:
        """`execution 3f2a9c1b (Module upgrade) on jump-01, pid 4242, held for 2m05s`."""
        held = max(0.0, (now if now is not None else time.time()) - self.acquired_at)
        what = f" ({self.playbook})" if self.playbook else ""
        fleet = f", fleet run {self.fleet_run_id[:8]}" if self.fleet_run_id else ""
        return (f"execution {self.execution_id[:8]}{what} on {self.host}, pid {self.pid}{fleet}, "
                f"held for {duration(held)}")

    def to_json(self) -> dict[str, Any]:
        return {"gateway": self.gateway, "url": self.url, "execution_id": self.execution_id,
                "playbook": self.playbook, "fleet_run_id": self.fleet_run_id, "host": self.host,
                "user": self.user, "pid": self.pid, "acquired_at": self.acquired_at}


class GatewayBusy(ServiceUnavailable):
    """Another execution holds the gateway's lock (exit 3)."""

    def __init__(self, url: str, holder: LockHolder, waited: float) -> None:
        waited_text = f" after waiting {duration(waited)}" if waited > 0 else ""
        super().__init__(f"gateway {url} is busy{waited_text}: locked by {holder.describe()}; "
                         "wait for it (--lock-wait SECONDS) or run later")
        self.url = url
        self.holder = holder


@dataclass
class GatewayLock:
    """A held lock; `release()` once the execution has finished (safe to call twice)."""

    repo: LockRepository
    gateway: str
    url: str
    execution_id: str
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            await self.repo.release(self.url, self.execution_id)

    async def hand_to(self, execution_id: str, playbook: str | None = None) -> None:
        """The lock taken for a placeholder (a schedule's fire) now names the execution it started,
        so holders are described, and judged stale, by their execution."""
        old, self.execution_id = self.execution_id, execution_id
        await self.repo.db.write(lambda c: c.execute(
            "UPDATE gateway_locks SET execution_id = ?, playbook = COALESCE(?, playbook) "
            "WHERE gateway = ? AND execution_id = ?", (execution_id, playbook, self.gateway, old)))


class LockRepository:
    def __init__(self, db: Database, owner: ProcessIdentity | None = None) -> None:
        self.db = db
        self.owner = owner or ProcessIdentity.current()

    async def acquire(self, url: str, execution_id: str, *, playbook: str | None = None,
                      fleet_run_id: str | None = None, wait: float = 0.0,
                      on_wait: Callable[[LockHolder], None] | None = None) -> GatewayLock:
        """Take the lock of the gateway at `url` for `execution_id`, waiting up to `wait` seconds;
        `on_wait(holder)` is called once when the lock is found busy and waiting begins."""
        key = gateway_key(url)
        loop = asyncio.get_running_loop()
        started = loop.time()
        told = False
        while True:
            holder = await self.db.write(lambda c: self._try(c, key, url, execution_id, playbook, fleet_run_id))
            if holder is None:
                return GatewayLock(self, key, url, execution_id)
            waited = loop.time() - started
            if waited >= wait:
                raise GatewayBusy(url, holder, waited if wait > 0 else 0.0)
            if on_wait is not None and not told:
                told = True
                on_wait(holder)
            await asyncio.sleep(min(POLL_INTERVAL, wait - waited))

    def _try(self, c: Conn, key: str, url: str, execution_id: str, playbook: str | None,
             fleet_run_id: str | None) -> LockHolder | None:
        """One transaction: insert, or take over a stale lock; the holder when it is held."""
        me = self.owner
        row = (key, url, execution_id, playbook, fleet_run_id, me.host, me.user, me.pid, me.start, time.time())
        if c.execute(_INSERT, row).rowcount:
            return self._unless_running(c, key, execution_id)
        found = c.execute("SELECT * FROM gateway_locks WHERE gateway = ?", (key,)).fetchone()
        if found is None:  # released between the two statements (another host's process)
            return self._unless_running(c, key, execution_id) if c.execute(_INSERT, row).rowcount \
                else self._holder(c, key)
        holder = LockHolder.from_row(found)
        if holder.execution_id == execution_id:
            return None  # ours already (a retried acquire)
        if self._stale(c, holder):
            c.execute("DELETE FROM gateway_locks WHERE gateway = ? AND execution_id = ?", (key, holder.execution_id))
            return self._unless_running(c, key, execution_id) if c.execute(_INSERT, row).rowcount \
                else self._holder(c, key)
        return holder

    def _unless_running(self, c: Conn, key: str, execution_id: str) -> LockHolder | None:
        """The lock was inserted: give it back when an execution that took no lock (a plain run,
        the TUI's) is live against the same gateway, so a lock-taker never overlaps anything
        recorded, whoever started it. That execution is returned as the holder to wait for."""
        marks = ", ".join("?" for _ in _LIVE)
        rows = c.execute(
            f"SELECT id, playbook, gateway_url, host, user, owner_pid, owner_start, fleet_run_id, started_at "
            f"FROM executions WHERE status IN ({marks}) AND gateway_url IS NOT NULL AND id <> ?",
            (*_LIVE, execution_id)).fetchall()
        for found in rows:
            if gateway_key(found["gateway_url"]) != key or not owner_alive(
                    found["host"], found["owner_pid"], found["owner_start"], self.owner):
                continue
            c.execute("DELETE FROM gateway_locks WHERE gateway = ? AND execution_id = ?", (key, execution_id))
            return LockHolder(key, found["gateway_url"], found["id"], found["playbook"], found["fleet_run_id"],
                              found["host"] or "?", found["user"], int(found["owner_pid"] or 0),
                              found["owner_start"], float(found["started_at"]))
        return None

    @staticmethod
    def _holder(c: Conn, key: str) -> LockHolder | None:
        found = c.execute("SELECT * FROM gateway_locks WHERE gateway = ?", (key,)).fetchone()
        return LockHolder.from_row(found) if found else None

    def _stale(self, c: Conn, holder: LockHolder) -> bool:
        """The holder process is gone (this host), or its execution is recorded as finished."""
        if not owner_alive(holder.host, holder.pid, holder.start, self.owner):
            return True
        status = c.execute("SELECT status FROM executions WHERE id = ?", (holder.execution_id,)).fetchone()
        return status is not None and status[0] not in _LIVE

    async def release(self, url: str, execution_id: str) -> bool:
        """Drop the lock if `execution_id` still holds it; True when a row was removed."""
        key = gateway_key(url)
        count = await self.db.write(lambda c: c.execute(
            "DELETE FROM gateway_locks WHERE gateway = ? AND execution_id = ?", (key, execution_id)).rowcount)
        return bool(count)

    async def holder(self, url: str) -> LockHolder | None:
        row = await self.db.fetchone("SELECT * FROM gateway_locks WHERE gateway = ?", (gateway_key(url),))
        return LockHolder.from_row(row) if row else None

    async def held(self) -> list[LockHolder]:
        rows = await self.db.fetchall("SELECT * FROM gateway_locks ORDER BY acquired_at, gateway")
        return [LockHolder.from_row(r) for r in rows]


def free_dead_holders(c: Conn, me: ProcessIdentity) -> int:
    """Crash recovery: delete the locks whose holder process on this host is gone."""
    rows = c.execute("SELECT gateway, execution_id, holder_host, holder_pid, holder_start FROM gateway_locks"
                     ).fetchall()
    freed = 0
    for row in rows:
        if not owner_alive(row["holder_host"], row["holder_pid"], row["holder_start"], me):
            freed += c.execute("DELETE FROM gateway_locks WHERE gateway = ? AND execution_id = ?",
                               (row["gateway"], row["execution_id"])).rowcount
    return freed

