"""`igtk attach ID` for an execution this host's agent does not run: followed from its record.

Why: with a shared PostgreSQL history another host's agent may run it (a fleet gateway a worker
took, a schedule that fired there). Its steps are committed one by one, so reading the record
every POLL seconds shows the same progress `igtk run` prints (the lines come from the same
HumanProgress sink, fed with events rebuilt from the rows), a moment behind the engine.
The stdin controls go to the local agent, which relays them to the agent that runs it
(agent/controls.py); without a local agent the execution is followed without controls.
Log lines are not shown (`igtk show ID` has them).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from igtk_tui.errors import EXIT_OK

POLL = 0.5  # seconds between reads of the record (a product behaviour: how far behind it follows)
_ENDED_STEPS = ("completed", "failed", "skipped", "cancelled")


def attach_recorded(runtime: Any, given: str, *, agent: bool) -> int | None:
    """Follow `given` from the history when it is live there; None when it is not live."""
    from igtk_tui.commands.attach import exit_code
    from igtk_tui.engine.events import LIVE_STATUSES

    async def main() -> int | None:
        from igtk_tui.store.session import open_for_command

        try:
            store = await open_for_command(runtime)
            try:
                execution_id = await store.executions.resolve_id(given)
            except Exception:  # noqa: BLE001 - not in the history either: the caller says so
                return None
            detail = await store.executions.get(execution_id, logs=0)
            if detail is None or detail.status not in LIVE_STATUSES:
                return None
            s = detail.summary
            where = f"on host {s.host}, pid {detail.owner_pid}" if s.host else f"pid {detail.owner_pid}"
            controls = ("stdin controls are relayed to it through this host's agent" if agent else
                        "no controls: start this host's agent (`igtk agent start`) to relay them, or run "
                        f"`igtk attach {execution_id[:8]}` {'on ' + s.host if s.host else 'there'}")
            _say(f"igtk: execution {execution_id[:8]} runs {where}, not in this host's agent: following its "
                 f"record in the history ({controls}; Ctrl-C detaches)")
            status = await _follow(runtime, store, execution_id, agent)
            return EXIT_OK if status is None else exit_code(status)
        finally:
            await runtime.close()

    return asyncio.run(main())


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _follow(runtime: Any, store: Any, execution_id: str, agent: bool) -> str | None:
    """Print its progress until it ends (its status) or Ctrl-C (None)."""
    from igtk_tui.sinks.human import HumanProgress

    loop = asyncio.get_running_loop()
    detached = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, detached.set)
    stop_stdin, client = _controls(runtime, execution_id, loop) if agent else (None, None)
    sink = HumanProgress()
    seen: dict[str, str] = {}
    try:
        while not detached.is_set():
            detail = await store.executions.get(execution_id, logs=0)
            for event in _events(detail, seen):
                sink(event)
            if detail.status not in ("pending", "running", "paused"):
                return str(detail.status)
            try:
                await asyncio.wait_for(detached.wait(), POLL)
            except TimeoutError:
                pass
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        if stop_stdin is not None:
            stop_stdin()
        if client is not None:
            await client.aclose()
    short = execution_id[:8]
    _say(f"igtk: detached; execution {short} goes on (`igtk attach {short}` to follow it again)")
    return None


def _controls(runtime: Any, execution_id: str, loop: asyncio.AbstractEventLoop) -> tuple[Any, Any]:
    """The run's stdin controls, sent to the local agent (which relays them)."""
    from igtk_tui.agent.client import AsyncAgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.agent.remote import RemoteExecution
    from igtk_tui.commands import run_controls

    client = AsyncAgentClient(AgentLocation.of(runtime.paths))
    remote = RemoteExecution(client, execution_id, lambda text: _say(f"igtk: {text}"))
    return run_controls.attach(loop, remote, _say), client


def _events(detail: Any, seen: dict[str, str]) -> list[Any]:
    """The events that take a sink from what `seen` recorded (path -> status) to `detail`."""
    from igtk_tui.engine.events import (
        ExecutionFinished,
        ExecutionStarted,
        ExecutionStatus,
        StepFinished,
        StepInfo,
        StepsAdded,
        StepStarted,
        StepStatus,
    )

    s = detail.summary
    out: list[Any] = []
    infos = [StepInfo(st.path, st.step_id, st.name, st.type, st.parent, st.role) for st in detail.steps
             if st.path not in seen]
    if not seen:
        out.append(ExecutionStarted(s.id, playbook=s.playbook, playbook_path=s.playbook_path,
                                    playbook_hash=detail.playbook_hash, parameters={}, steps=tuple(infos),
                                    trigger=s.trigger, gateway_url=s.gateway_url, ts=s.started_at))
    elif infos:
        out.append(StepsAdded(s.id, parent=infos[0].parent, steps=tuple(infos)))
    for st in detail.steps:
        before = seen.get(st.path, "pending")
        seen[st.path] = st.status
        if st.status == before:
            continue
        if st.status == "running":
            out.append(StepStarted(s.id, step_id=st.path, attempt=max(st.attempts, 1),
                                   max_attempts=max(st.attempts, 1)))
        elif st.status in _ENDED_STEPS:
            out.append(StepFinished(s.id, step_id=st.path, status=StepStatus(st.status), output={}, error=st.error,
                                    attempts=st.attempts, duration=st.duration or 0.0, reason=st.reason))
    if s.status not in ("pending", "running", "paused"):
        try:
            status = ExecutionStatus(s.status)
        except ValueError:
            status = ExecutionStatus.FAILED
        out.append(ExecutionFinished(s.id, status=status, error=s.error, failed_steps=s.failed_steps,
                                     duration=s.duration or 0.0))
    return out
