"""The last answer of each inventory gateway to `igtk inventory check`: state and version.

Keyed by the gateway's URL (`values.gateway_key`), not its inventory name, so a renamed
entry keeps its last known state and two inventories naming one gateway agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from igtk_tui.store.codec import scrub
from igtk_tui.store.db import Conn, Database
from igtk_tui.timefmt import iso_utc
from igtk_tui.values import gateway_key

_UPSERT = """
INSERT INTO gateway_checks (gateway, name, url, state, version, platform, error, elapsed, checked_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (gateway) DO UPDATE SET name = excluded.name, url = excluded.url, state = excluded.state,
    version = excluded.version, platform = excluded.platform, error = excluded.error,
    elapsed = excluded.elapsed, checked_at = excluded.checked_at"""


@dataclass(frozen=True)
class GatewayCheck:
    """What one gateway answered: `state` is StatusPing's (RUNNING, STARTING, FAULTED...) or
    UNREACHABLE / ERROR when it did not answer as a gateway."""

    name: str
    url: str
    state: str
    version: str | None
    platform: str | None
    error: str | None
    elapsed: float | None
    checked_at: float

    @property
    def ok(self) -> bool:
        return self.state == "RUNNING"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "state": self.state, "version": self.version,
                "platform": self.platform, "error": self.error, "elapsed": self.elapsed,
                "checked_at": iso_utc(self.checked_at)}


class CheckRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, checks: Sequence[GatewayCheck]) -> None:
        rows = [(gateway_key(c.url), c.name, c.url, c.state, c.version, c.platform, scrub(c.error), c.elapsed,
                 c.checked_at) for c in checks]

        def write(c: Conn) -> None:
            c.executemany(_UPSERT, rows)

        await self.db.write(write)

    async def last(self) -> dict[str, GatewayCheck]:
        """Every recorded check by gateway key."""
        rows = await self.db.fetchall("SELECT * FROM gateway_checks")
        return {r["gateway"]: GatewayCheck(r["name"], r["url"], r["state"], r["version"], r["platform"], r["error"],
                                           r["elapsed"], r["checked_at"]) for r in rows}
