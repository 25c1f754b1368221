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
    from igtk_tui.steptypes import REGISTRY

    if args.steps:
        for st in REGISTRY.all():
            print(f"{st.name}: {st.description}")
            for p in st.params:
                flags = ", ".join(filter(None, [p.kind, "required" if p.required else "",
                                                f"default {p.default!r}" if p.default not in (None, "", {}, []) else "",
                                                f"unit {p.unit}" if p.unit else ""]))
                print(f"    {p.name} ({flags}): {p.description}")
            for o in st.outputs:
                print(f"    -> {o.name} ({o.kind}{', or none' if o.nullable else ''}): {o.description}")
            if st.extra_outputs:
                print(f"    -> other keys ({st.extra_outputs}): as the step writes them")
        return 0
    print(json.dumps(build_schema(), indent=2))
    return 0
