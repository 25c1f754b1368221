"""`igtk migrate PATH...`: move `{{ ... }}` references out of utility.python script source
into the step's `params` (data, not pasted text), editing the YAML in place.

Keeps comments and formatting outside the edited values, writes a backup
`<name>.backup.<timestamp>.yaml` next to each changed file, validates the result
before writing, and prints every change. Exit 0 when everything was migrated (or
nothing needed it), 1 when some references were left for a manual fix (each
reported as file:line:col), 2 when a playbook does not load.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from igtk_tui.errors import EXIT_FAILED, EXIT_INVALID, EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("migrate", help="rewrite earlier-toolkit scripts to take references as data",
                       description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="+", metavar="PATH", help="playbook files or folders")
    p.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.playbook.errors import PlaybookError
    from igtk_tui.playbook.library_entry import collect_files
    from igtk_tui.playbook.migrate import migrate_file

    files = collect_files(args.paths)
    invalid = left = changed = 0
    for path in files:
        try:
            migration = migrate_file(path, write=not args.dry_run)
        except PlaybookError as exc:
            invalid += 1
            for problem in exc.problems:
                print(problem)
            print(f"{path}: not migrated: fix the problems above first", file=sys.stderr)
            continue
        except (OSError, RuntimeError) as exc:
            invalid += 1
            print(f"{path}: not migrated: {exc}", file=sys.stderr)
            continue
        for note in migration.moved:
            print(note)
        for note in migration.left:
            print(f"{note.location}: warning: step {note.step!r}: {note.message}")
        left += len(migration.left)
        if migration.changed:
            changed += 1
            verb = "would migrate" if args.dry_run else "migrated"
            backup = f"; backup: {migration.backup}" if migration.backup else ""
            print(f"{path}: {verb} {len(migration.moved)} reference(s) in step(s) "
                  f"{', '.join(repr(s) for s in migration.steps)}{backup}")
        elif not migration.left:
            print(f"{path}: nothing to migrate")
    if len(files) > 1:
        print(f"{changed} of {len(files)} playbook(s) changed, {left} reference(s) left for review, "
              f"{invalid} invalid", file=sys.stderr)
    if invalid:
        return EXIT_INVALID
    return EXIT_FAILED if left else EXIT_OK
