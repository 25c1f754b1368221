"""`igtk history`: recorded executions, newest first, filtered and paged; `--fleet`: fleet runs.

Paging is by keyset: `--before ID` continues after that execution (or fleet run), as fast
on an old page as on the first (see store/executions.py). Executions of a fleet run are
listed with the others (trigger `fleet`); `--fleet` lists the runs with their counts.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from igtk_tui.commands.argtypes import whole_number

STATUSES = ("running", "paused", "completed", "failed", "cancelled", "interrupted")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("history", help="list recorded executions, newest first", description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--limit", type=whole_number(1), default=50, metavar="N", help="at most N executions (default 50)")
    p.add_argument("--status", choices=STATUSES, help="only executions with this status")
    p.add_argument("--playbook", metavar="NAME", help="only this playbook (its name, library path or file)")
    p.add_argument("--gateway", metavar="URL", help="only runs against this gateway URL")
    p.add_argument("--since", metavar="WHEN", help="only runs started since an ISO date/time or an age (2h, 3d)")
    p.add_argument("--before", metavar="ID", help="the page after this execution (keyset paging)")
    p.add_argument("--fleet", action="store_true",
                   help="list fleet runs (igtk run --on) with their gateway counts instead of executions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.runtime import Runtime
    from igtk_tui.store.session import with_store
    from igtk_tui.timefmt import parse_since

    since = parse_since(args.since) if args.since else None
    if args.fleet:
        return fleet_history(args)

    async def query(store: Any) -> tuple[list[Any], bool]:
        before = None
        if args.before:
            anchor = await store.executions.summary(await store.executions.resolve_id(args.before))
            before = anchor.keyset if anchor else None
        rows = await store.executions.list_executions(
            args.limit + 1, before=before, status=args.status, playbook=args.playbook,
            gateway=args.gateway, since=since)
        return rows[:args.limit], len(rows) > args.limit

    rows, more = with_store(Runtime(), query)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False))
        return 0
    print_table(rows, more)
    return 0


def print_table(rows: list[Any], more: bool) -> None:
    from igtk_tui.commands.text import cut
    from igtk_tui.sinks.human import glyph
    from igtk_tui.timefmt import duration, local_time

    if not rows:
        print("no executions recorded" + (" match" if more else ""))
        return
    # Fits 80 columns: local start to the minute, playbook names cut at 20.
    width = min(20, max(8, *(len(r.playbook) for r in rows)))
    print(f"{'ID':<8}  {'STARTED':<16}  {'PLAYBOOK':<{width}}  {'STATUS':<13}  {'TIME':>7}  TRIGGER")
    for r in rows:
        name = cut(r.playbook, width)
        status = f"{glyph(r.status)} {r.status}"
        failed = f" ({r.failed_steps} failed)" if r.failed_steps else ""
        print(f"{r.id[:8]}  {local_time(r.started_at)[:16]:<16}  {name:<{width}}  {status:<13}  "
              f"{duration(r.duration):>7}  {r.trigger}{failed}")
    if more:
        print(f"… older: igtk history --before {rows[-1].id[:8]}")


FLEET_STATUSES = ("running", "completed", "failed", "cancelled", "interrupted")


def fleet_history(args: argparse.Namespace) -> int:
    from igtk_tui.commands.fleet_show import print_fleet_runs
    from igtk_tui.errors import InvalidInput
    from igtk_tui.runtime import Runtime
    from igtk_tui.store.session import with_store

    for flag, given in (("--gateway", args.gateway), ("--since", args.since)):
        if given:
            raise InvalidInput(f"{flag} filters executions, not fleet runs: leave out --fleet or {flag}")
    if args.status and args.status not in FLEET_STATUSES:
        raise InvalidInput(f"--status {args.status}: a fleet run is one of {', '.join(FLEET_STATUSES)}")

    async def query(store: Any) -> tuple[list[Any], bool]:
        before = None
        if args.before:
            anchor = await store.fleets.summary(await store.fleets.resolve_id(args.before))
            before = anchor.keyset if anchor else None
        rows = await store.fleets.list_runs(args.limit + 1, before=before, status=args.status,
                                            playbook=args.playbook)
        return rows[:args.limit], len(rows) > args.limit

    rows, more = with_store(Runtime(), query)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False))
        return 0
    print_fleet_runs(rows, more)
    return 0
