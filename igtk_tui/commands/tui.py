"""`igtk tui` (and `igtk` alone): open the terminal UI.

Textual is imported only here, inside the handler: every other command stays
free of it.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("tui", help="open the terminal UI (the default)", description=__doc__.splitlines()[0])
    add_tui_options(p)
    p.set_defaults(func=run)


def add_tui_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--theme", metavar="NAME", help="colour theme for this session (the palette remembers one)")
    mouse = p.add_mutually_exclusive_group()
    mouse.add_argument("--mouse", dest="mouse", action="store_true", default=None,
                       help="capture the mouse (off by default: the terminal keeps text selection)")
    mouse.add_argument("--no-mouse", dest="mouse", action="store_false")


def run(args: argparse.Namespace) -> int:
    from igtk_tui.tui.app import run_app
    from igtk_tui.tui.deferred import DeferredRuntime

    return run_app(DeferredRuntime(), theme=getattr(args, "theme", None), mouse=getattr(args, "mouse", None))
