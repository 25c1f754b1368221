"""`igtk agent run|start|stop|status`: the per-user agent that owns executions.

`run` serves in the foreground (for systemd and other service managers);
`start` starts it detached when none runs; `stop` refuses while executions run
unless `--cancel-running`; `status` shows pid, uptime, socket and running executions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from igtk_tui.errors import EXIT_OK, EXIT_UNAVAILABLE
from igtk_tui.timefmt import duration

STOP_WAIT = 40.0  # seconds `stop` waits for the agent to release its lock


def add_parser(sub: Any) -> None:
    p = sub.add_parser("agent", help="the background agent that owns executions", description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="agent_command", metavar="VERB", required=True)
    verbs.add_parser("run", help="serve in the foreground (service managers)").set_defaults(func=run_agent)
    verbs.add_parser("start", help="start the agent detached when none runs").set_defaults(func=start_agent)
    stop = verbs.add_parser("stop", help="stop the agent (refused while executions run)")
    stop.add_argument("--cancel-running", action="store_true", help="cancel running executions and stop")
    stop.set_defaults(func=stop_agent)
    status = verbs.add_parser("status", help="pid, uptime, socket and running executions")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    status.set_defaults(func=agent_status)


def run_agent(args: argparse.Namespace) -> int:
    from igtk_tui.agent.server import run_foreground
    from igtk_tui.runtime import Runtime

    return run_foreground(Runtime())


def start_agent(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.runtime import Runtime

    with AgentClient.connect(Runtime().paths, start=True) as client:
        status = client.status()
    print(f"igtk: agent running, pid {status['pid']}, socket {status['socket']}")
    return EXIT_OK


def stop_agent(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.runtime import Runtime

    paths = Runtime().paths
    location = AgentLocation.of(paths)
    if not location.alive():
        print(f"igtk: no agent is running for {paths.state_dir}", file=sys.stderr)
        return EXIT_OK
    with AgentClient.connect(paths) as client:
        answer = client.stop(cancel_running=args.cancel_running)
    deadline = time.monotonic() + STOP_WAIT
    while location.alive():  # the agent lets go of its lock as its very last act
        if time.monotonic() > deadline:
            print(f"igtk: the agent did not stop within {STOP_WAIT:g} s", file=sys.stderr)
            return EXIT_UNAVAILABLE
        time.sleep(0.02)
    cancelled = answer.get("cancelled") or []
    extra = f" ({len(cancelled)} execution(s) cancelled)" if cancelled else ""
    print(f"igtk: agent stopped{extra}")
    return EXIT_OK


def agent_status(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.runtime import Runtime

    paths = Runtime().paths
    if not AgentLocation.of(paths).alive():
        if args.json:
            print(json.dumps({"running": False}))
        print(f"igtk: no agent is running for {paths.state_dir}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    with AgentClient.connect(paths) as client:
        status = client.status()
    if args.json:
        print(json.dumps({"running": True, **status}, default=str))
        return EXIT_OK
    print(f"agent:   running, igtk {status['version']} (API v{status['api']})")
    print(f"pid:     {status['pid']}")
    print(f"uptime:  {duration(status['uptime'])}")
    print(f"socket:  {status['socket']}")
    running = status["running"]
    print(f"running: {len(running)} execution(s)")
    for item in running:
        print(f"  {item['id'][:8]}  {item['status']:<8} {item['playbook']}")
    return EXIT_OK


