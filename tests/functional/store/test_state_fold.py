"""One fold of engine events (engine/state.py): the engine's ExecutionState, the history rows
the recorder writes from it, the TUI's view fed the agent's wire form of the events, and the
CLI progress following a run from the agent all describe a real run the same way."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.agent import wire
from igtk_tui.engine.events import Event, ExecutionStatus
from igtk_tui.engine.state import ExecutionState
from igtk_tui.paths import Paths
from igtk_tui.sinks.human import HumanProgress
from igtk_tui.tui.viewmodel import ExecutionView
from tests.support.playbooks import step, write_playbook
from tests.support.recorder import CALLS, later, open_store, run_recorded

STEP_FIELDS = ("status", "attempt", "max_attempts", "starts", "parent", "undoes", "role", "position", "top",
               "children", "started_at", "finished_at", "duration", "error", "reason")


@pytest.fixture
async def store(paths: Paths) -> Any:
    s = await open_store(paths)
    yield s
    await s.close()


def playbook(tmp_path: Path, key: str) -> Path:
    """Nested steps, a retry, a step back over the nested playbook, a failure with rollback."""
    CALLS.pop(key, None)
    CALLS.pop(f"{key}-always", None)
    write_playbook(tmp_path, title="child", steps=[step("c1", "utility.set_variable", name="inner", value="yes"),
                                                   step("c2", "utility.log", message="child says {{ variable.inner }}")],
                   verified=True)
    flaky = step("flaky", "test.store_flaky", key=key, failures=1)
    flaky.update(retry_count=2, retry_delay=0)
    failing = step("boom", "test.store_flaky", key=f"{key}-always", failures=99)
    failing["on_failure"] = "rollback"
    failing["on_rollback"] = [step("undo", "utility.log", message="compensating")]
    return write_playbook(tmp_path, title=f"fold-{key}", steps=[
        step("setx", "utility.set_variable", name="x", value=41),
        flaky,
        step("nest", "playbook.run", playbook="child.yaml"),
        step("hold", "debug.breakpoint", message="look"),
        failing,
    ])


def operator() -> Any:
    """Steps back from the first pause (at `hold`: back to `nest`, run again), resumes the next."""
    pauses: list[str] = []

    def controller(execution: Any, event: Event) -> None:
        if event.kind == "paused":
            pauses.append(event.kind)
            later(execution.step_back if len(pauses) == 1 else execution.resume)

    return controller


def fields(step_state: Any) -> dict[str, Any]:
    return {name: getattr(step_state, name) for name in STEP_FIELDS}


async def test_every_reader_of_a_run_sees_the_engine_state(store: Any, paths: Paths, tmp_path: Path) -> None:
    views: list[ExecutionView] = []
    out = io.StringIO()
    follower = HumanProgress(out)  # no state: folds what it receives, as `igtk attach` does

    def listener(event: Event) -> None:  # post-commit, as the agent streams them
        decoded = wire.decode(wire.encode(event))
        if not views:
            views.append(ExecutionView(decoded.execution_id, 1, ""))
        views[0].apply(decoded)
        follower(decoded)

    execution, result, recorder = await run_recorded(store, playbook(tmp_path, "readers"), listener=listener,
                                                     on_event=operator(), shared_state=True)
    assert result.status == ExecutionStatus.FAILED and recorder.failed is None
    engine: ExecutionState = execution.state
    assert list(engine.steps) == ["setx", "flaky", "nest", "hold", "boom", "nest/c1", "nest/c2", "undo"]
    assert engine.steps["nest"].starts == 2 and engine.steps["nest/c1"].starts == 2  # run again after the step back
    assert engine.steps["flaky"].attempt == 2 and engine.steps["undo"].parent is None
    assert engine.steps["undo"].undoes == "boom" and engine.failed == ("boom", "planned failure 1")
    assert (engine.status, engine.progress, engine.failed_steps) == ("failed", (6, 6), 1)

    for reader in (views[0], follower.state):
        assert reader is not None
        assert {p: fields(s) for p, s in reader.steps.items()} == {p: fields(s) for p, s in engine.steps.items()}
        assert (reader.status, reader.progress, reader.failed, reader.roots) == \
            (engine.status, engine.progress, engine.failed, engine.roots)

    detail = await store.executions.get(execution.id)
    recorded = {(r.path, r.parent, r.status, r.attempts, r.error) for r in detail.steps}
    assert recorded == {(s.path, s.recorded_parent, s.status, s.starts, s.error) for s in engine.steps.values()}
    printed = out.getvalue()
    assert "[5/5] boom: step boom failed" in printed  # numbered as listed when the line's event came
    assert any(line.startswith("  nest/c1 ") and " completed " in line for line in printed.splitlines())


async def test_the_recorder_records_the_same_rows_from_the_engine_state_as_from_the_events(
        store: Any, paths: Paths, tmp_path: Path) -> None:
    rows = {}
    for shared in (True, False):
        key = f"shared-{shared}"
        execution, result, _ = await run_recorded(store, playbook(tmp_path, key), on_event=operator(),
                                                  shared_state=shared)
        detail = await store.executions.get(execution.id, logs=100)
        rows[shared] = [(r.path, r.parent, r.position, r.name, r.role, r.status, r.attempts, r.output, r.error,
                         r.reason, r.variables, [(a.n, a.ok, a.error) for a in r.attempt_list]) for r in detail.steps]
        rows[shared].append([line.message for line in detail.logs])
    assert rows[True] == rows[False]


async def test_a_step_back_over_a_nested_playbook_makes_its_steps_pending_everywhere(
        store: Any, paths: Paths, tmp_path: Path) -> None:
    """Stepped back to `nest` and cancelled before it runs again: `nest` and the steps it ran are
    pending in the engine, the TUI's view and the history alike."""
    views: list[ExecutionView] = []

    def controller(execution: Any, event: Event) -> None:
        if event.kind == "paused":
            later(execution.step_back)
        elif event.kind == "step_reset" and event.step_id == "nest":  # type: ignore[attr-defined]
            later(execution.cancel)

    def listener(event: Event) -> None:
        decoded = wire.decode(wire.encode(event))
        if not views:
            views.append(ExecutionView(decoded.execution_id, 1, ""))
        views[0].apply(decoded)

    execution, result, _ = await run_recorded(store, playbook(tmp_path, "reset"), on_event=controller,
                                              listener=listener, shared_state=True)
    view = views[0]
    assert result.status == ExecutionStatus.CANCELLED
    detail = await store.executions.get(execution.id)
    recorded = {r.path: (r.status, r.started_at, r.output) for r in detail.steps}
    for path in ("nest", "nest/c1", "nest/c2"):
        assert execution.state.steps[path].status == view.steps[path].status == "pending"
        assert recorded[path] == ("pending", None, None)
    assert recorded["setx"][0] == view.steps["setx"].status == "completed"
    assert view.progress == execution.state.progress == (2, 5)
