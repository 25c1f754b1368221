"""One execution of a playbook: its id, status, controls and lifecycle.

`Execution.run()` emits ExecutionStarted (every step listed pending), runs the
steps, and always emits ExecutionFinished, whatever happens: completed,
failed, or cancelled (also when the surrounding task is cancelled).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui import redact
from igtk_tui.engine.controls import Controls
from igtk_tui.engine.events import (
    ControlsChanged,
    EventBus,
    ExecutionFinished,
    ExecutionStarted,
    ExecutionStatus,
    StepFinished,
    StepInfo,
    StepStatus,
)
from igtk_tui.engine.frame import ExecutionAborted, Frame
from igtk_tui.engine.nesting import PlaybookResolver
from igtk_tui.engine.runner import Runner
from igtk_tui.engine.state import ExecutionState
from igtk_tui.playbook.model import Playbook
from igtk_tui.playbook.params import secret_parameter_names
from igtk_tui.steptypes import REGISTRY, Registry


@dataclass
class ResumeState:
    """What a resumed run starts from: outputs and variables of finished steps."""

    resumed_from: str
    outputs: dict[str, dict[str, Any]]
    variables: dict[str, Any]
    start_step: str
    # Finished steps before start_step that are run again first, because what they opened (a
    # gateway session, a browser page) died with the old process and later steps use it.
    reopen: tuple[str, ...] = ()


@dataclass
class ExecutionResult:
    id: str
    status: ExecutionStatus
    error: str | None
    failed_steps: int
    duration: float
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)


class Execution:
    def __init__(
        self,
        playbook: Playbook,
        params: dict[str, Any],
        *,
        bus: EventBus | None = None,
        settings: Any = None,
        artifacts_root: Path | None = None,
        credentials: Any = None,
        resolver: PlaybookResolver | None = None,
        execution_id: str | None = None,
        debug: bool = False,
        breakpoints: tuple[str, ...] = (),
        trigger: str = "cli",
        gateway_url: str | None = None,
        gateway_override: str | None = None,
        credential_names: tuple[str, ...] = (),
        resume: ResumeState | None = None,
        timeout: float | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.id = execution_id or _uuid4()
        self.playbook = playbook
        self.params = params
        self.bus = bus or EventBus()
        self.settings = settings
        self.trigger = trigger
        self.gateway_url = gateway_url
        self.credential_names = credential_names
        self.resume_state = resume
        self.timeout = timeout if timeout is not None else getattr(settings, "execution_timeout", None)
        self.status = ExecutionStatus.PENDING
        self.controls = Controls(debug=debug, breakpoints=set(breakpoints))
        self.controls.on_change = self._controls_changed
        root = artifacts_root or Path.cwd() / "artifacts"
        self.artifacts_dir = root / self.id
        self.runner = Runner(
            execution_id=self.id, bus=self.bus, controls=self.controls, settings=settings,
            artifacts_dir=self.artifacts_dir, credentials=credentials,
            resolver=resolver or PlaybookResolver(registry=registry), registry=registry or REGISTRY,
            gateway_override=gateway_override,
        )
        self.runner.seed_breakpoints("", playbook)
        self._task: asyncio.Task[None] | None = None
        self.frame = Frame(playbook=playbook, params=params, stack=(str(playbook.path),) if playbook.path else ())
        # The one fold of this run's events (engine/state.py): applied before any other subscriber
        # sees an event, so the recorder, the progress and the agent read it instead of folding again.
        self.state = ExecutionState(self.id, playbook.name, trigger=trigger)
        self.bus.subscribe(self._fold, first=True)

    # -- controls (callable at any moment) ------------------------------------------
    def pause(self) -> None:
        self.controls.pause()

    def resume(self) -> None:
        self.controls.resume()

    def skip(self) -> None:
        self.controls.skip()

    def step_back(self) -> None:
        self.controls.step_back()

    def cancel(self) -> None:
        self.controls.cancel()

    def interrupt(self, reason: str) -> None:
        """Stop the run for something other than the operator (a signal, a crash): `interrupted: REASON`."""
        self.controls.interrupt(reason)

    def set_debug(self, on: bool) -> None:
        self.controls.set_debug(on)

    def toggle_breakpoint(self, step_path: str) -> bool:
        return self.controls.toggle_breakpoint(step_path)

    def _cancel_task(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()

    def _controls_changed(self) -> None:
        self.bus.emit(ControlsChanged(self.id, debug=self.controls.debug,
                                      breakpoints=tuple(sorted(self.controls.breakpoints)),
                                      pause_requested=self.controls.pause_requested))

    def _fold(self, event: Any) -> None:
        if event.execution_id != self.id:
            return  # another execution on a shared bus
        self.state.apply(event)
        kind = event.kind
        if kind == "paused":
            self.status = ExecutionStatus.PAUSED
        elif kind == "resumed" and self.status == ExecutionStatus.PAUSED:
            self.status = ExecutionStatus.RUNNING

    # -- lifecycle ------------------------------------------------------------------
    def step_infos(self) -> tuple[StepInfo, ...]:
        return tuple(StepInfo(s.id, s.id, s.name, s.type, breakpoint=s.id in self.controls.breakpoints)
                     for s in self.playbook.steps)

    async def run(self) -> ExecutionResult:
        for name in secret_parameter_names(self.playbook):
            if self.params.get(name) is not None:
                redact.register(self.params[name])
        started = time.monotonic()
        self.status = ExecutionStatus.RUNNING
        self.bus.emit(ExecutionStarted(
            self.id, playbook=self.playbook.name,
            playbook_path=str(self.playbook.path) if self.playbook.path else None,
            playbook_hash=self.playbook.content_hash, parameters=redact.scrub_obj(dict(self.params)),
            steps=self.step_infos(), debug=self.controls.debug, trigger=self.trigger,
            gateway_url=self.gateway_url, credentials=self.credential_names,
            resumed_from=self.resume_state.resumed_from if self.resume_state else None,
            playbook_source=self.playbook.source,
        ))
        start_index = self._restore()
        self._task = asyncio.create_task(self._run_steps(start_index), name=f"execution:{self.id}")
        self.controls.cancel_hook = self._cancel_task
        error: str | None = None
        outer_cancelled = False
        try:
            await self._task
            self.status = ExecutionStatus.COMPLETED
        except ExecutionAborted as exc:
            self.status, error = ExecutionStatus.FAILED, str(exc)
        except TimeoutError:
            self.status = ExecutionStatus.FAILED
            error = f"execution timed out after {self.timeout:g} s"
        except asyncio.CancelledError:
            because = self.controls.interrupted_because
            self.status, error = ((ExecutionStatus.INTERRUPTED, f"interrupted: {because}") if because
                                  else (ExecutionStatus.CANCELLED, "cancelled by operator"))
            current = asyncio.current_task()
            outer_cancelled = bool(current and current.cancelling())
            self._cancel_task()
            # Let the step in flight finish its own cleanup (subprocess kill, events).
            await asyncio.wait({self._task})
        finally:
            if self.status in (ExecutionStatus.RUNNING, ExecutionStatus.PAUSED):
                self.status, error = ExecutionStatus.FAILED, error or "internal error"
            await self.runner.resources.aclose()
            duration = time.monotonic() - started
            self.bus.emit(ExecutionFinished(self.id, status=self.status, error=redact.scrub(error) if error else None,
                                            failed_steps=self.frame.failed_steps, duration=duration))
        result = ExecutionResult(self.id, self.status, error, self.frame.failed_steps, duration,
                                 outputs=self.frame.outputs, variables=self.frame.variables)
        if outer_cancelled:
            raise asyncio.CancelledError
        return result

    def _restore(self) -> int:
        state = self.resume_state
        if not state:
            return 0
        ids = [s.id for s in self.playbook.steps]
        if state.start_step not in ids:
            return 0
        index = ids.index(state.start_step)
        self.frame.variables.update(state.variables)
        for step in self.playbook.steps[:index]:
            if step.id in state.reopen:
                continue  # run again by _run_steps, before the start step
            output = state.outputs.get(step.id)
            if output is None:
                self.frame.statuses[step.id] = StepStatus.SKIPPED
                self.bus.emit(StepFinished(self.id, step_id=step.id, status=StepStatus.SKIPPED, output={},
                                           error=None, attempts=0, duration=0.0, reason="restored"))
                continue
            self.frame.outputs[step.id] = output
            self.frame.statuses[step.id] = StepStatus.COMPLETED
            self.bus.emit(StepFinished(self.id, step_id=step.id, status=StepStatus.COMPLETED,
                                       output=redact.scrub_obj(output), error=None, attempts=0, duration=0.0,
                                       variables=redact.scrub_obj(dict(self.frame.variables)), reason="restored"))
        return index

    async def _run_steps(self, start_index: int) -> None:
        if self.timeout:
            async with asyncio.timeout(self.timeout) as timer:
                self.controls.add_timer(timer)
                await self._reopen()
                await self.runner.run_frame(self.frame, start_index)
        else:
            await self._reopen()
            await self.runner.run_frame(self.frame, start_index)

    async def _reopen(self) -> None:
        """Resume: run again, in order, the finished steps whose sessions later steps need."""
        for step_id in self.resume_state.reopen if self.resume_state else ():
            step = self.playbook.step(step_id)
            if step is None:
                continue
            outcome = await self.runner._run_step(self.frame, step)
            if outcome.status != StepStatus.COMPLETED:
                raise ExecutionAborted(f"resume: step {step_id!r} was run again to reopen its session "
                                       f"and did not complete: {outcome.error or outcome.status.value}")


def _uuid4() -> str:
    """A random (version 4) UUID as text, like str(uuid.uuid4()); the uuid module imports
    `platform` and more, which every `igtk run` would pay for at start-up."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
