"""fat.* steps of the earlier toolkit (FAT reports): they load with its parameters
(prior-art-features §2.5) and, until igtk's reports exist, fail when run saying so,
rather than reporting a success that wrote nothing."""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.registry import Param, step

NOT_YET = "reports are not available in this igtk version yet; this step does not write a report"


@step(
    "fat.generate_report",
    description="Write a FAT report from test results (not available yet: fails when run).",
    params=[Param("test_results", "dict"), Param("visual_analysis", "dict"), Param("metadata", "dict"),
            Param("format", "string", default="html"), Param("template", "string"),
            Param("screenshots_dir", "string")],
    outputs=["status", "report_id", "report_path"],
)
async def generate_report(ctx: StepContext, **_: Any) -> dict[str, Any]:
    raise StepFailure(f"fat.generate_report: {NOT_YET}")


@step(
    "fat.export_report",
    description="Export a FAT report as HTML or PDF (not available yet: fails when run).",
    params=[Param("report_id", "string", required=True), Param("format", "string", default="html",
                                                                choices=("html", "pdf")),
            Param("output_path", "string")],
    outputs=["status", "output_path"],
)
async def export_report(ctx: StepContext, **_: Any) -> dict[str, Any]:
    raise StepFailure(f"fat.export_report: {NOT_YET}")
