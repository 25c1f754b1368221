"""Run `igtk cred ...` through igtk_tui.commands.cred alone (other commands are not needed).

Mirrors igtk_tui.cli.main's error handling: an IgtkError prints `igtk: message`
(scrubbed) on stderr and exits with its code; argparse errors exit 2.
"""

from __future__ import annotations

import argparse
import sys

from igtk_tui.commands import cred
from igtk_tui.errors import IgtkError
from igtk_tui.redact import scrub


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="igtk")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=argparse.ArgumentParser)
    cred.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IgtkError as exc:
        print(f"igtk: {scrub(str(exc))}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
