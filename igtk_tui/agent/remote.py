"""An execution of the agent, driven like an in-process `Execution`.

Why the same method names: the headless stdin controls (commands/run_controls.py)
and the TUI's ExecutionService call pause/resume/skip/step_back/cancel/set_debug/
toggle_breakpoint on whatever execution they hold; this one sends them to the
agent, so neither needs a second code path for remote runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RemoteControls:
    """The part of engine.controls.Controls a client reads or edits."""

    send: Callable[[str, dict[str, Any]], None]
    debug: bool = False
    breakpoints: set[str] = field(default_factory=set)
    param_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def set_step_parameters(self, step_path: str, params: dict[str, Any]) -> None:
        """Edits at a debug pause (the agent refuses them once the pause is over)."""
        self.param_overrides[step_path] = dict(params)
        self.send("parameters", {"step": step_path, "parameters": dict(params)})


class RemoteExecution:
    def __init__(self, client: Any, execution_id: str, say: Callable[[str], None]) -> None:
        self.client = client  # an AsyncAgentClient
        self.id = execution_id
        self.say = say
        self.controls = RemoteControls(self._send)
        self._tasks: set[asyncio.Task[Any]] = set()

    def follow(self, data: dict[str, Any]) -> None:
        """Keep the control state known from the execution's events (wire JSON)."""
        if data.get("event") == "controls":
            self.controls.debug = bool(data.get("debug"))
            self.controls.breakpoints = set(data.get("breakpoints") or ())
        elif data.get("event") == "execution_started":
            self.controls.debug = bool(data.get("debug"))

    def _send(self, verb: str, body: dict[str, Any] | None = None) -> None:
        async def go() -> None:
            try:
                await self.client.control(self.id, verb, body)
            except Exception as exc:  # noqa: BLE001 - shown to the operator, who may try again
                self.say(f"{verb}: {exc}")

        task = asyncio.get_running_loop().create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def skip(self) -> None:
        self._send("skip")

    def step_back(self) -> None:
        self._send("back")

    def cancel(self) -> None:
        self._send("cancel")

    def set_debug(self, on: bool) -> None:
        self._send("debug", {"on": on})

    def toggle_breakpoint(self, step_path: str) -> bool:
        on = step_path not in self.controls.breakpoints
        self._send("breakpoints", {"step": step_path, "on": on})
        return on
