"""The TUI's report action (history and detail screens): the execution's HTML report
written to its artifacts folder, the path shown in a notification.

Reading the record and rendering (screenshots base64-encoded) run off the event loop's
critical path: the record is one hop to the database thread, the rendering and the
write go to a worker thread, so the screen keeps answering keys meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def write_html_report(app: Any, execution_id: str) -> None:
    from igtk_tui.errors import IgtkError
    from igtk_tui.report import load_report, render, report_file, write_report

    store = getattr(app, "store", None)
    if store is None:
        app.notify("no report: the history is not available", severity="warning", markup=False)
        return
    paths = app.runtime.paths
    try:
        report = await load_report(store, paths, execution_id)
        target = report_file(paths, execution_id, "html")

        def produce() -> None:
            write_report(target, render(report, "html", config_dir=paths.config_dir))

        await asyncio.to_thread(produce)
    except (IgtkError, OSError) as exc:
        app.notify(f"report not written: {exc}", severity="error", markup=False)
        return
    app.notify(f"report ({report.result}): {target}", title="HTML report written", markup=False, timeout=10)
