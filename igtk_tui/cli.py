"""Argument parsing and sub-command dispatch for `igtk`.

Each sub-command lives in `igtk_tui/commands/<name>.py` and exposes
`add_parser(subparsers)`; the parser it adds sets `func(args) -> int`.
Nothing heavy is imported here: `igtk run` must start fast and never import
textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from igtk_tui import __version__, startup
from igtk_tui.errors import EXIT_INVALID, IgtkError

# Order is the order shown in `igtk --help`.
COMMAND_MODULES = (
    "tui",
    "demo",
    "run",
    "validate",
    "playbooks",
    "playbook",
    "history",
    "show",
    "report",
    "resume",
    "rerun",
    "delete",
    "schema",
    "inventory",
    "cred",
    "simulator",
    "info",
    "migrate",
    "agent",
    "ps",
    "attach",
    "control",
    "schedule",
)
# Sub-commands added by a module of another name (one module for the control verbs).
COMMAND_OF = {"pause": "control", "skip": "control", "back": "control", "cancel": "control"}


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with the exact offending parameter named (its default)."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with `only` just that sub-command's (what `main` uses when the
    command is known: importing every command module and building every sub-parser
    cost `igtk run` a noticeable part of its start-up)."""
    parser = _Parser(
        prog="igtk",
        description="Run YAML playbooks against Ignition gateways, in a terminal UI or headless.",
    )
    parser.add_argument("--version", action="version", version=f"igtk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in (only,) if only else COMMAND_MODULES:
        module = importlib.import_module(f"igtk_tui.commands.{name}")
        module.add_parser(sub)
    return parser


def entry() -> None:
    """The `igtk` console script and `python -m igtk_tui`: `main`, then leave at once.

    When `main` returns, everything igtk must finish is finished (the store closed,
    reports written), and the exit handlers still run here (logging's flush, weakref
    finalizers, the browser reaper). What is skipped is the interpreter tearing down
    ~400 modules and collecting their objects: ~40 ms of `igtk run`'s 200 ms start-up
    budget, for nothing an operator or a cron job can see. A live non-daemon thread
    means someone expects to be waited for: then the ordinary exit does that.
    """
    import atexit
    import os
    import threading

    code = main()
    main_thread = threading.main_thread()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not main_thread):
        raise SystemExit(code)
    atexit._run_exitfuncs()  # what the ordinary exit runs (CPython's multiprocessing does the same)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to tell
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    collecting = startup.pause()
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    finally:
        startup.restore(collecting)


def _dispatch(argv: list[str]) -> int:
    if not argv and sys.stdin.isatty() and sys.stdout.isatty():
        # `igtk` alone opens the TUI (docs/cli.md); in a pipe or a script it prints the help instead.
        argv = ["tui"]
    name = COMMAND_OF.get(argv[0], argv[0]) if argv else None
    parser = build_parser(name if name in COMMAND_MODULES else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INVALID
    try:
        return int(args.func(args) or 0)
    except IgtkError as exc:
        from igtk_tui.redact import scrub

        print(f"igtk: {scrub(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def usage_error(message: str) -> int:
    print(f"igtk: {message}", file=sys.stderr)
    return EXIT_INVALID
