"""`igtk schema`: print the JSON Schema of the playbook format (for yaml-language-server)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schema", help="print the playbook JSON Schema")
    p.add_argument("--steps", action="store_true", help="list step types with parameters instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.playbook.schema import build_schema
    from igtk_tui.steps.registry import REGISTRY

    if args.steps:
        for name in REGISTRY.names():
            st = REGISTRY.get(name)
            if st is None:  # names() lists only registered types
                continue
            print(f"{name}: {st.description}")
            for p in st.params:
                flags = ", ".join(filter(None, [p.kind, "required" if p.required else "",
                                                f"default {p.default!r}" if p.default not in (None, "", {}, []) else "",
                                                f"unit {p.unit}" if p.unit else ""]))
                print(f"    {p.name} ({flags}): {p.description}")
            if st.outputs:
                print(f"    outputs: {', '.join(st.outputs)}")
        return 0
    print(json.dumps(build_schema(), indent=2))
    return 0
