"""`igtk ps`: the live executions of the agent (running or paused)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from igtk_tui.errors import EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("ps", help="live executions of the agent", description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON document (a list)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.commands.text import cut
    from igtk_tui.runtime import Runtime

    paths = Runtime().paths
    alive = AgentLocation.of(paths).alive()
    if not alive:
        items: list[dict[str, Any]] = []
        print(f"igtk: no agent is running for {paths.state_dir}: no live executions", file=sys.stderr)
    else:
        with AgentClient.connect(paths) as client:
            items = client.executions()
    if args.json:
        print(json.dumps(items, default=str))
        return EXIT_OK
    if not items and alive:
        print("igtk: the agent runs no execution now (finished ones: igtk history)", file=sys.stderr)
    if items:
        print(f"{'ID':<8}  {'STATUS':<8}  {'STEPS':>7}  {'AGE':>6}  {'PLAYBOOK':<24}  STEP")
    for item in items:
        steps = f"{item['steps_done']}/{item['steps_total']}"
        where = item["current_step"] or (item["pause"] or {}).get("step_id") or ""
        why = f" ({item['pause']['reason']})" if item["pause"] else ""
        print(f"{item['id'][:8]:<8}  {item['status']:<8}  {steps:>7}  {_age(item['started_at']):>6}  "
              f"{cut(item['playbook'], 24):<24}  {where}{why}")
    return EXIT_OK


def _age(started: float) -> str:
    s = int(time.time() - started)
    return f"{s}s" if s < 60 else f"{s // 60}m" if s < 3600 else f"{s // 3600}h"
