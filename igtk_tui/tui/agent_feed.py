"""The agent's executions in the TUI: every live one shown with its full step state
and log backlog, and controlled from here.

Why the same view models: each SSE event is turned back into the engine's typed
event (agent/wire.py) and applied to an ExecutionView exactly as the in-process
bus does, so the panes, the log widget and the debug-pause screen need no second
path. Controls go through agent/remote.py. Runs of the agent are never cancelled
by `q` or a hang-up of this TUI: it only stops watching them.
No textual import: the feed runs as an App worker and only touches view models.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.notifications import SeverityLevel

from igtk_tui.tui.viewmodel import ExecutionView

POLL = 1.0  # seconds between looks for executions started elsewhere (another TUI, run --detach)


class AgentFeed:
    def __init__(self, service: Any, paths: Any, notify: Callable[[str, SeverityLevel], None]) -> None:
        self.service = service
        self.paths = paths
        self.notify = notify  # (text, severity)
        self.client: Any = None
        self._following: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Follow the agent while it runs; says so when it is lost, and when it comes back."""
        from igtk_tui.agent.client import AgentGone, AsyncAgentClient, check_version
        from igtk_tui.agent.location import AgentLocation
        from igtk_tui.errors import ServiceUnavailable

        location = AgentLocation.of(self.paths)
        if not location.alive():
            return
        self.client = AsyncAgentClient(location)
        first, lost = True, False
        try:
            while True:
                try:
                    check_version(await self.client.request("GET", "/v1/agent"), location)
                    if lost:
                        self.notify("the agent answers again", "information")
                        lost = False
                    while True:
                        listing = await self.client.request("GET", "/v1/executions")
                        live = listing["executions"]
                        if first and live:
                            self.notify(f"{len(live)} execution(s) running in the agent", "information")
                        first = False
                        for item in live:
                            if item["id"] not in self._following:
                                self._following[item["id"]] = asyncio.create_task(self._follow(item["id"]))
                        await asyncio.sleep(POLL)
                except AgentGone as exc:
                    if not location.alive():
                        self.notify(f"lost the agent ({exc}); its runs are recorded interrupted", "error")
                        return
                    if not lost:
                        self.notify(f"lost the agent ({exc}); reconnecting", "warning")
                        lost = True
                    await asyncio.sleep(POLL)
                except ServiceUnavailable as exc:  # another version: say what to do, once
                    self.notify(str(exc), "error")
                    return
        finally:
            await self.close()

    async def close(self) -> None:
        tasks = list(self._following.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    async def _follow(self, execution_id: str) -> None:
        from igtk_tui.agent import wire
        from igtk_tui.agent.client import AgentGone
        from igtk_tui.agent.remote import RemoteExecution

        service = self.service
        remote: RemoteExecution | None = None
        view: ExecutionView | None = None
        last_ts = float("-inf")  # after an overflow, the fresh snapshot is applied only past this
        try:
            while True:
                async for kind, data in self.client.events(execution_id):
                    if kind == "snapshot":
                        items = data["events"]
                        if view is None:
                            summary = data["execution"]
                            remote = RemoteExecution(self.client, execution_id,
                                                     lambda text: self.notify(text, "warning"))
                            view = ExecutionView(execution_id, 0, summary["playbook"],
                                                 playbook_ref=summary.get("playbook_path") or "")
                            service.add_remote(view, remote)
                        items = [i for i in items if float(i.get("ts") or 0) > last_ts]
                    elif kind in ("end", "overflow"):
                        items = []
                    else:
                        items = [data]
                    for item in items:
                        assert remote is not None
                        remote.follow(item)
                        last_ts = max(last_ts, float(item.get("ts") or 0))
                        service.apply_remote(execution_id, wire.decode(item))
                    if kind == "end":
                        return
                    if kind == "overflow":
                        break
                else:
                    return
        except AgentGone:
            return  # run() notices and says so
        finally:
            self._following.pop(execution_id, None)
