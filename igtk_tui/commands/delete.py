"""`igtk delete ID...`: remove recorded executions and their artifact folders.

Explicit, so it asks nothing. Only `paths.execution_artifacts(id)` is removed
(never a path outside the artifacts root, never another execution's folder);
an execution that is still running is refused.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from igtk_tui.errors import InvalidInput

if TYPE_CHECKING:
    from igtk_tui.store import Store


def add_parser(sub: Any) -> None:
    p = sub.add_parser("delete", help="remove recorded executions and their artifacts",
                       description=__doc__.splitlines()[0])
    p.add_argument("execution_ids", nargs="+", metavar="EXECUTION_ID", help="ids or unique prefixes (6+ characters)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.engine.events import LIVE_STATUSES
    from igtk_tui.runtime import Runtime
    from igtk_tui.store.session import with_store

    async def remove(store: Store) -> tuple[list[str], list[str]]:
        ids: list[str] = []
        for given in args.execution_ids:
            execution_id = await store.executions.resolve_id(given)
            summary = await store.executions.summary(execution_id)
            if summary and summary.status in LIVE_STATUSES:  # refused before anything is deleted
                raise InvalidInput(f"execution {execution_id} is still {summary.status} on {summary.host}; "
                                   "cancel it before deleting it")
            if execution_id not in ids:
                ids.append(execution_id)
        return await store.executions.delete(ids)

    deleted, problems = with_store(Runtime(), remove)
    for execution_id in deleted:
        print(f"deleted {execution_id}")
    for problem in problems:
        print(f"igtk: {problem}", file=sys.stderr)
    return 1 if problems else 0
