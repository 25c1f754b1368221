"""`igtk resume ID`: continue an interrupted, failed or cancelled execution at its first unfinished step.

Design choice: a resume is a NEW execution (its own id, trigger "resume",
`resumed_from` = the old id; the old row gets `resumed_by`), not a
continuation of the old row. The old record stays exactly as it happened
(interrupted at step 7, with its logs and error), the new one shows the
restored steps as `completed (restored)` and everything that ran after; both
are linked both ways, so history never rewrites the past and a resume that is
itself interrupted can be resumed again. The engine does the restoring from
`engine.execution.ResumeState` (outputs, variables, start step); the rules for
secret parameters and the start step are in engine/replay.py (shared with
the agent and the TUI).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    from igtk_tui.commands.run import add_run_options

    p = sub.add_parser("resume", help="continue an interrupted or failed execution at its first unfinished step",
                       description=__doc__.splitlines()[0])
    p.add_argument("execution_id", metavar="EXECUTION_ID", help="an id or a unique prefix (6+ characters)")
    add_run_options(p)
    p.set_defaults(func=run)


def load_detail(runtime: Any, given_id: str) -> Any:
    """The recorded execution for `given_id` (prefixes accepted); exit 2 when unknown."""
    from igtk_tui.store.session import with_store

    async def query(store: Any) -> Any:
        execution_id = await store.executions.resolve_id(given_id)
        return await store.executions.get(execution_id, logs=0)

    return with_store(runtime, query)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.commands.control import resume_live
    from igtk_tui.commands.run import execute, given_credential, given_parameters
    from igtk_tui.engine import replay
    from igtk_tui.engine.launch import build_request
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    if resume_live(runtime.paths, args.execution_id):  # a paused live execution of the agent goes on
        return 0
    detail = load_detail(runtime, args.execution_id)
    credential = given_credential(runtime, args)
    again = replay.prepare(detail, given_parameters(args), resume=True, credential=credential,
                           gateway_url=args.gateway)
    request = build_request(again.playbook, again.params, credential=credential, gateway_url=args.gateway)
    for note in again.notes:
        print(f"igtk: note: {note}", file=sys.stderr)
    state = again.resume
    assert state is not None
    print(f"igtk: resuming execution {detail.id[:8]} at step {state.start_step!r} "
          f"({len(state.outputs)} step output(s) restored)", file=sys.stderr)
    return execute(runtime, request, args, trigger="resume", resume=state)
