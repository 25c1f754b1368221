"""The TUI's one link to the agent: every execution runs there, and this shows them.

Why the TUI runs nothing itself: an execution must outlive the terminal (SIGHUP, a
killed SSH link, a TUI crash, `q`). So the TUI starts runs in the agent (started on
demand, as `igtk run --detach` does) and follows every live one: each SSE event is
turned back into the engine's typed event (agent/wire.py) and applied to an
ExecutionView as the in-process bus once did, so the panes, the log widget and the
debug-pause screen need no second path. Controls go through agent/remote.py.
No widget is touched here: the feed runs as an App worker and only updates view models.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from textual.notifications import SeverityLevel

from igtk_tui.tui.viewmodel import ExecutionView

POLL = 1.0  # seconds between looks for executions started elsewhere (another TUI, run --detach)


class AgentFeed:
    def __init__(self, service: Any, runtime: Any, notify: Callable[[str, SeverityLevel], None],
                 answered: Callable[[str], object] = lambda state: None) -> None:
        from igtk_tui.agent.location import AgentLocation

        self.service = service
        self.paths = runtime.paths
        self.env = dict(runtime.env)  # an agent this TUI starts gets its IGTK_HOME, settings and vault backend
        self.location = AgentLocation.of(self.paths)
        self.notify = notify  # (text, severity)
        self.client: Any = None
        self.announced = False  # "N running in the agent" is said once, at the first look
        self.answered = answered  # called once: "answered" (what runs there is known) or "unavailable"
        self._first_look = True
        self._awaiting: set[str] | None = None  # runs of the first listing not shown yet
        self._wake = asyncio.Event()
        self._spawning = asyncio.Lock()
        self._following: dict[str, asyncio.Task[None]] = {}

    # -- what the launcher and the vault box call -----------------------------------------------
    async def ensure(self) -> Any:
        """A client to the agent of this state root, started first when none runs."""
        await asyncio.to_thread(_load_client)
        from igtk_tui.agent.client import AsyncAgentClient, check_version, spawn

        async with self._spawning:
            if not self.location.alive():
                await asyncio.to_thread(spawn, self.location, env=self.env)
            if self.client is None:
                self.client = AsyncAgentClient(self.location)
            check_version(await self.client.request("GET", "/v1/agent"), self.location)
        self._wake.set()
        return self.client

    async def start(self, spec: dict[str, Any]) -> str:
        """Start an execution in the agent and follow it at once; returns its id."""
        from igtk_tui.agent import wire

        client = await self.ensure()
        body = json.loads(wire.dumps(spec))  # parameter values as JSON (paths and the like as text)
        started = await client.request("POST", "/v1/executions", body)
        self.service.started_here.add(str(started["id"]))
        self.follow(str(started["id"]))
        return str(started["id"])

    async def vault_state(self) -> dict[str, Any]:
        client = await self.ensure()
        return dict((await client.request("GET", "/v1/agent")).get("vault") or {})

    async def unlock_vault(self, passphrase: str) -> dict[str, Any]:
        client = await self.ensure()
        return dict(await client.request("POST", "/v1/vault/unlock", {"passphrase": passphrase}))

    async def cancel(self, execution_ids: list[str]) -> None:
        client = await self.ensure()
        for execution_id in execution_ids:
            try:
                await client.control(execution_id, "cancel")
            except Exception:  # noqa: BLE001 - it ended meanwhile: nothing left to cancel
                pass

    def follow(self, execution_id: str) -> None:
        if execution_id not in self._following:
            self._following[execution_id] = asyncio.create_task(self._follow(execution_id))

    # -- the worker -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Follow the agent whenever it runs; say when it is lost, and when it comes back."""
        await asyncio.to_thread(_load_client)
        from igtk_tui.agent.client import AgentGone, AsyncAgentClient, check_version
        from igtk_tui.errors import ServiceUnavailable

        lost = False
        try:
            while True:
                if not self.location.alive():
                    self._looked("answered")  # no agent: nothing runs there
                    if lost or self.service.active:
                        self.service.agent_lost()
                    if lost:
                        self.notify("lost the agent; its runs are recorded interrupted (r resumes one)", "error")
                        lost = False
                    await self._wait()
                    continue
                try:
                    if self.client is None:
                        self.client = AsyncAgentClient(self.location)
                    check_version(await self.client.request("GET", "/v1/agent"), self.location)
                    if lost:
                        self.notify("the agent answers again", "information")
                        lost = False
                    while True:
                        listing = await self.client.request("GET", "/v1/executions")
                        live = listing["executions"]
                        if not self.announced and live:
                            self.notify(f"{len(live)} execution(s) running in the agent: they are in the "
                                        "executions list", "information")
                        self.announced = True
                        for item in live:
                            self.follow(item["id"])
                        if self._first_look and self._awaiting is None:
                            self._awaiting = {str(item["id"]) for item in live}
                            self._shown(None)  # answered once each listed run is shown
                        await self._wait()
                except AgentGone:
                    if not self.location.alive():
                        self._looked("answered")  # gone: its runs are recorded interrupted, none goes on
                    if not lost and self.location.alive():
                        self.notify("lost the agent; reconnecting", "warning")
                    lost = True
                    await self._wait()
                except ServiceUnavailable as exc:  # another version: say what to do, once
                    self._looked("unavailable")
                    self.notify(str(exc), "error")
                    return
        finally:
            await self.close()

    def _shown(self, execution_id: str | None) -> None:
        """A run of the first listing is shown (or ended unseen): the status counts it now."""
        if self._awaiting is not None:
            self._awaiting.discard(execution_id or "")
            if not self._awaiting:
                self._looked("answered")

    def _looked(self, state: str) -> None:
        if self._first_look:
            self._first_look = False
            self.answered(state)

    async def _wait(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), POLL)
        except TimeoutError:
            pass
        self._wake.clear()

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
                            self._shown(execution_id)
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
            self._shown(execution_id)


def _load_client() -> None:
    """httpx and the agent client, imported in a thread: ~0.1 s the keys would otherwise wait."""
    import igtk_tui.agent.client  # noqa: F401
