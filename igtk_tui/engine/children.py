"""Running a `playbook.run` child: resolved and gated by the execution's resolver,
its parameters bound like a top-level run's, its steps run as a nested frame of the
same execution (same controls, same events)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.attempts import ParamError
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.engine.events import StepInfo, StepsAdded, StepStatus
from igtk_tui.engine.frame import ExecutionAborted, Frame
from igtk_tui.engine.nesting import MAX_DEPTH
from igtk_tui.errors import InvalidInput

if TYPE_CHECKING:
    from igtk_tui.engine.runner import Runner


async def run_child(runner: Runner, ctx: StepContext, playbook_ref: str, params: dict[str, Any]) -> dict[str, Any]:
    """A `playbook.run` step: the child resolved and gated, its parameters bound like a top-level
    run's, its steps run as a nested frame of the same execution (same controls and events)."""
    from igtk_tui.playbook.params import bind_parameters, secret_parameter_names

    parent = ctx.frame
    if parent.depth + 1 > MAX_DEPTH:
        raise StepFailure(f"nesting deeper than {MAX_DEPTH} levels is not allowed")
    try:
        child_pb = runner.resolver.load_child(parent.playbook, playbook_ref, parent.stack)
        bound = bind_parameters(child_pb, params)
    except InvalidInput as exc:  # not found, unverified, cycle, bad parameters: retrying cannot help
        raise ParamError(str(exc)) from None
    ctx.log(f"playbook.run {playbook_ref!r}: running {child_pb.path}")
    for name in secret_parameter_names(child_pb):  # as for a top-level run: the child's secrets too
        if bound.get(name) is not None:
            redact.register(bound[name])
    child = Frame(playbook=child_pb, params=bound, prefix=ctx.step_id + "/", depth=parent.depth + 1,
                  stack=(*parent.stack, str(child_pb.path)))
    runner.seed_breakpoints(child.prefix, child_pb)
    infos = tuple(StepInfo(child.path(s), s.id, s.name, s.type, parent=ctx.step_id,
                           breakpoint=child.path(s) in runner.controls.breakpoints) for s in child_pb.steps)
    runner.emit(StepsAdded(runner.execution_id, parent=ctx.step_id, steps=infos))
    status, error = "completed", None
    try:
        await runner.run_frame(child)
    except ExecutionAborted as exc:
        status, error = "failed", str(exc)
    summary = {
        "playbook": child_pb.name,
        "status": status,
        "steps_executed": sum(1 for s in child.statuses.values() if s != StepStatus.PENDING),
        "failed_steps": child.failed_steps,
        "steps": [{"id": s.id, "name": s.name, "status": child.statuses.get(s.id, StepStatus.PENDING).value}
                  for s in child_pb.steps],
        "outputs": child.outputs,
        "variables": child.variables,
    }
    if error:
        raise StepFailure(f"nested playbook {child_pb.name!r} failed: {error}")
    return summary
