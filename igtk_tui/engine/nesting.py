"""`playbook.run` children: where they live, whether they may run, cycles and
depth checked before the parent starts, and running one as a nested frame."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.attempts import ParamError
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.engine.events import StepInfo, StepsAdded, StepStatus
from igtk_tui.engine.frame import ExecutionAborted, Frame
from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.model import Playbook
from igtk_tui.playbook.refs import has_refs

if TYPE_CHECKING:
    from igtk_tui.engine.runner import Runner

MAX_DEPTH = 3


class NestingError(InvalidInput):
    pass


class PlaybookResolver:
    """Finds child playbooks: relative to the parent's folder first, then the library roots.

    `is_verified(playbook)` and `is_enabled(playbook)` come from the library's
    metadata; by default the YAML's own `verified:` decides and all are enabled.
    """

    def __init__(
        self,
        roots: Iterable[Path] = (),
        *,
        is_verified: Callable[[Playbook], bool] | None = None,
        is_enabled: Callable[[Playbook], bool] | None = None,
    ) -> None:
        self.roots = [Path(r) for r in roots]
        self.is_verified = is_verified or (lambda pb: pb.verified)
        self.is_enabled = is_enabled or (lambda pb: True)

    def find(self, parent: Playbook, ref: str) -> Path:
        candidates: list[Path] = []
        rel = Path(ref).expanduser()
        if rel.is_absolute():
            candidates.append(rel)
        else:
            if parent.folder:
                candidates.append(parent.folder / rel)
            candidates.extend(root / rel for root in self.roots)
        for c in candidates:
            for variant in (c, c.with_suffix(".yaml"), c.with_suffix(".yml")):
                if variant.is_file():
                    return variant.resolve()
        searched = ", ".join(str(c.parent) for c in candidates) or "nowhere"
        raise NestingError(f"playbook.run: {ref!r} not found (looked in {searched})")

    def load_child(self, parent: Playbook, ref: str, stack: tuple[str, ...]) -> Playbook:
        from igtk_tui.playbook.loader import load_file

        path = self.find(parent, ref)
        if str(path) in stack:
            chain = " -> ".join(Path(p).name for p in (*stack, str(path)))
            raise NestingError(f"playbook.run: cycle {chain}")
        child = load_file(path)
        if not self.is_enabled(child):
            raise NestingError(f"playbook.run: {ref!r} is disabled in the library")
        if not self.is_verified(child):
            raise NestingError(
                f"playbook.run: {ref!r} is not verified; only verified playbooks may be nested "
                "(set `verified: true` after reviewing it, or mark it verified in the library)"
            )
        return child

    def check_tree(self, root: Playbook) -> list[Playbook]:
        """Reject cycles (A->A included), depth over 3 and unknown/unverified children before running.

        Returns the root and every child named by a literal path, each loaded once, so the
        pre-run checks that look through the tree (e.g. the browser pre-flight) need not load it again.
        """
        root_key = str(root.path) if root.path else "<root>"
        tree = [root]
        self._walk(root, (root_key,), 0, tree)
        return tree

    def _walk(self, playbook: Playbook, stack: tuple[str, ...], depth: int, tree: list[Playbook]) -> None:
        for step in (*playbook.steps, *playbook.on_rollback):
            if step.type != "playbook.run":
                continue
            ref = step.parameters.get("playbook")
            if not isinstance(ref, str) or has_refs(ref):
                continue  # decided at run time
            where = f"{step.location}: " if step.location else ""
            if depth + 1 > MAX_DEPTH:
                raise NestingError(f"{where}playbook.run nests deeper than {MAX_DEPTH} levels")
            try:
                child = self.load_child(playbook, ref, stack)
            except InvalidInput as exc:
                raise NestingError(f"{where}{exc}") from None
            tree.append(child)
            self._walk(child, (*stack, str(child.path)), depth + 1, tree)


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
