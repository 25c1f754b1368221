"""Process-wide limits on costly concurrent work, one semaphore per event loop.

A hundred executions started together must not run a hundred interpreters or
hold a hundred gateway requests in flight at once: the event loop would take
turns among all of them and a key press would wait behind every turn.
"""

from __future__ import annotations

import asyncio
import os
import weakref

_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary())


def slots(name: str, limit: int | None) -> asyncio.Semaphore:
    """The running loop's semaphore for `name`, made with `limit` (None or 0: the CPU count)
    the first time it is asked for."""
    loop = asyncio.get_running_loop()
    per_loop = _SLOTS.setdefault(loop, {})
    found = per_loop.get(name)
    if found is None:
        found = per_loop[name] = asyncio.Semaphore(limit or os.cpu_count() or 2)
    return found
