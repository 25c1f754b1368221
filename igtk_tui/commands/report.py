"""`igtk report ID`: the execution as a document to sign or to feed CI (HTML, JSON, JUnit, Markdown).

Without -o the report goes to the execution's artifacts folder (report.html, ...) and its
path is printed; `-o -` prints it. Exit 2 for an unknown id or format. A fleet run's id
gives the fleet report: one row per gateway, each naming its execution.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="write an execution's report (html, json, junit, md)",
                       description=__doc__.splitlines()[0])
    p.add_argument("execution_id", metavar="EXECUTION_ID",
                   help="an execution or fleet run id, or a unique prefix (6+ characters)")
    p.add_argument("--format", "-f", dest="format", default="html", metavar="FORMAT",
                   help="html (default), json, junit or md")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write it; - for standard output (default: the execution's artifacts folder)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.report import check_format, load_report, render, report_file
    from igtk_tui.runtime import Runtime
    from igtk_tui.store.session import with_store

    fmt = check_format(args.format)  # before opening anything: a bad format is exit 2 at once
    runtime = Runtime()

    async def query(store: Any) -> Any:
        from igtk_tui.commands.show import resolve_record

        kind, record_id = await resolve_record(store, args.execution_id)
        if kind == "fleet":
            from igtk_tui.report.fleet import load_fleet_report

            return await load_fleet_report(store, record_id)
        return await load_report(store, runtime.paths, record_id)

    report = with_store(runtime, query)
    if not hasattr(report, "execution_id"):
        return _write_fleet(runtime, report, fmt, args)
    return _deliver(render(report, fmt, config_dir=runtime.paths.config_dir), args.output,
                    report_file(runtime.paths, report.execution_id, fmt),
                    f"{fmt} report of {report.execution_id} ({report.result})")


def _write_fleet(runtime: Any, report: Any, fmt: str, args: argparse.Namespace) -> int:
    from igtk_tui.report.fleet import fleet_report_file, render_fleet

    return _deliver(render_fleet(report, fmt, config_dir=runtime.paths.config_dir), args.output,
                    fleet_report_file(runtime.paths, report.fleet_run_id, fmt),
                    f"{fmt} report of fleet run {report.fleet_run_id} ({report.status})")


def _deliver(text: str, output: str | None, default: Path, said: str) -> int:
    """The report on stdout (`-o -`), else in `output` or the default file, said with its path."""
    from igtk_tui.report import write_report

    if output == "-":
        sys.stdout.write(text)
        return 0
    target = Path(output) if output else default
    write_report(target, text)
    print(f"{said}: {target}")
    return 0
