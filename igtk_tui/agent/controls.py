"""Controls of an execution: applied here when this agent runs it, relayed when another agent does.

Why one `apply` for both: a control that arrives over this agent's socket and one relayed
from another host through the store (store/controls.py) must behave exactly alike (the
same verbs, the same refusals, the same answer). The relay exists only with a PostgreSQL
history; with SQLite an execution not in this agent's hub is simply not live (404).

Relaying: the execution's record names its owner (host, pid); this agent writes a request for
that owner and waits up to RELAY_TIMEOUT for the answer. An owner that does not claim it in
time is said to be not answering (the request is withdrawn, never applied late).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from igtk_tui.agent.hub import CONTROL_VERBS, Hub, LiveExecution
from igtk_tui.errors import InvalidInput

log = logging.getLogger(__name__)

VERBS = (*CONTROL_VERBS, "debug", "breakpoints", "parameters")
RELAY_TIMEOUT = 10.0  # seconds a relayed control waits for the owning agent to take it
ANSWER_TIMEOUT = 30.0  # seconds more for the answer of a control the owner took
INBOX_POLL = 0.2  # seconds between this agent's looks for controls addressed to it (one indexed read)
_POLL_ANSWER = 0.05


def apply(hub: Hub, given: str, verb: str, body: dict[str, Any]) -> tuple[int, Any]:
    """Apply a control to a live execution of this hub: (HTTP status, answer)."""
    try:
        live = hub.find(given)
    except LookupError as exc:
        return 404, {"error": str(exc)}
    except InvalidInput as exc:
        return 400, {"error": str(exc)}
    try:
        return 200, _act(live, verb, body)
    except InvalidInput as exc:
        return 409, {"error": str(exc)}


def _act(live: LiveExecution, verb: str, body: dict[str, Any]) -> Any:
    if verb in CONTROL_VERBS:
        live.control(verb)
    elif verb == "debug":
        live.set_debug(bool(body.get("on")))
    elif verb == "breakpoints":
        step, on = body.get("step"), body.get("on")
        if not isinstance(step, str) or not step:
            raise InvalidInput("`step` (a step id or parent/child path) is required")
        return {"step": step, "on": live.set_breakpoint(step, None if on is None else bool(on))}
    elif verb == "parameters":
        step, params = body.get("step"), body.get("parameters")
        if not isinstance(step, str) or not isinstance(params, dict):
            raise InvalidInput("`step` (text) and `parameters` (an object) are required")
        live.edit_parameters(step, params)
    else:
        raise InvalidInput(f"unknown control {verb!r}; one of {', '.join(VERBS)}")
    return live.summary()


class ControlRelay:
    """Relays controls to the agents that own executions, and applies those sent to this one."""

    def __init__(self, hub: Hub, store: Any) -> None:
        from igtk_tui.store.owner import ProcessIdentity

        self.hub = hub
        self.repo = store.controls
        self.executions = store.executions
        self.me = ProcessIdentity.current()
        self._inbox: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._inbox = asyncio.create_task(self._serve_inbox(), name="igtk-control-inbox")

    async def stop(self) -> None:
        if self._inbox is not None:
            self._inbox.cancel()
            await asyncio.gather(self._inbox, return_exceptions=True)

    # -- the requesting side ----------------------------------------------------------------
    async def forward(self, given: str, verb: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Send the control to the agent that runs `given` (per the shared record)."""
        from igtk_tui.engine.events import LIVE_STATUSES

        try:
            execution_id = await self.executions.resolve_id(given)
        except InvalidInput as exc:
            return 404, {"error": str(exc)}
        row = await self.executions.db.fetchone(
            "SELECT status, host, owner_pid FROM executions WHERE id = ?", (execution_id,))
        if row is None or row["status"] not in {s.value for s in LIVE_STATUSES}:
            status = row["status"] if row is not None else "unknown"
            return 409, {"error": f"execution {execution_id[:8]} is not live ({status}); nothing to {verb}"}
        host, pid = row["host"], row["owner_pid"]
        if host == self.me.host and pid == self.me.pid:
            return 404, {"error": f"no live execution {given!r} in the agent"}
        if verb == "parameters":  # edited values may be secrets, and a relayed request sits in the database
            return 409, {"error": f"parameter edits are not relayed to another host's agent (they may hold secrets): "
                                  f"edit them where execution {execution_id[:8]} runs (host {host})"}
        request_id = await self.repo.send(execution_id, host, int(pid or 0), verb, body,
                                          requested_by=f"{self.me.host}:{self.me.pid}")
        try:
            return await self._await_answer(request_id, execution_id, host, pid)
        finally:
            await self.repo.forget(request_id)

    async def _await_answer(self, request_id: str, execution_id: str, host: str, pid: int) -> tuple[int, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RELAY_TIMEOUT
        claimed = False
        while True:
            claimed, answer = await self.repo.answer_of(request_id)
            if answer is not None:
                return answer.status, answer.answer
            if loop.time() > deadline:
                if not claimed and await self.repo.withdraw(request_id):
                    return 504, {"error": f"the agent running execution {execution_id[:8]} (on host {host}, pid {pid}) "
                                          f"did not answer within {RELAY_TIMEOUT:g} s; the control was not applied. "
                                          "Is that agent running and connected to the database?"}
                if loop.time() > deadline + ANSWER_TIMEOUT:
                    return 504, {"error": f"the agent on host {host} took the control but did not answer within "
                                          f"{RELAY_TIMEOUT + ANSWER_TIMEOUT:g} s; see `igtk show {execution_id[:8]}`"}
            await asyncio.sleep(_POLL_ANSWER)  # waiting for another host's answer through the database

    # -- the owning side ----------------------------------------------------------------------
    async def _serve_inbox(self) -> None:
        while True:
            try:
                if await self.repo.pending(self.me.host, self.me.pid):
                    for request in await self.repo.claim(self.me.host, self.me.pid):
                        status, answer = apply(self.hub, request.execution_id, request.verb, request.body)
                        log.info("relayed %s for execution %s: %s", request.verb, request.execution_id[:8], status)
                        await self.repo.answer(request.id, status, answer)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a database hiccup: look again at the next poll
                log.exception("reading relayed controls failed")
            await asyncio.sleep(INBOX_POLL)  # the inbox's poll of the store (a product behaviour)
