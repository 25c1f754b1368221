"""`igtk playbooks [--json]`: the library, with origin, verified/enabled flags and revision."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("playbooks", help="list the playbook library")
    p.add_argument("--json", action="store_true", help="print a JSON document")
    p.set_defaults(func=run)


def last_results(runtime: Any) -> dict[str, dict[str, Any]]:
    """The latest execution per playbook file, when the store offers it; else nothing."""
    try:
        from igtk_tui.store.playbook_meta import last_results as query
    except ImportError:
        return {}
    try:
        return query(runtime.store_location())
    except Exception:  # noqa: BLE001 - history is a nicety in a listing, never a failure
        return {}


def run(args: argparse.Namespace) -> int:
    from igtk_tui.commands.playbook import describe
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    entries = runtime.library.discover()
    results = last_results(runtime)
    rows = []
    for e in entries:
        row = describe(e)
        row["last_result"] = results.get(str(e.path)) or results.get(e.rel_path)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no playbooks found; roots: " + ", ".join(str(p) for _, p in runtime.library.roots))
        return 0
    width = max(len(r["path"]) for r in rows)
    print(f"{'PLAYBOOK'.ljust(width)}  {'ORIGIN':<12} {'FLAGS':<22} {'REV':>3}  NAME")
    for r in rows:
        flags = " ".join(f for f in (
            "verified" if r["verified"] else "-",
            "" if r["enabled"] else "DISABLED",
            "" if r["valid"] else "INVALID",
        ) if f)
        last = r["last_result"]
        tail = f"  [last: {last['status']}]" if last else ""
        print(f"{r['path'].ljust(width)}  {r['origin']:<12} {flags:<22} {r['revision']:>3}  {r['name']}{tail}")
    return 0
