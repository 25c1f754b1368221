"""`igtk playbooks [--json]`: the library, with origin and verified/problem flags."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("playbooks", help="list the playbook library")
    p.add_argument("--json", action="store_true", help="print a JSON document")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    entries = runtime.library.discover()
    rows = [
        {
            "path": e.rel_path,
            "file": str(e.path),
            "name": e.name,
            "version": e.playbook.version if e.playbook else None,
            "domain": e.domain,
            "group": e.group,
            "origin": e.origin,
            "verified": bool(e.playbook and e.playbook.verified),
            "valid": not e.problems,
            "problems": e.problems,
            "description": e.playbook.description if e.playbook else "",
        }
        for e in entries
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no playbooks found; roots: " + ", ".join(str(p) for _, p in runtime.library.roots))
        return 0
    width = max(len(r["path"]) for r in rows)
    print(f"{'PLAYBOOK'.ljust(width)}  {'FLAGS':<18} NAME")
    for r in rows:
        flags = ",".join(f for f in (
            "verified" if r["verified"] else "",
            r["origin"] if r["origin"] != "built-in" else "built-in",
            "INVALID" if not r["valid"] else "",
        ) if f)
        print(f"{r['path'].ljust(width)}  {flags:<18} {r['name']}")
    return 0
