"""The step loop of a run: breakpoints, pauses and operator interrupts at each
step, `when:`, each step as its own task (so skip, step back and cancel reach
it), on_failure (abort / continue / rollback) and debug pauses. A step's
attempts are in `attempts`, the frame state in `frame`, nested playbooks in
`nesting`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.attempts import raw_params, run_attempts
from igtk_tui.engine.context import Resources
from igtk_tui.engine.controls import Controls, StepInterrupted
from igtk_tui.engine.events import (
    ArtifactAdded,
    Event,
    EventBus,
    ExecutionNote,
    ExecutionPaused,
    ExecutionResumed,
    LogRecord,
    StepFinished,
    StepInfo,
    StepReset,
    StepsAdded,
    StepStatus,
)
from igtk_tui.engine.frame import ExecutionAborted, Frame, StepOutcome
from igtk_tui.engine.references import Credentials, lookup_for
from igtk_tui.playbook import conditions, refs
from igtk_tui.playbook.model import OnFailure, Playbook, Step
from igtk_tui.steptypes import Registry

if TYPE_CHECKING:
    from igtk_tui.engine.nesting import PlaybookResolver


class Runner:
    """Runs the frames of one execution: shared by the root playbook and its nested children."""

    def __init__(
        self,
        *,
        execution_id: str,
        bus: EventBus,
        controls: Controls,
        settings: Any,
        artifacts_dir: Path,
        credentials: Any,
        resolver: PlaybookResolver,
        registry: Registry,
        gateway_override: str | None = None,
    ) -> None:
        self.execution_id = execution_id
        self.gateway_override = gateway_override  # `--gateway`: wins over a credential's URL in every step
        self.bus = bus
        self.controls = controls
        self.settings = settings
        self.artifacts_dir = artifacts_dir
        self.creds = Credentials(credentials)
        self.resolver = resolver
        self.registry = registry  # the step types this execution runs
        self.resources = Resources()
        self._artifacts: dict[str, list[str]] = {}
        self._seeded_breakpoints: set[str] = set()

    # -- events -----------------------------------------------------------
    def emit(self, event: Event) -> None:
        self.bus.emit(event)

    def log(self, step_id: str | None, level: str, message: str) -> None:
        self.emit(LogRecord(self.execution_id, step_id=step_id, level=level, message=redact.scrub(str(message))))

    def note(self, key: str, value: Any) -> None:
        self.emit(ExecutionNote(self.execution_id, key=key, value=redact.scrub_obj(value)))

    def add_artifact(self, step_id: str, path: str, kind: str) -> str:
        self._artifacts.setdefault(step_id, []).append(path)
        self.emit(ArtifactAdded(self.execution_id, step_id=step_id, path=path, artifact_kind=kind))
        return path

    def seed_breakpoints(self, prefix: str, playbook: Playbook) -> None:
        """`breakpoint: true` in the YAML starts as an ordinary breakpoint the operator can
        toggle off; seeded once per step path (a re-run child keeps the operator's choice)."""

        def walk(steps: tuple[Step, ...]) -> None:
            for s in steps:
                path = prefix + s.id
                if s.breakpoint and path not in self._seeded_breakpoints:
                    self._seeded_breakpoints.add(path)
                    self.controls.breakpoints.add(path)
                walk(s.on_rollback)

        walk(playbook.steps)
        walk(playbook.on_rollback)

    # -- pausing ------------------------------------------------------------
    async def _pause(self, step_id: str | None, reason: str, context: dict[str, Any]) -> str | None:
        self.emit(ExecutionPaused(self.execution_id, step_id=step_id, reason=reason,
                                  context=redact.scrub_obj(context)))
        action = await self.controls.wait_while_paused()
        if not self.controls.pause_requested:
            self.emit(ExecutionResumed(self.execution_id))
        return action

    async def checkpoint(self, step_id: str) -> None:
        if self.controls.cancelled:
            raise asyncio.CancelledError
        if self.controls.pause_requested:
            action = await self._pause(step_id, self.controls.pause_reason, {})
            if action:
                raise StepInterrupted(action)

    async def pause_in_step(self, step_id: str, reason: str, context: dict[str, Any]) -> None:
        self.controls.pause_requested = True
        self.controls.pause_reason = reason
        action = await self._pause(step_id, reason, context)
        if action:
            raise StepInterrupted(action)

    async def _gate(self, frame: Frame, step: Step) -> str | None:
        """Before a step: honour cancel, pause, breakpoints. Returns "skip"/"back"/None."""
        c = self.controls
        if c.cancelled:
            raise asyncio.CancelledError
        path = frame.path(step)
        reason = None
        if path in c.breakpoints:
            reason = "breakpoint"
        elif c.pause_requested:
            reason = c.pause_reason
        if reason is None:
            return None
        c.pause_requested = True
        c.pause_reason = reason
        context = {"step": path, "name": step.name, "type": step.type,
                   "parameters": self._preview_params(frame, step), "variables": frame.scrubbed_variables()}
        action = await self._pause(path, reason, context)
        return action

    def _preview_params(self, frame: Frame, step: Step) -> dict[str, Any]:
        preview: dict[str, Any]
        try:
            preview = redact.scrub_obj(refs.resolve(raw_params(self, frame, step), self.lookup(frame)))
        except Exception:  # noqa: BLE001 - a preview must never fail the gate
            preview = redact.scrub_obj(raw_params(self, frame, step))
        return preview

    # -- the loop -------------------------------------------------------------
    async def run_frame(self, frame: Frame, start: int = 0) -> None:
        """Run a frame's steps; raises ExecutionAborted when a step aborts the run."""
        steps = frame.playbook.steps
        completed: list[Step] = []
        completed_ids: set[int] = set()
        i = start
        while i < len(steps):
            step = steps[i]
            path = frame.path(step)
            action = await self._gate(frame, step)
            if action == "back":
                i = self._step_back(frame, steps, i)
                continue
            if action == "skip":
                self._finish_skipped(frame, step, "operator")
                i += 1
                continue
            if step.when is not None and not await self._condition(frame, step):
                self._finish_skipped(frame, step, "condition")
                i += 1
                continue
            outcome = await self._run_step(frame, step)
            if outcome.interrupt == "back":
                self._reset(frame, step)
                i = self._step_back(frame, steps, i)
                continue
            if outcome.status == StepStatus.FAILED and self.controls.debug:
                # Debug: pause on the failure instead of failing, then retry the step.
                self.controls.pause_requested = True
                self.controls.pause_reason = "failure"
                ctx = {"step": path, "name": step.name, "type": step.type, "error": outcome.error,
                       "parameters": self._preview_params(frame, step), "variables": frame.scrubbed_variables(),
                       **outcome.context}
                action = await self._pause(path, "failure", ctx)
                if action == "back":
                    self._reset(frame, step)
                    i = self._step_back(frame, steps, i)
                    continue
                if action != "skip":
                    self._reset(frame, step)
                    continue  # re-run the same step
                self._finish_skipped(frame, step, "operator")
                i += 1
                continue
            if outcome.status == StepStatus.COMPLETED:
                if id(step) not in completed_ids:  # a step re-run by step back counts once
                    completed_ids.add(id(step))
                    completed.append(step)
            elif outcome.status == StepStatus.FAILED and step.on_failure != OnFailure.CONTINUE:
                error = f"step {path!r} failed: {outcome.error}"
                if step.on_failure == OnFailure.ROLLBACK:
                    ok, planned = await self._rollback(frame, [*completed, step])
                    error += f" (rolled back: {ok} of {planned} compensation steps completed)"
                raise ExecutionAborted(error)
            if self.controls.debug and i + 1 < len(steps):
                self.controls.pause_requested = True
                self.controls.pause_reason = "debug"
            i += 1

    def _step_back(self, frame: Frame, steps: tuple[Step, ...], i: int) -> int:
        target = max(0, i - 1)
        self._reset(frame, steps[target])
        self.log(frame.path(steps[target]), "info", "step back: re-running this step")
        return target

    def _reset(self, frame: Frame, step: Step) -> None:
        frame.statuses[step.id] = StepStatus.PENDING
        self.emit(StepReset(self.execution_id, step_id=frame.path(step)))

    def _finish_skipped(self, frame: Frame, step: Step, reason: str) -> None:
        frame.statuses[step.id] = StepStatus.SKIPPED
        frame.outputs.pop(step.id, None)
        self.emit(StepFinished(self.execution_id, step_id=frame.path(step), status=StepStatus.SKIPPED,
                               output={}, error=None, attempts=0, duration=0.0,
                               variables=frame.scrubbed_variables(), reason=reason))

    async def _condition(self, frame: Frame, step: Step) -> bool:
        try:
            return conditions.evaluate(step.when or "", self.lookup(frame))
        except Exception as exc:  # noqa: BLE001
            raise ExecutionAborted(f"step {frame.path(step)!r}: when: {exc}") from None

    # -- one step ---------------------------------------------------------------
    async def _run_step(self, frame: Frame, step: Step) -> StepOutcome:
        path = frame.path(step)
        frame.statuses[step.id] = StepStatus.RUNNING
        started = time.monotonic()
        task = asyncio.create_task(run_attempts(self, frame, step, path), name=f"step:{path}")
        running = self.controls.push(path, task)
        try:
            outcome = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if running.interrupt in ("skip", "back") and not (current and current.cancelling()):
                outcome = StepOutcome(StepStatus.SKIPPED, {}, None, 0, time.monotonic() - started,
                                      interrupt=running.interrupt)
            else:
                if not task.done():
                    task.cancel()
                because = self.controls.interrupted_because
                why = (f"interrupted: {because}" if because
                       else "cancelled by operator" if self.controls.cancelled
                       else "interrupted: timed out" if self.controls.timed_out else "interrupted")
                self._finish(frame, step, StepOutcome(StepStatus.CANCELLED, {}, why, 0, time.monotonic() - started))
                raise
        except StepInterrupted as exc:
            outcome = StepOutcome(StepStatus.SKIPPED, {}, None, 0, time.monotonic() - started, interrupt=exc.action)
        finally:
            self.controls.pop(running)
        if outcome.interrupt == "back":
            return outcome
        self._finish(frame, step, outcome, reason="operator" if outcome.interrupt == "skip" else None)
        return outcome

    def _finish(self, frame: Frame, step: Step, outcome: StepOutcome, reason: str | None = None) -> None:
        frame.statuses[step.id] = outcome.status
        if outcome.status == StepStatus.COMPLETED:
            frame.outputs[step.id] = outcome.output
        path = frame.path(step)
        self.emit(StepFinished(
            self.execution_id, step_id=path, status=outcome.status,
            output=redact.scrub_obj(outcome.output), error=redact.scrub(outcome.error) if outcome.error else None,
            attempts=outcome.attempts, duration=outcome.duration,
            artifacts=tuple(self._artifacts.get(path, ())),
            variables=frame.scrubbed_variables(), reason=reason,
        ))

    # -- references ----------------------------------------------------------------
    async def credential(self, name: str) -> Any:
        return await self.creds.get(name)

    @property
    def credentials_used(self) -> list[str]:
        return self.creds.used

    def lookup(self, frame: Frame) -> refs.Lookup:
        """What references in this frame's steps resolve against."""
        return lookup_for(frame, self.creds)

    # -- rollback ------------------------------------------------------------------
    async def _rollback(self, frame: Frame, done: list[Step]) -> tuple[int, int]:
        """Run compensation steps in reverse order, honouring their `when:` and
        breakpoints; a failing one is logged and the rest still run.
        Returns (completed, planned)."""
        plan: list[tuple[str | None, Step]] = []
        for step in reversed(done):
            plan.extend((frame.path(step), rb) for rb in step.on_rollback)
        plan.extend((None, rb) for rb in frame.playbook.on_rollback)
        if not plan:
            self.log(None, "warning", "rollback requested but no on_rollback steps are defined")
            return 0, 0
        infos = tuple(StepInfo(frame.path(rb), rb.id, rb.name, rb.type, parent=parent, role="rollback",
                               breakpoint=frame.path(rb) in self.controls.breakpoints)
                      for parent, rb in plan)
        self.emit(StepsAdded(self.execution_id, parent=frame.prefix.rstrip("/") or None, steps=infos))
        completed = 0
        for _parent, rb in plan:
            if await self._gate(frame, rb) == "skip":
                self._finish_skipped(frame, rb, "operator")
                continue
            if rb.when is not None and not await self._condition(frame, rb):
                self._finish_skipped(frame, rb, "condition")
                continue
            outcome = await self._run_step(frame, rb)
            if outcome.status == StepStatus.COMPLETED:
                completed += 1
            else:
                self.log(frame.path(rb), "error", f"rollback step failed: {outcome.error}")
        return completed, len(plan)
