"""One execution's events as a Server-Sent Events stream (`GET /v1/executions/{id}/events`):
the snapshot first, then each event as it comes, in batches when they queue up; a comment on a
quiet stream so that a dead client is noticed; `overflow` when the client fell too far behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from igtk_tui.agent import wire
from igtk_tui.agent.hub import OVERFLOW, LiveExecution

KEEPALIVE = 15.0  # seconds between SSE comments on a quiet stream (a dead client is noticed)
STREAM_BATCH = 500  # events written to a stream at once when they queue up


async def event_stream(live: LiveExecution, snapshot: dict[str, Any],
                       queue: asyncio.Queue[dict[str, Any] | None]) -> AsyncIterator[str]:
    """The stream of a watcher `live.watch()` registered (`snapshot`, `queue`); it unwatches at the end."""
    try:
        yield f"event: snapshot\ndata: {wire.dumps(snapshot)}\n\n"
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), KEEPALIVE)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            chunk = []
            while data is not None and data is not OVERFLOW:
                chunk.append(f"event: {data['event']}\ndata: {wire.dumps(data)}\n\n")
                if queue.empty() or len(chunk) >= STREAM_BATCH:
                    break
                data = queue.get_nowait()
            if chunk:  # what is queued goes out in one write
                yield "".join(chunk)
            if data is None:
                yield "event: end\ndata: {}\n\n"
                return
            if data is OVERFLOW:  # the client fell too far behind: it reconnects for a fresh snapshot
                yield "event: overflow\ndata: {}\n\n"
                return
    finally:
        live.unwatch(queue)

