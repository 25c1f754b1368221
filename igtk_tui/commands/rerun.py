"""`igtk rerun ID`: run the same playbook again with the same (non-secret) parameters.

A fresh execution (trigger "rerun", `rerun_of` = the old id) of the playbook
file as it is now. Secret parameters were recorded redacted and must be given
again with -p or -c (exit 2 names them); see engine/replay.py.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    from igtk_tui.commands.run import add_run_options

    p = sub.add_parser("rerun", help="run a recorded execution again with the same parameters",
                       description=__doc__.splitlines()[0])
    p.add_argument("execution_id", metavar="EXECUTION_ID", help="an id or a unique prefix (6+ characters)")
    add_run_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.commands.resume import load_detail
    from igtk_tui.commands.run import execute, given_credential, given_parameters
    from igtk_tui.engine import replay
    from igtk_tui.engine.launch import build_request
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    detail = load_detail(runtime, args.execution_id)
    credential = given_credential(runtime, args)
    again = replay.prepare(detail, given_parameters(args), resume=False, credential=credential,
                           gateway_url=args.gateway)
    for note in again.notes:
        print(f"igtk: note: {note}", file=sys.stderr)
    request = build_request(again.playbook, again.params, credential=credential, gateway_url=args.gateway)
    return execute(runtime, request, args, trigger="rerun", rerun_of=detail.id)
