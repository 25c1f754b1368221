"""`igtk pause|skip|back|cancel ID` (and the live half of `igtk resume ID`):
one control verb sent to a live execution of the agent."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from igtk_tui.errors import EXIT_OK

VERBS = {
    "pause": "pause a live execution at its next safe point (a running script is suspended at once)",
    "skip": "skip the running step of a live execution",
    "back": "step back: re-run the previous step of a live execution",
    "cancel": "cancel a live execution",
}
DONE = {"pause": "pause requested for", "resume": "resumed", "skip": "skip sent to", "back": "step back sent to",
        "cancel": "cancel sent to"}


def add_parser(sub: Any) -> None:
    for verb, text in VERBS.items():
        p = sub.add_parser(verb, help=text, description=text)
        p.add_argument("execution_id", metavar="ID", help="a live execution's id or a unique prefix")
        p.set_defaults(func=run, verb=verb)


def send(paths: Any, given_id: str, verb: str) -> dict[str, Any]:
    from igtk_tui.agent.client import AgentClient

    with AgentClient.connect(paths) as client:
        return client.control(given_id, verb)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.runtime import Runtime

    summary = send(Runtime().paths, args.execution_id, args.verb)
    print(f"igtk: {DONE[args.verb]} execution {summary['id'][:8]}")
    return EXIT_OK


def resume_live(paths: Any, given_id: str) -> bool:
    """Resume `given_id` in the agent when it is one of its live executions; False otherwise."""
    from igtk_tui.agent.location import AgentLocation

    if not AgentLocation.of(paths).alive():
        return False
    from igtk_tui.agent.client import AgentClient, Refused
    from igtk_tui.errors import InvalidInput

    with AgentClient.connect(paths) as client:
        live = [e for e in client.executions() if e["id"].startswith(given_id)]
        if len(live) > 1:
            return False
        try:  # not this agent's: with a shared history the agent relays it to the one running it
            summary = client.control(live[0]["id"] if live else given_id, "resume")
        except (InvalidInput, Refused):
            return False  # not live anywhere: resumed from its record
    print(f"igtk: {DONE['resume']} execution {summary['id'][:8]}", file=sys.stderr)
    return True
