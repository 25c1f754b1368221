"""Flow steps: nesting (playbook.run) and explicit breakpoints (debug.breakpoint)."""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext
from igtk_tui.steps.registry import Param, step


@step(
    "playbook.run",
    description="Run another verified playbook as this step; other keys become its parameters.",
    params=[Param("playbook", "string", required=True,
                  description="Path relative to this playbook's folder, then to the library roots")],
    outputs=["playbook", "status", "steps_executed", "failed_steps", "steps", "outputs", "variables"],
    extra_params=True,
)
async def run_playbook(ctx: StepContext, playbook: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return await ctx.run_playbook(playbook, extra or {})


@step(
    "debug.breakpoint",
    description="Pause the execution here, as at a breakpoint; resume to continue.",
    params=[Param("message", "string", default="", description="Shown to the operator at the pause")],
    outputs=["paused"],
)
async def breakpoint_(ctx: StepContext, message: str = "") -> dict[str, Any]:
    await ctx.breakpoint(message)
    return {"paused": True}
