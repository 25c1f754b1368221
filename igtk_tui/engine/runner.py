"""Runs steps: references, `when:`, timeouts, retries with backoff, on_failure
(abort / continue / rollback), breakpoints, debug pauses, operator
interrupts and nested playbooks."""

from __future__ import annotations

import asyncio
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.context import Resources, StepContext, StepFailure
from igtk_tui.engine.controls import Controls, StepInterrupted
from igtk_tui.engine.events import (
    ArtifactAdded,
    AttemptFinished,
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
    StepStarted,
    StepStatus,
)
from igtk_tui.engine.references import Credentials, lookup_for
from igtk_tui.errors import InvalidInput
from igtk_tui.playbook import conditions, refs
from igtk_tui.playbook.model import OnFailure, Playbook, Step

if TYPE_CHECKING:
    from igtk_tui.engine.nesting import PlaybookResolver

MAX_NESTING_DEPTH = 3


class ExecutionAborted(Exception):
    """The run stops as failed; the message is the execution's error."""


@dataclass
class Frame:
    """One playbook level: the root run, or a nested playbook.run child."""

    playbook: Playbook
    params: dict[str, Any]
    prefix: str = ""
    depth: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, StepStatus] = field(default_factory=dict)
    failed_steps: int = 0
    stack: tuple[str, ...] = ()
    # name -> (raw value, scrubbed name, scrubbed value, redactor version): see scrubbed_variables.
    scrub_cache: dict[str, tuple[Any, Any, Any, int]] = field(default_factory=dict, repr=False, compare=False)
    scrub_snapshot: tuple[int, dict[str, Any], dict[str, Any]] | None = field(default=None, repr=False,
                                                                             compare=False)

    def path(self, step: Step) -> str:
        return self.prefix + step.id

    def scrubbed_variables(self) -> dict[str, Any]:
        """A scrubbed snapshot of the variables for an event.

        Every StepFinished carries one; re-scrubbing every value on every step made a run
        with many variables (and any secret registered) cost O(variables) regex work per
        step. An immutable value that is the same object as last time, scrubbed against the
        same set of secrets, reuses its scrubbed form; anything else is scrubbed afresh.
        """
        red = redact.REDACTOR
        if not red.active:
            return dict(self.variables)
        version = red.version
        last = self.scrub_snapshot
        if last is not None and last[0] == version and last[1].keys() == self.variables.keys():
            # Since the last step (whose values were all immutable) usually a value or two
            # changed: scrub those, reuse the rest.
            before, out = last[1], dict(last[2])
            for name, value in self.variables.items():
                if before[name] is not value:
                    if not isinstance(value, _IMMUTABLE):
                        break
                    out[red.scrub_obj(name)] = red.scrub_obj(value)
            else:
                self.scrub_snapshot = (version, dict(self.variables), out)
                return dict(out)
        cache = self.scrub_cache
        out: dict[str, Any] = {}
        immutable = True
        for name, value in self.variables.items():
            if not isinstance(value, _IMMUTABLE):
                immutable = False
            hit = cache.get(name)
            if hit is not None and hit[0] is value and hit[3] == version and isinstance(value, _IMMUTABLE):
                out[hit[1]] = hit[2]
                continue
            key, scrubbed = red.scrub_obj(name), red.scrub_obj(value)
            cache[name] = (value, key, scrubbed, version)
            out[key] = scrubbed
        self.scrub_snapshot = (version, dict(self.variables), dict(out)) if immutable else None
        return out


_IMMUTABLE = (str, int, float, bool, bytes, type(None))


@dataclass
class StepOutcome:
    status: StepStatus
    output: dict[str, Any]
    error: str | None
    attempts: int
    duration: float
    interrupt: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


