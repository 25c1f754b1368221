"""The TUI's report action (history and detail screens): the operator picks the format
(html, json, junit, md; HTML by default), the execution's report is written to its
artifacts folder (the same file `igtk report` writes without -o), and a notification
says where.

Reading the record and rendering (screenshots base64-encoded) run off the event loop's
critical path: the record is one hop to the database thread, the rendering and the
write go to a worker thread, so the screen keeps answering keys meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

TITLES = {"html": "HTML", "json": "JSON", "junit": "JUnit XML", "md": "Markdown"}


def ask_and_write(screen: Any, execution_id: str) -> None:
    """Ask which format (a small dialog), then write that report from a worker of `screen`."""
    from igtk_tui.tui.screens.report_format import ReportFormatScreen

    def chosen(fmt: str | None) -> None:
        if fmt:
            screen.run_worker(write_report_file(screen.app, execution_id, fmt), group="report",
                              exit_on_error=False)

    screen.app.push_screen(ReportFormatScreen(), chosen)


async def write_report_file(app: Any, execution_id: str, fmt: str) -> None:
    from igtk_tui.errors import IgtkError
    from igtk_tui.report import load_report, render, report_file, write_report

    store = getattr(app, "store", None)
    if store is None:
        app.notify("no report: the history is not available", severity="warning", markup=False)
        return
    paths = app.runtime.paths
    try:
        report = await load_report(store, paths, execution_id)
        target = report_file(paths, execution_id, fmt)

        def produce() -> None:
            write_report(target, render(report, fmt, config_dir=paths.config_dir))

        await asyncio.to_thread(produce)
    except (IgtkError, OSError) as exc:
        app.notify(f"report not written: {exc}", severity="error", markup=False)
        return
    app.notify(f"report ({report.result}): {target}", title=f"{TITLES[fmt]} report written", markup=False,
               timeout=10)
