"""Flow steps: nesting (playbook.run) and explicit breakpoints (debug.breakpoint)."""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext
from igtk_tui.steps.registry import Output, Param, step


@step(
    "playbook.run",
    description="Run another verified playbook as this step; other keys become its parameters.",
    params=[Param("playbook", "string", description="Path relative to this playbook's folder, its parents, then "
                                                      "the library roots")],
    outputs=[Output("playbook", "string", "The child playbook's name"),
             Output("status", "string", "completed (a failed child fails the step)"),
             Output("steps_executed", "integer", "Steps the child ran"),
             Output("failed_steps", "integer", "Steps that failed (with on_failure: continue)"),
             Output("steps", "list", "Each child step: id, name, status"),
             Output("outputs", "dict", "Each child step's outputs by id"),
             Output("variables", "dict", "The child's variables at its end")],
    extra_params=True,
)
async def run_playbook(ctx: StepContext, playbook: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return await ctx.run_playbook(playbook, extra or {})


@step(
    "debug.breakpoint",
    description="Pause the execution here, as at a breakpoint; resume to continue.",
    params=[Param("message", "string", description="Shown to the operator at the pause")],
    outputs=[Output("paused", "boolean", "Always true: the run paused here")],
)
async def breakpoint_(ctx: StepContext, message: str = "") -> dict[str, Any]:
    await ctx.breakpoint(message)
    return {"paused": True}
