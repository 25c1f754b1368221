"""`igtk validate PATH...`: print `file:line:col: message` for each problem; exit 2 if any."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from igtk_tui.errors import EXIT_INVALID, EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check playbooks without running them")
    p.add_argument("paths", nargs="+", metavar="PATH", help="playbook files or folders")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.engine.nesting import NestingError
    from igtk_tui.playbook.errors import PlaybookError
    from igtk_tui.playbook.library_entry import collect_files
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.runtime import Runtime

    resolver = Runtime().resolver()
    files = collect_files(args.paths)
    if not files:
        print(f"igtk: no playbooks (*.yaml, *.yml) found in {', '.join(args.paths)}", file=sys.stderr)
        return EXIT_INVALID
    bad = 0
    for path in files:
        try:
            playbook = load_file(path)
            resolver.check_tree(playbook)
        except PlaybookError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem)
            continue
        except NestingError as exc:
            bad += 1
            print(f"{path}:1:1: {exc}")
            continue
        for warning in playbook.warnings:
            print(warning)
        if args.strict and playbook.warnings:
            bad += 1
    if len(files) > 1 or not bad:
        print(f"{len(files) - bad} of {len(files)} playbook(s) valid", file=sys.stderr)
    return EXIT_INVALID if bad else EXIT_OK
