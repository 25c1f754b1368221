"""In-process runs through the real engine with the Recorder subscribed.

Two tiny step types are registered through the public `@step` API (as a
plugin would): one that fails a given number of times, one that writes an
artifact, and one that logs many lines at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.engine.events import Event, EventBus
from igtk_tui.engine.execution import Execution, ExecutionResult, ResumeState
from igtk_tui.engine.nesting import PlaybookResolver
from igtk_tui.paths import Paths
from igtk_tui.playbook.loader import load_file
from igtk_tui.steps.registry import REGISTRY, Param, step
from igtk_tui.store import Recorder, Store
from tests.support.store_backend import current

CALLS: dict[str, int] = {}

if REGISTRY.get("test.store_flaky") is None:

    @step("test.store_flaky", description="Fail the first `failures` calls for `key`.",
          params=[Param("key", "string", required=True), Param("failures", "integer", default=1)],
          outputs=["calls"])
    async def _flaky(ctx: StepContext, key: str, failures: int = 1) -> dict[str, Any]:
        CALLS[key] = CALLS.get(key, 0) + 1
        if CALLS[key] <= failures:
            raise StepFailure(f"planned failure {CALLS[key]}")
        return {"calls": CALLS[key]}

    @step("test.store_artifact", description="Write a small file as an artifact.",
          params=[Param("name", "string", default="note.txt")], outputs=["path"])
    async def _artifact(ctx: StepContext, name: str = "note.txt") -> dict[str, Any]:
        path = ctx.artifact_path(name)
        path.write_text("artifact\n", encoding="utf-8")
        ctx.add_artifact(path, "text")
        return {"path": str(path)}

    @step("test.store_spam", description="Log `lines` lines without yielding.",
          params=[Param("lines", "integer", default=1000)], outputs=["lines"])
    async def _spam(ctx: StepContext, lines: int = 1000) -> dict[str, Any]:
        for i in range(lines):
            ctx.log(f"line {i}", "info")
        return {"lines": lines}


async def run_recorded(
    store: Store,
    playbook_path: Path,
    params: dict[str, Any] | None = None,
    *,
    on_event: Callable[[Execution, Event], None] | None = None,
    listener: Callable[[Event], None] | None = None,
    resume: ResumeState | None = None,
    gateway_url: str | None = None,
    recorder_options: dict[str, Any] | None = None,
    shared_state: bool = False,
) -> tuple[Execution, ExecutionResult, Recorder]:
    """One execution recorded end to end; the recorder is closed (all committed) on return.
    `shared_state`: the recorder reads the engine's ExecutionState (as `igtk run` and the agent
    wire it) instead of folding the events itself."""
    playbook = load_file(playbook_path)
    bus = EventBus()
    recorder = store.recorder(**(recorder_options or {}))
    if listener is not None:
        recorder.add_listener(listener)
    bus.subscribe(recorder)
    execution = Execution(playbook, params or {}, bus=bus, artifacts_root=store.paths.artifacts_dir,
                          resolver=PlaybookResolver([playbook_path.parent]), resume=resume,
                          gateway_url=gateway_url)
    if shared_state:
        recorder.expect(execution.id, state=execution.state)
    if on_event is not None:
        bus.subscribe(lambda event: on_event(execution, event))
    try:
        result = await execution.run()
    finally:
        await recorder.close()
    return execution, result, recorder


def later(fn: Callable[[], Any]) -> None:
    """Act on a control after the current emit returns (as an operator would)."""
    asyncio.get_running_loop().call_soon(fn)


async def open_store(paths: Paths, settings: Any = None, **kwargs: Any) -> Store:
    """The store on the test's backend (`settings` get its store_url)."""
    return await Store.open(paths, current().settings(settings), **kwargs)
