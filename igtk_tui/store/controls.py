"""Controls for an execution another agent runs (several agents sharing one PostgreSQL history).

Why a table and not a socket between hosts: agents never listen on the network (their API is a
0600 Unix socket), and every agent already reaches the shared database. A control sent on host A
for an execution host B's agent runs is one row naming B's agent (host and pid, as the execution
records its owner); B's agent polls for rows addressed to it, CLAIMS one (an UPDATE that only one
writer wins, so a request withdrawn meanwhile is never applied), applies it exactly as a local
control, and writes the answer; A's agent waits for the answer and deletes the row.

A request nobody claims within the requester's timeout is withdrawn (deleted while unclaimed):
it can never be applied late.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from igtk_tui.store.codec import dumps, loads
from igtk_tui.store.db import Conn, Database


@dataclass(frozen=True)
class ControlRequest:
    id: str
    execution_id: str
    verb: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ControlAnswer:
    status: int  # HTTP-like: 200 applied, 404 not live there, 409 not possible now
    answer: Any  # the summary (or the breakpoint state), or {"error": message}


class ControlRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def send(self, execution_id: str, owner_host: str, owner_pid: int, verb: str, body: dict[str, Any],
                   requested_by: str) -> str:
        request_id = str(uuid.uuid4())
        await self.db.write(lambda c: c.execute(
            "INSERT INTO execution_controls (id, execution_id, owner_host, owner_pid, verb, body, requested_at, "
            "requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (request_id, execution_id, owner_host, int(owner_pid), verb, dumps(body), time.time(), requested_by)))
        return request_id

    async def answer_of(self, request_id: str) -> tuple[bool, ControlAnswer | None]:
        """(claimed, answer): whether the owner has taken it, and its answer once written."""
        row = await self.db.fetchone("SELECT claimed_at, answered_at, answer_status, answer FROM execution_controls "
                                     "WHERE id = ?", (request_id,))
        if row is None:
            return False, None
        answer = ControlAnswer(int(row["answer_status"]), loads(row["answer"], {})) \
            if row["answered_at"] is not None else None
        return row["claimed_at"] is not None, answer

    async def withdraw(self, request_id: str) -> bool:
        """Delete the request unless its owner claimed it; True when it is gone unapplied."""
        return bool(await self.db.write(lambda c: c.execute(
            "DELETE FROM execution_controls WHERE id = ? AND claimed_at IS NULL", (request_id,)).rowcount))

    async def forget(self, request_id: str) -> None:
        await self.db.write(lambda c: c.execute("DELETE FROM execution_controls WHERE id = ?", (request_id,)))

    # -- the owning agent ----------------------------------------------------------------------
    async def claim(self, host: str, pid: int) -> list[ControlRequest]:
        """The unclaimed requests addressed to this agent, claimed in one transaction (oldest first)."""
        def write(c: Conn) -> list[ControlRequest]:
            rows = c.execute("SELECT id, execution_id, verb, body FROM execution_controls WHERE owner_host = ? AND "
                             "owner_pid = ? AND claimed_at IS NULL ORDER BY requested_at", (host, pid)).fetchall()
            now = time.time()
            taken = []
            for r in rows:
                if c.execute("UPDATE execution_controls SET claimed_at = ? WHERE id = ? AND claimed_at IS NULL",
                             (now, r["id"])).rowcount:
                    taken.append(ControlRequest(r["id"], r["execution_id"], r["verb"], loads(r["body"], {})))
            return taken

        return await self.db.write(write)

    async def pending(self, host: str, pid: int) -> bool:
        """One cheap read: is anything waiting for this agent?"""
        row = await self.db.fetchone("SELECT 1 FROM execution_controls WHERE owner_host = ? AND owner_pid = ? AND "
                                     "claimed_at IS NULL LIMIT 1", (host, pid))
        return row is not None

    async def answer(self, request_id: str, status: int, answer: Any) -> None:
        await self.db.write(lambda c: c.execute(
            "UPDATE execution_controls SET answered_at = ?, answer_status = ?, answer = ? WHERE id = ?",
            (time.time(), status, dumps(answer), request_id)))
