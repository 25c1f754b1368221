"""Operator controls on a running execution: pause, resume, skip, step back,
cancel, debug mode and breakpoints.

All methods are plain calls, safe at any moment from any task on the engine's
event loop. Skip, step back and cancel interrupt the step in flight by
cancelling its task (HTTP calls, browser actions, sleeps and subprocesses all
stop at their next await); pause takes effect at the next safe point.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class StepInterrupted(Exception):
    """Raised inside a step when the operator skipped it or stepped back.

    A control signal, not an error: deliberately not an IgtkError, so no handler of
    operator-facing errors (`except IgtkError`) can swallow a skip."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


@dataclass
class RunningStep:
    path: str
    task: asyncio.Task[Any]
    interrupt: str | None = None


@dataclass
class Controls:
    debug: bool = False
    breakpoints: set[str] = field(default_factory=set)
    pause_requested: bool = False
    pause_reason: str = "operator"
    cancelled: bool = False
    # Why the run was stopped when it was not an operator's cancel (a signal, a crash):
    # the execution is then recorded `interrupted` with this reason, resumable.
    interrupted_because: str | None = None
    # An action chosen while paused: "skip" or "back"; consumed by the runner.
    pending_action: str | None = None
    # Parameter edits made at a pause, applied on the step's next run.
    param_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    on_change: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self._pause_asked = asyncio.Event()
        self._running: list[RunningStep] = []
        self._timers: list[asyncio.Timeout] = []
        self.paused_at: float | None = None
        self.paused_total = 0.0  # seconds spent paused so far: waits subtract it from their elapsed time
        self.cancel_hook: Callable[[], None] | None = None

    # -- operator API ------------------------------------------------------
    def pause(self) -> None:
        self.pause_requested = True
        self.pause_reason = "operator"
        self._pause_asked.set()
        self._changed()

    def resume(self) -> None:
        # A skip/back chosen at this pause is kept: the runner consumes it when it wakes
        # (clearing it here lost a skip pressed just before resume).
        self.pause_requested = False
        self._wake.set()
        self._changed()

    def toggle_pause(self) -> None:
        self.resume() if self.pause_requested else self.pause()

    def skip(self) -> None:
        """Skip the running step (innermost, for nested runs) or, when paused, the next one."""
        self._act("skip")

    def step_back(self) -> None:
        """Re-run the previous step; the current one goes back to pending."""
        self._act("back")

    def cancel(self) -> None:
        if self.cancelled:
            return
        self.cancelled = True
        self._wake.set()
        if self.cancel_hook:
            self.cancel_hook()
        self._changed()

    def interrupt(self, reason: str) -> None:
        """Stop the run as `cancel` does, recorded `interrupted: REASON` (not "cancelled by operator")."""
        if not self.cancelled:
            self.interrupted_because = reason
        self.cancel()

    def set_debug(self, on: bool) -> None:
        self.debug = on
        self._changed()

    def toggle_breakpoint(self, step_path: str) -> bool:
        if step_path in self.breakpoints:
            self.breakpoints.discard(step_path)
            on = False
        else:
            self.breakpoints.add(step_path)
            on = True
        self._changed()
        return on

    def set_step_parameters(self, step_path: str, params: dict[str, Any]) -> None:
        self.param_overrides[step_path] = dict(params)

    # -- engine side ------------------------------------------------------
    @property
    def running_step(self) -> str | None:
        return self._running[-1].path if self._running else None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def timed_out(self) -> bool:
        """A step or execution timeout has fired (it is cancelling the work under it)."""
        return any(t.expired() for t in self._timers)

    def _act(self, action: str) -> None:
        if self.is_paused:
            self.pending_action = action
            self._wake.set()
        elif self._running:
            running = self._running[-1]
            running.interrupt = action
            running.task.cancel()
        self._changed()

    def push(self, path: str, task: asyncio.Task[Any]) -> RunningStep:
        running = RunningStep(path, task)
        self._running.append(running)
        return running

    def pop(self, running: RunningStep) -> None:
        if running in self._running:
            self._running.remove(running)

    def add_timer(self, timer: asyncio.Timeout) -> None:
        self._timers.append(timer)

    def remove_timer(self, timer: asyncio.Timeout) -> None:
        if timer in self._timers:
            self._timers.remove(timer)

    async def wait_pause_request(self) -> None:
        """Return once a pause is requested: for work that must stop at once, not at the
        next safe point (a script subprocess is suspended while the run is paused)."""
        while not self.pause_requested:
            self._pause_asked.clear()
            await self._pause_asked.wait()

    async def wait_while_paused(self) -> str | None:
        """Block until resumed, an action is chosen or the run is cancelled.

        Time spent paused does not count against step or execution timeouts.
        Returns the pending action ("skip"/"back") if one was chosen.
        """
        self.paused_at = time.monotonic()
        try:
            while True:
                if self.cancelled:
                    raise asyncio.CancelledError
                if self.pending_action:
                    action, self.pending_action = self.pending_action, None
                    return action
                if not self.pause_requested:
                    return None
                self._wake.clear()
                await self._wake.wait()
        finally:
            paused_for = time.monotonic() - (self.paused_at or time.monotonic())
            self.paused_at = None
            self.paused_total += paused_for
            loop = asyncio.get_running_loop()
            for timer in self._timers:
                when = timer.when()
                if when is not None:
                    timer.reschedule(max(when + paused_for, loop.time()))

    def _changed(self) -> None:
        if self.on_change:
            self.on_change()
