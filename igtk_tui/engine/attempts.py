"""One step's attempts: its parameters resolved and checked, the handler run under the
step's timeout, retries with delay and backoff; every attempt is an event."""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.engine.controls import StepInterrupted
from igtk_tui.engine.events import AttemptFinished, StepStarted, StepStatus
from igtk_tui.engine.frame import ExecutionAborted, Frame, StepOutcome
from igtk_tui.playbook import refs
from igtk_tui.playbook.model import Step
from igtk_tui.steptypes import StepType, check_value

if TYPE_CHECKING:
    from igtk_tui.engine.runner import Runner


async def run_attempts(runner: Runner, frame: Frame, step: Step, path: str) -> StepOutcome:
    """Every attempt of one step: parameters resolved and checked, the handler under the
    step's timeout, retries with delay and backoff (safe points for pause), each recorded."""
    step_type = runner.registry.get(step.type)
    max_attempts = step.retry_count + 1
    started = time.monotonic()
    error: str | None = None
    context: dict[str, Any] = {}
    for attempt in range(1, max_attempts + 1):
        runner.emit(StepStarted(runner.execution_id, step_id=path, attempt=attempt, max_attempts=max_attempts))
        attempt_start = time.monotonic()
        ctx = StepContext(runner, frame, step, path, attempt)
        retryable = True
        timer: asyncio.Timeout | None = None
        try:
            if step_type is None:
                raise StepFailure(f"unknown step type {step.type!r}")
            params = await resolve_params(runner, frame, step, step_type)
            async with asyncio.timeout(step.timeout) as timer:
                runner.controls.add_timer(timer)
                try:
                    output = await step_type.handler(ctx, **params)
                finally:
                    runner.controls.remove_timer(timer)
            output = dict(output or {})
            runner.emit(AttemptFinished(runner.execution_id, step_id=path, attempt=attempt, ok=True, error=None,
                                        duration=time.monotonic() - attempt_start))
            return StepOutcome(StepStatus.COMPLETED, output, None, attempt, time.monotonic() - started)
        except (asyncio.CancelledError, StepInterrupted):
            raise
        except TimeoutError as exc:
            # Only the step's own timer means "the step timed out"; a handler's
            # internal timeout (a wait_for, a socket) is reported as what it is.
            error = f"timed out after {step.timeout:g} s" if timer and timer.expired() else describe(exc)
        except (StepFailure, ExecutionAborted) as exc:  # a ParamError is a StepFailure that is not transient
            error, retryable = str(exc), getattr(exc, "transient", True)
        except Exception as exc:  # noqa: BLE001 - any handler error fails the attempt
            error = describe(exc)
            if getattr(runner.settings, "debug_tracebacks", False):
                runner.log(path, "debug", traceback.format_exc())
        context = ctx.failure_context
        runner.emit(AttemptFinished(runner.execution_id, step_id=path, attempt=attempt, ok=False,
                                    error=redact.scrub(error), duration=time.monotonic() - attempt_start))
        if attempt < max_attempts and retryable:
            delay = step.retry_delay * (step.backoff ** (attempt - 1))
            runner.log(path, "warning", f"attempt {attempt}/{max_attempts} failed: {error}; retrying in {delay:g} s")
            await ctx.sleep(delay)
        else:
            return StepOutcome(StepStatus.FAILED, {}, error, attempt, time.monotonic() - started, context=context)
    raise AssertionError("unreachable")  # pragma: no cover


def raw_params(runner: Runner, frame: Frame, step: Step) -> dict[str, Any]:
    """The step's parameters as written, with the operator's debug edits over them."""
    override = runner.controls.param_overrides.get(frame.path(step))
    return {**step.parameters, **override} if override else dict(step.parameters)


async def resolve_params(runner: Runner, frame: Frame, step: Step, step_type: StepType) -> dict[str, Any]:
    """References resolved, values checked against the step type's schema, secrets registered."""
    raw = raw_params(runner, frame, step)
    await runner.creds.prefetch(frame, raw)
    try:
        resolved = refs.resolve(raw, runner.lookup(frame))
    except refs.UnresolvedReference as exc:
        raise ParamError(f"cannot resolve {exc}") from None
    out: dict[str, Any] = {}
    for spec in step_type.params:
        if spec.name in resolved:
            value, err = check_value(spec, resolved[spec.name])
            if err:
                raise ParamError(err)
            out[spec.name] = value
        elif spec.default is not None:
            out[spec.name] = spec.default
        elif spec.required:
            raise ParamError(f"missing parameter {spec.name!r}")
        if spec.secret and out.get(spec.name) is not None:
            redact.register(out[spec.name])
    extras = {k: v for k, v in resolved.items() if step_type.param(k) is None}
    if extras:
        if not step_type.extra_params:
            raise ParamError(f"unknown parameters: {', '.join(sorted(extras))}")
        out["extra"] = extras
    return out


class ParamError(StepFailure):
    """A parameter could not be resolved or validated: retrying cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


def describe(exc: BaseException) -> str:
    """`Type: message`, or the type alone when the message is empty."""
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