class Runner:
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
    ) -> None:
        self.execution_id = execution_id
        self.bus = bus
        self.controls = controls
        self.settings = settings
        self.artifacts_dir = artifacts_dir
        self.creds = Credentials(credentials)
        self.resolver = resolver
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
                   "parameters": self._preview_params(frame, step)}
        action = await self._pause(path, reason, context)
        return action

    def _preview_params(self, frame: Frame, step: Step) -> dict[str, Any]:
        try:
            return redact.scrub_obj(refs.resolve(self._raw_params(frame, step), self._lookup_sync(frame)))
        except Exception:  # noqa: BLE001 - a preview must never fail the gate
            return redact.scrub_obj(self._raw_params(frame, step))

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
                       "parameters": self._preview_params(frame, step), **outcome.context}
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
            elif outcome.status == StepStatus.FAILED:
                if step.on_failure == OnFailure.CONTINUE:
                    frame.failed_steps += 1
                else:
                    frame.failed_steps += 1
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
            return conditions.evaluate(step.when or "", self._lookup_sync(frame))
        except Exception as exc:  # noqa: BLE001
            raise ExecutionAborted(f"step {frame.path(step)!r}: when: {exc}") from None

    # -- one step ---------------------------------------------------------------
    async def _run_step(self, frame: Frame, step: Step) -> StepOutcome:
        path = frame.path(step)
        frame.statuses[step.id] = StepStatus.RUNNING
        started = time.monotonic()
        task = asyncio.create_task(self._attempts(frame, step, path), name=f"step:{path}")
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
                why = ("cancelled by operator" if self.controls.cancelled
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

    async def _attempts(self, frame: Frame, step: Step, path: str) -> StepOutcome:
        from igtk_tui.steps.registry import REGISTRY

        step_type = REGISTRY.get(step.type)
        max_attempts = step.retry_count + 1
        started = time.monotonic()
        error: str | None = None
        context: dict[str, Any] = {}
        for attempt in range(1, max_attempts + 1):
            self.emit(StepStarted(self.execution_id, step_id=path, attempt=attempt, max_attempts=max_attempts))
            attempt_start = time.monotonic()
            ctx = StepContext(self, frame, step, path, attempt)
            retryable = True
            timer: asyncio.Timeout | None = None
            try:
                if step_type is None:
                    raise StepFailure(f"unknown step type {step.type!r}")
                params = await self._params(frame, step, step_type)
                async with asyncio.timeout(step.timeout) as timer:
                    self.controls.add_timer(timer)
                    try:
                        output = await step_type.handler(ctx, **params)
                    finally:
                        self.controls.remove_timer(timer)
                output = dict(output or {})
                self.emit(AttemptFinished(self.execution_id, step_id=path, attempt=attempt, ok=True, error=None,
                                          duration=time.monotonic() - attempt_start))
                return StepOutcome(StepStatus.COMPLETED, output, None, attempt, time.monotonic() - started)
            except (asyncio.CancelledError, StepInterrupted):
                raise
            except TimeoutError as exc:
                # Only the step's own timer means "the step timed out"; a handler's
                # internal timeout (a wait_for, a socket) is reported as what it is.
                error = f"timed out after {step.timeout:g} s" if timer and timer.expired() else _describe(exc)
            except _ParamError as exc:
                error, retryable = str(exc), False
            except (StepFailure, ExecutionAborted) as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - any handler error fails the attempt
                error = _describe(exc)
                if getattr(self.settings, "debug_tracebacks", False):
                    self.log(path, "debug", traceback.format_exc())
            context = ctx.failure_context
            self.emit(AttemptFinished(self.execution_id, step_id=path, attempt=attempt, ok=False,
                                      error=redact.scrub(error), duration=time.monotonic() - attempt_start))
            if attempt < max_attempts and retryable:
                delay = step.retry_delay * (step.backoff ** (attempt - 1))
                self.log(path, "warning", f"attempt {attempt}/{max_attempts} failed: {error}; retrying in {delay:g} s")
                await ctx.sleep(delay)
            else:
                return StepOutcome(StepStatus.FAILED, {}, error, attempt, time.monotonic() - started,
                                   context=context)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raw_params(self, frame: Frame, step: Step) -> dict[str, Any]:
        override = self.controls.param_overrides.get(frame.path(step))
        return {**step.parameters, **override} if override else dict(step.parameters)

    async def _params(self, frame: Frame, step: Step, step_type: Any) -> dict[str, Any]:
        from igtk_tui.steps.registry import check_value

        raw = self._raw_params(frame, step)
        await self.creds.prefetch(frame, raw)
        try:
            resolved = refs.resolve(raw, self._lookup_sync(frame))
        except refs.ReferenceError_ as exc:
            raise _ParamError(f"cannot resolve {exc}") from None
        out: dict[str, Any] = {}
        for spec in step_type.params:
            if spec.name in resolved:
                value, err = check_value(spec, resolved[spec.name])
                if err:
                    raise _ParamError(err)
                out[spec.name] = value
            elif spec.default is not None:
                out[spec.name] = spec.default
            elif spec.required:
                raise _ParamError(f"missing parameter {spec.name!r}")
            if spec.secret and out.get(spec.name) is not None:
                redact.register(out[spec.name])
        extras = {k: v for k, v in resolved.items() if step_type.param(k) is None}
        if extras:
            if not step_type.extra_params:
                raise _ParamError(f"unknown parameters: {', '.join(sorted(extras))}")
            out["extra"] = extras
        return out

    # -- references ----------------------------------------------------------------
    async def credential(self, name: str) -> Any:
        return await self.creds.get(name)

    @property
    def credentials_used(self) -> list[str]:
        return self.creds.used

    def _lookup_sync(self, frame: Frame) -> refs.Lookup:
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

    # -- nesting ---------------------------------------------------------------------
    async def run_child(self, ctx: StepContext, playbook_ref: str, params: dict[str, Any]) -> dict[str, Any]:
        from igtk_tui.playbook.params import bind_parameters

        parent = ctx.frame
        if parent.depth + 1 > MAX_NESTING_DEPTH:
            raise StepFailure(f"nesting deeper than {MAX_NESTING_DEPTH} levels is not allowed")
        try:
            child_pb = self.resolver.load_child(parent.playbook, playbook_ref, parent.stack)
            bound = bind_parameters(child_pb, params)
        except InvalidInput as exc:  # not found, unverified, cycle, bad parameters: retrying cannot help
            raise _ParamError(str(exc)) from None
        from igtk_tui.playbook.params import secret_parameter_names

        for name in secret_parameter_names(child_pb):  # as for a top-level run: the child's secrets too
            if bound.get(name) is not None:
                redact.register(bound[name])
        child = Frame(playbook=child_pb, params=bound, prefix=ctx.step_id + "/", depth=parent.depth + 1,
                      stack=(*parent.stack, str(child_pb.path)))
        self.seed_breakpoints(child.prefix, child_pb)
        infos = tuple(StepInfo(child.path(s), s.id, s.name, s.type, parent=ctx.step_id,
                               breakpoint=child.path(s) in self.controls.breakpoints) for s in child_pb.steps)
        self.emit(StepsAdded(self.execution_id, parent=ctx.step_id, steps=infos))
        status, error = "completed", None
        try:
            await self.run_frame(child)
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


class _ParamError(Exception):
    """A parameter could not be resolved or validated: retrying cannot help."""


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
