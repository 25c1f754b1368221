"""One execution per gateway at a time, for schedules with `gateway_lock` (never two against
the same gateway, whoever started them).

THE ONE CALL: the scheduler's fire path calls `acquire_gateway_lock` and nothing else, and
releases the lease when the execution has ended. Today the lock is this agent's own:

- claims held by this agent's fires (an in-process table, so two fires of this agent never
  both pass the check),
- live executions of this agent (`igtk run --detach`, the TUI through the agent),
- rows of the store that are running or paused against the same gateway URL and whose owner
  process is alive (an `igtk run` in a terminal, a TUI's own run).

The store rows are a look, not a lock: a terminal `igtk run` started in the same instant may
still overlap. A store-backed lock shared by every process (the fleet work) replaces the body
of `acquire_gateway_lock` and `GatewayLease.release`; their signatures are what the scheduler
relies on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from igtk_tui.engine.events import LIVE_STATUSES

log = logging.getLogger(__name__)

POLL = 1.0  # seconds between looks while waiting for a busy gateway
_CLAIMS: dict[str, str] = {}  # normalised gateway URL -> the fire holding it (this process)


class GatewayBusy(Exception):
    """The gateway runs another execution and the caller chose not to wait; says which."""


def gateway_key(url: str) -> str:
    return url.strip().rstrip("/").lower()


@dataclass
class GatewayLease:
    gateway_url: str
    holder: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            if _CLAIMS.get(gateway_key(self.gateway_url)) == self.holder:
                del _CLAIMS[gateway_key(self.gateway_url)]


async def busy_with(hub: Any, store: Any, gateway_url: str) -> str | None:
    """What keeps the gateway busy now (a readable reason), or None when it is free."""
    key = gateway_key(gateway_url)
    if key in _CLAIMS:
        return f"fire {_CLAIMS[key][:8]} of this agent holds it"
    for live in hub.running():
        url = getattr(live.execution, "gateway_url", None)
        if url and gateway_key(url) == key:
            return f"execution {live.id[:8]} ({live.playbook}) runs against it"
    if store is not None:
        from igtk_tui.store.owner import ProcessIdentity, owner_alive

        marks = ", ".join("?" for _ in LIVE_STATUSES)
        rows = await store.db.fetchall(
            f"SELECT id, playbook, gateway_url, host, owner_pid, owner_start FROM executions "
            f"WHERE status IN ({marks}) AND gateway_url IS NOT NULL", tuple(s.value for s in LIVE_STATUSES))
        me = ProcessIdentity.current()
        for row in rows:
            if gateway_key(row["gateway_url"]) == key and owner_alive(row["host"], row["owner_pid"],
                                                                       row["owner_start"], me):
                return f"execution {row['id'][:8]} ({row['playbook']}, pid {row['owner_pid']}) runs against it"
    return None


async def acquire_gateway_lock(hub: Any, store: Any, gateway_url: str, *, holder: str, wait: bool,
                               on_wait: Callable[[str], Any] | None = None, poll: float = POLL) -> GatewayLease:
    """A lease on `gateway_url` for `holder`; waits while it is busy (`wait`), else GatewayBusy."""
    told = False
    while True:
        reason = await busy_with(hub, store, gateway_url)
        key = gateway_key(gateway_url)
        if reason is None and key not in _CLAIMS:  # checked again after the await: no claim came in between
            _CLAIMS[key] = holder
            return GatewayLease(gateway_url, holder)
        reason = reason or f"fire {_CLAIMS[key][:8]} of this agent holds it"
        if not wait:
            raise GatewayBusy(f"gateway {gateway_url} is busy: {reason}")
        if not told:
            told = True
            log.info("fire %s waits for gateway %s: %s", holder[:8], gateway_url, reason)
            if on_wait is not None:
                result = on_wait(reason)
                if asyncio.iscoroutine(result):
                    await result
        await asyncio.sleep(poll)
