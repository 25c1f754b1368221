"""`igtk attach ID`: follow a live execution of the agent, as `igtk run` prints it.

The same stdin controls as `igtk run` (enter, p, s, b, d, x); Ctrl-C detaches
and the execution goes on. The exit code is the execution's: 0 completed,
1 failed, 130 cancelled; 3 when the agent went away under it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from igtk_tui.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE


def add_parser(sub: Any) -> None:
    p = sub.add_parser("attach", help="follow a live execution; Ctrl-C detaches", description=__doc__.splitlines()[0])
    p.add_argument("execution_id", metavar="ID", help="a live execution's id or a unique prefix")
    p.set_defaults(func=run)


def exit_code(status: str | None) -> int:
    codes = {"completed": EXIT_OK, "failed": EXIT_FAILED, "cancelled": EXIT_CANCELLED}
    return codes.get(status or "", EXIT_UNAVAILABLE)


def run(args: argparse.Namespace) -> int:
    """The local agent's execution, else one the history shows live elsewhere (another host's
    agent, with a shared PostgreSQL history: commands/attach_record.py), else the agent's answer."""
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.commands.attach_record import attach_recorded
    from igtk_tui.errors import IgtkError, InvalidInput, ServiceUnavailable
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    paths = runtime.paths
    agent = AgentLocation.of(paths).alive()
    refusal: IgtkError | None = None
    if agent:
        with AgentClient.connect(paths) as client:  # another version: exit 3 with the fix
            try:
                summary = client.get(args.execution_id)["execution"]
                return asyncio.run(follow(paths, summary["id"]))
            except InvalidInput as exc:  # not the agent's: maybe live in the history, on another host
                refusal = exc
    recorded = attach_recorded(runtime, args.execution_id, agent=agent)
    if recorded is not None:
        return recorded
    if refusal is not None:
        raise refusal
    raise ServiceUnavailable(f"no agent is running for {paths.state_dir} (start one with `igtk agent start`), "
                             f"and the history shows no live execution {args.execution_id!r}")


async def follow(paths: Any, execution_id: str) -> int:
    from igtk_tui.agent import wire
    from igtk_tui.agent.client import AgentGone, AsyncAgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.agent.remote import RemoteExecution
    from igtk_tui.commands import run_controls
    from igtk_tui.sinks.human import HumanProgress

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    location = AgentLocation.of(paths)
    client = AsyncAgentClient(location)
    remote = RemoteExecution(client, execution_id, lambda text: say(f"igtk: {text}"))
    sink = HumanProgress()
    seen: set[tuple[Any, ...]] = set()
    final: list[str] = []
    loop = asyncio.get_running_loop()

    def show(data: dict[str, Any]) -> None:
        key = (data["event"], data.get("ts"), data.get("step_id"), data.get("message"))
        if key in seen:  # replayed by the snapshot after a reconnect
            return
        seen.add(key)
        remote.follow(data)
        if data["event"] == "execution_finished":
            final.append(str(data["status"]))
        sink(wire.decode(data))

    async def stream() -> None:
        while True:
            try:
                async for kind, data in client.events(execution_id):
                    if kind == "snapshot":
                        for item in data["events"]:
                            show(item)
                    elif kind == "end":
                        return
                    elif kind == "overflow":  # we fell behind: a fresh snapshot (shown only where new)
                        break
                    else:
                        show(data)
                else:
                    raise AgentGone("the agent closed the stream")
            except AgentGone as exc:
                if not location.alive():
                    say(f"igtk: {exc}; the agent is gone, and execution {execution_id[:8]} with it: it is "
                        f"recorded `interrupted` (continue it with `igtk resume {execution_id[:8]}`)")
                    return
                say(f"igtk: {exc}; reconnecting…")
                await asyncio.sleep(0.5)

    detached = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, detached.set)
    stop_stdin = run_controls.attach(loop, remote, say)
    following = asyncio.ensure_future(stream())
    waiting = asyncio.ensure_future(detached.wait())
    try:
        await asyncio.wait({following, waiting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop_stdin()
        loop.remove_signal_handler(signal.SIGINT)
        for task in (following, waiting):
            task.cancel()
        await asyncio.gather(following, waiting, return_exceptions=True)
        await client.aclose()
    if detached.is_set() and not final:
        short = execution_id[:8]
        say(f"igtk: detached; execution {short} goes on (`igtk attach {short}` to follow it again)")
        return EXIT_OK
    return exit_code(final[0] if final else None)
