"""What a step handler sees: logging, pause-aware sleeps and polls, artifacts,
variables, credentials and per-execution shared resources."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from igtk_tui import redact
from igtk_tui.engine.controls import StepInterrupted
from igtk_tui.engine.events import StepWaiting
from igtk_tui.errors import IgtkError

if TYPE_CHECKING:
    from igtk_tui.engine.frame import Frame
    from igtk_tui.engine.runner import Runner
    from igtk_tui.playbook.model import Step

T = TypeVar("T")

PROGRESS_EVERY = 5.0  # seconds between progress reports of an unchanged long wait


class StepFailure(IgtkError):
    """A step failed for a reason the operator can act on; the message says which (exit 1).

    `transient=False` says trying again cannot help (a refused credential): the step's
    retry_count is not spent on it."""

    def __init__(self, message: str = "", *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class Resources:
    """Objects shared by every step of one execution, nested playbooks included
    (a browser session, gateway clients), closed when the execution ends."""

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def get(self, key: str) -> Any:
        return self._items.get(key)

    def put(self, key: str, value: Any, closer: Callable[[], Awaitable[None]] | None = None) -> Any:
        self._items[key] = value
        if closer:
            self._closers.append(closer)
        return value

    def values(self) -> list[Any]:
        return list(self._items.values())

    async def aclose(self) -> None:
        """Close in reverse order of creation; shielded so cancel cannot leak a browser."""
        closers, self._closers = self._closers[::-1], []
        self._items.clear()
        for closer in closers:
            try:
                await asyncio.shield(closer())
            except BaseException:  # noqa: BLE001 - close the rest whatever happens
                pass


class StepContext:
    def __init__(self, runner: Runner, frame: Frame, step: Step, path: str, attempt: int) -> None:
        self._runner = runner
        self.frame = frame
        self.step = step
        self.step_id = path
        self.attempt = attempt
        self.failure_context: dict[str, Any] = {}

    # -- identity -----------------------------------------------------------
    @property
    def execution_id(self) -> str:
        return self._runner.execution_id

    @property
    def settings(self) -> Any:
        return self._runner.settings

    @property
    def gateway_override(self) -> str | None:
        """The operator's `--gateway`, or None."""
        return self._runner.gateway_override

    @property
    def resources(self) -> Resources:
        return self._runner.resources

    @property
    def variables(self) -> dict[str, Any]:
        return self.frame.variables

    @property
    def playbook_dir(self) -> Path:
        folder = self.frame.playbook.folder
        return folder if folder else Path.cwd()

    @property
    def debug(self) -> bool:
        return self._runner.controls.debug

    # -- output ---------------------------------------------------------------
    def log(self, message: str, level: str = "info") -> None:
        self._runner.log(self.step_id, level, message)

    def note(self, key: str, value: Any) -> None:
        """Record a fact about this execution (the store keeps `browser_version`)."""
        self._runner.note(key, value)

    def set_variable(self, name: str, value: Any) -> None:
        self.frame.variables[name] = value

    def resolve_path(self, value: str) -> Path:
        """A file parameter: absolute, or relative to the playbook's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.playbook_dir / path)

    # -- artifacts ----------------------------------------------------------------
    @property
    def artifacts_dir(self) -> Path:
        path = self._runner.artifacts_dir
        path.mkdir(parents=True, exist_ok=True)
        return path

    def artifact_path(self, name: str, suffix: str = "") -> Path:
        """A fresh file path in this execution's folder that never overwrites another."""
        safe_step = re.sub(r"[^\w.-]+", "_", self.step_id)
        safe = re.sub(r"[^\w.-]+", "_", name).strip("._") or "artifact"
        if suffix and not safe.endswith(suffix):
            safe += suffix
        candidate = self.artifacts_dir / f"{safe_step}-{safe}"
        stem, ext = candidate.stem, candidate.suffix
        n = 1
        while candidate.exists():
            n += 1
            candidate = candidate.with_name(f"{stem}-{n}{ext}")
        return candidate

    def add_artifact(self, path: Path | str, kind: str = "file") -> str:
        return self._runner.add_artifact(self.step_id, str(path), kind)

    # -- time -------------------------------------------------------------------
    async def checkpoint(self) -> None:
        """A safe point: blocks while paused; skip/back chosen here interrupt the step."""
        await self._runner.checkpoint(self.step_id)

    async def wait_pause_request(self) -> None:
        """Return once the operator (or a breakpoint) asks for a pause."""
        await self._runner.controls.wait_pause_request()

    async def sleep(self, seconds: float) -> None:
        """Sleep that honours pause (the remaining time waits) and cancels instantly."""
        remaining = max(0.0, float(seconds))
        while True:
            await self.checkpoint()
            if remaining <= 0:
                return
            start = time.monotonic()
            slice_ = min(remaining, 0.25)
            await asyncio.sleep(slice_)
            remaining -= time.monotonic() - start

    async def poll(
        self,
        probe: Callable[[], Awaitable[T | None]],
        *,
        timeout: float,
        interval: float = 1.0,
        what: str = "condition",
        state: Callable[[], str] | None = None,
    ) -> T:
        """Call `probe` until it returns something other than None/False, pause-aware.

        Raises StepFailure naming `what` on timeout. Paused time is not counted. While it
        waits it reports progress (a log line and a StepWaiting event) when `state()` (the
        last thing the probe saw) changes and every PROGRESS_EVERY seconds, so a
        long wait shows a countdown instead of one line and then silence.
        """
        controls = self._runner.controls
        waited = 0.0
        reported_at = 0.0
        reported_state: str | None = None
        while True:
            await self.checkpoint()
            start, paused = time.monotonic(), controls.paused_total
            result = await probe()
            if result is not None and result is not False:
                return result
            if waited >= timeout:
                raise StepFailure(f"timed out after {timeout:g} s waiting for {what}")
            seen = state() if state is not None else ""
            if (state is not None and seen != reported_state) or waited - reported_at >= PROGRESS_EVERY:
                self._report_wait(what, waited, timeout, seen)
                reported_at, reported_state = waited, seen
            await self.sleep(min(interval, max(0.0, timeout - waited)))
            waited += (time.monotonic() - start) - (controls.paused_total - paused)

    def _report_wait(self, what: str, waited: float, timeout: float, seen: str) -> None:
        left = max(0.0, timeout - waited)
        self.log(f"waiting for {what}: {waited:.0f} of {timeout:g} s, {left:.0f} s left"
                 + (f"; last seen: {seen}" if seen else ""))
        self._runner.emit(StepWaiting(self.execution_id, step_id=self.step_id, what=what,
                                      waited=round(waited, 1), timeout=timeout,
                                      last=redact.scrub(seen)))

    # -- credentials and nesting -----------------------------------------------------
    async def credential(self, name: str) -> Any:
        return await self._runner.credential(name)

    async def run_playbook(self, playbook: str, params: dict[str, Any]) -> dict[str, Any]:
        from igtk_tui.engine.children import run_child

        return await run_child(self._runner, self, playbook, params)

    async def breakpoint(self, message: str = "") -> None:
        """Pause here as at a breakpoint (debug.breakpoint step)."""
        context = {"message": message} if message else {}
        await self._runner.pause_in_step(self.step_id, "breakpoint",
                                         {**context, "variables": self.frame.scrubbed_variables()})


__all__ = ["StepContext", "StepFailure", "StepInterrupted", "Resources"]
