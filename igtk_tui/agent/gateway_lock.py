"""A schedule's gateway lock: the store's gateway lock (store/locks.py), taken for a fire.

One mechanism for everyone: fleet runs, `igtk run --lock` and schedules with
`gateway_lock` all take the same store-backed lock, so two of them never run
against one gateway at once, whichever process or host started them; the lock
also waits while a run that took no lock (a plain `igtk run`, the TUI's) is live
against that gateway. The fire takes it under its own id before its execution
exists, then hands it to the execution it started (GatewayLock.hand_to).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any


async def acquire_gateway_lock(store: Any, gateway_url: str, *, holder: str, playbook: str | None, wait: bool,
                               on_wait: Callable[[str], Awaitable[None]] | None = None) -> Any:
    """The store's lock on `gateway_url` for the fire `holder`. Busy: raises store.locks.GatewayBusy
    unless `wait`, else awaits `on_wait(who holds it)` once and waits for as long as it takes."""
    from igtk_tui.store.locks import GatewayBusy

    try:
        return await store.locks.acquire(gateway_url, holder, playbook=playbook, wait=0.0)
    except GatewayBusy as busy:
        if not wait:
            raise
        if on_wait is not None:
            await on_wait(busy.holder.describe())
    return await store.locks.acquire(gateway_url, holder, playbook=playbook, wait=math.inf)


async def start_locked(hub: Any, spec: Any, prepared: Any, *, wait: float, fleet_run_id: str | None = None) -> Any:
    """Take the store's lock of the run's gateway (waiting up to `wait` seconds; busy raises
    store.locks.GatewayBusy, exit 3 naming the holder), start the run through the hub, hand the
    lock to its execution, and release it when the execution ends. Returns the LiveExecution."""
    import asyncio
    import uuid

    from igtk_tui.errors import InvalidInput

    url = prepared.request.gateway_url
    if not url:
        raise InvalidInput("--lock: this run names no gateway (give --gateway URL, -c CREDENTIAL or "
                           "-p gateway_url=URL)")
    store = await hub.runtime.open_store()
    lock = await store.locks.acquire(url, f"agent-{uuid.uuid4()}", playbook=prepared.request.playbook.name,
                                     fleet_run_id=fleet_run_id, wait=wait)
    try:
        live = await hub.start(spec, prepared)
        await lock.hand_to(live.id, live.playbook)
    except BaseException:
        await asyncio.shield(lock.release())
        raise

    async def release_at_end() -> None:
        try:
            if live.task is not None:
                await asyncio.wait([live.task])
        finally:
            await asyncio.shield(lock.release())

    live.lock_task = asyncio.create_task(release_at_end(), name=f"lock:{live.id[:8]}")
    return live
