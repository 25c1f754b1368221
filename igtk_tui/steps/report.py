"""fat.* steps: the acceptance report of the running execution, as one of its artifacts.

Parameters and outputs are the earlier toolkit's (its fat.generate_report and
fat.export_report), whose FAT playbooks call them; the document is igtk's report (igtk_tui/report) of everything recorded so far,
with the step's `test_results`, `visual_analysis`, `metadata` and `screenshots_dir` added.
The report is read from the history database (the recorder commits at each step boundary,
so the step waits until every earlier step is committed), which is also what
`igtk report` reads afterwards: the two documents agree.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.registry import Output, Param, step
from igtk_tui.timefmt import file_stamp

FORMATS = ("html", "json", "junit", "md")
_UNFINISHED = ("pending", "running", "paused")


@step(
    "fat.generate_report",
    description="Write the acceptance report of this execution (so far) as an artifact: html, json, junit or md.",
    params=[
        Param("test_results", "any", description="{results: [...], total, passed, failed, skipped} or a list of "
                                                  "results (e.g. a manifest step's results), shown as checks"),
        Param("visual_analysis", "dict", description="{issues_count, report: {compliance: {...}}}, shown as is"),
        Param("screenshots_dir", "string", description="Also show every PNG in this folder"),
        Param("format", "string", choices=FORMATS, description="The report's format"),
        Param("template", "string", description="A Jinja2 HTML template file instead of the shipped one"),
        Param("metadata", "dict", description="project_name, test_date, tester, client (any key is shown)"),
    ],
    outputs=[Output("status", "string", "generated"),
             Output("report_id", "string", "fat_report_YYYYmmdd_HHMMSS: name it in fat.export_report"),
             Output("report_path", "string", "The report file (the execution's artifacts)"),
             Output("format", "string", "Its format"),
             Output("total_tests", "integer", "Checks in the report"),
             Output("passed_tests", "integer", "Checks passed"), Output("failed_tests", "integer", "Checks failed"),
             Output("visual_issues", "integer", "visual_analysis's issues_count")],
)
async def generate_report(ctx: StepContext, test_results: Any = None, visual_analysis: dict[str, Any] | None = None,
                          screenshots_dir: str | None = None, format: str = "html", template: str | None = None,  # noqa: A002 - the earlier toolkit named it so
                          metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    from igtk_tui.paths import resolve_paths
    from igtk_tui.report import FORMATS as SUFFIXES
    from igtk_tui.report import build_report, render, write_report

    template_path = ctx.resolve_path(template) if template else None
    if template_path is not None and not template_path.is_file():
        raise StepFailure(f"template: {template_path} is not a file")
    shots = ctx.resolve_path(screenshots_dir) if screenshots_dir else None
    if shots is not None and not shots.is_dir():
        raise StepFailure(f"screenshots_dir: {shots} is not a folder")
    given = {"results": test_results} if isinstance(test_results, list) else test_results
    detail = await _recorded_so_far(ctx)
    report = build_report(detail, ctx.artifacts_dir, metadata=metadata, test_results=given,
                          visual_analysis=visual_analysis, screenshots_dir=shots, in_progress_step=ctx.step_id)
    report_id, path = _fresh(ctx.artifacts_dir, SUFFIXES[format])
    text = await asyncio.to_thread(render, report, format, config_dir=resolve_paths().config_dir,
                                   template=template_path)
    await asyncio.to_thread(write_report, path, text)
    ctx.add_artifact(path, "report")
    counts = report.check_counts
    issues = (visual_analysis or {}).get("issues_count", 0) if isinstance(visual_analysis, dict) else 0
    ctx.log(f"{format} report {report_id}: {report.result}, {counts['passed']}/{counts['total']} checks passed "
            f"({path.stat().st_size} bytes)")
    return {"status": "generated", "report_id": report_id, "report_path": str(path), "format": format,
            "total_tests": counts["total"], "passed_tests": counts["passed"], "failed_tests": counts["failed"],
            "visual_issues": issues}


@step(
    "fat.export_report",
    description="Copy a report fat.generate_report wrote in this execution to a file of your choice.",
    params=[
        Param("report_id", "string", description="fat.generate_report's report_id"),
        Param("format", "string", choices=(*FORMATS, "pdf"),
              description="The format it was generated in (default: the one found); pdf: print the HTML"),
        Param("output_path", "string", description="Target file (relative: the playbook's folder)"),
    ],
    outputs=[Output("status", "string", "exported"), Output("format", "string", "The format copied"),
             Output("output_path", "string", "The copy"), Output("report_id", "string", "The report copied")],
)
async def export_report(ctx: StepContext, report_id: str, output_path: str, format: str | None = None) -> dict[str, Any]:  # noqa: A002 - the earlier toolkit named it so
    from igtk_tui.report import FORMATS as SUFFIXES

    if format == "pdf":
        raise StepFailure("format: pdf is not produced; export the html report and print it to PDF from a "
                          "browser (the page is laid out for printing)")
    found = {fmt: ctx.artifacts_dir / f"{report_id}{suffix}" for fmt, suffix in SUFFIXES.items()}
    found = {fmt: p for fmt, p in found.items() if p.is_file() and "/" not in report_id and report_id}
    if not found:
        raise StepFailure(f"report_id: no report {report_id!r} was generated in this execution")
    fmt = format or next(iter(found))
    if fmt not in found:
        raise StepFailure(f"format: report {report_id!r} was generated as {', '.join(found)}, not {fmt}")
    target = ctx.resolve_path(output_path)
    await asyncio.to_thread(_copy_atomically, found[fmt], target)
    ctx.add_artifact(target, "report")
    return {"status": "exported", "format": fmt, "output_path": str(target), "report_id": report_id}


async def _recorded_so_far(ctx: StepContext) -> Any:
    """This execution as committed, once every step before this one and this one's start are in it."""
    from igtk_tui.paths import Paths
    from igtk_tui.store.executions import process_store, read_detail_sync

    data_dir = ctx.artifacts_dir.parent.parent  # <data>/artifacts/<execution id>
    location = process_store(Paths(config_dir=data_dir, data_dir=data_dir, state_dir=data_dir).db_file)
    mine = ctx.step_id
    ancestors = {mine.rsplit("/", n)[0] for n in range(1, mine.count("/") + 1)}

    async def probe() -> Any:
        detail = await asyncio.to_thread(read_detail_sync, location, ctx.execution_id)
        if detail is None:
            return None
        paths = [s.path for s in detail.steps]
        if mine not in paths or detail.steps[paths.index(mine)].status != "running":
            return None  # this step's own start is in the report too, whatever the commit timing
        earlier = [s for s in detail.steps[:paths.index(mine)] if s.role == "step" and s.path not in ancestors]
        return None if any(s.status in _UNFINISHED for s in earlier) else detail

    try:
        return await ctx.poll(probe, timeout=15, interval=0.05, what="the earlier steps to be recorded")
    except StepFailure:
        if not location.is_postgres and not location.path.is_file():
            raise StepFailure("this execution is not recorded in the history, so there is nothing to report") \
                from None
        raise


def _fresh(folder: Path, suffix: str) -> tuple[str, Path]:
    """`fat_report_YYYYmmdd_HHMMSS` as the earlier toolkit named them, made unique in the folder."""
    base = f"fat_report_{file_stamp(sep='_')}"
    report_id, n = base, 1
    while any((folder / f"{report_id}{s}").exists() for s in (".html", ".json", ".xml", ".md")):
        n += 1
        report_id = f"{base}_{n}"
    return report_id, folder / f"{report_id}{suffix}"


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
