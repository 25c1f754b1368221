"""The Recorder persists every engine event of real executions into a real database:
one row per step however often it runs, attempts accumulating, nested and rollback
steps linked to their parent, logs batched, and listeners fed only after commit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.engine.events import (
    Event,
    EventBus,
    ExecutionFinished,
    ExecutionStarted,
    ExecutionStatus,
    LogRecord,
    StepFinished,
    StepInfo,
)
from igtk_tui.paths import Paths
from tests.support.playbooks import step, write_playbook
from tests.support.recorder import CALLS, later, open_store, run_recorded
from tests.support.store_backend import current, db_connect


@pytest.fixture
async def store(paths: Paths) -> Any:
    s = await open_store(paths)
    yield s
    await s.close()


def rows(paths: Paths, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return current().rows(paths.db_file, sql, params)


async def test_every_event_kind_is_persisted(store: Any, paths: Paths, tmp_path: Path) -> None:
    CALLS.pop("every", None)
    write_playbook(tmp_path, steps=[step("c1", "utility.set_variable", name="inner", value="yes"),
                                       step("c2", "utility.log", message="child says {{ variable.inner }}")], title="child", verified=True)
    failing = step("boom", "test.store_flaky", key="boom-always", failures=99)
    failing["on_failure"] = "rollback"
    failing["on_rollback"] = [step("undo", "utility.log", message="compensating")]
    flaky = step("flaky", "test.store_flaky", key="every", failures=1)
    flaky.update(retry_count=2, retry_delay=0)
    pb = write_playbook(tmp_path, steps=[
        step("setx", "utility.set_variable", name="x", value=41),
        flaky,
        step("say", "utility.log", message="x is {{ variable.x }}", level="warning"),
        step("hold", "debug.breakpoint", message="look"),
        step("art", "test.store_artifact", name="report.txt"),
        step("nest", "playbook.run", playbook="child.yaml"),
        failing,
    ], title="everything", parameters=[{"name": "target", "type": "string", "default": "plant-1"}])
    pauses: list[str] = []
    debug_seen: list[int] = []

    def controller(execution: Any, event: Event) -> None:
        if event.kind != "paused":
            return
        reason, at = event.reason, event.step_id  # type: ignore[attr-defined]
        pauses.append(reason)
        if len(pauses) == 1:  # debug on and a breakpoint on `art` (two ControlsChanged), then go on
            later(lambda: (execution.set_debug(True), execution.toggle_breakpoint("art"), execution.resume()))
        elif reason == "failure":  # debug pauses on the failure: leave debug mode and let it fail
            later(lambda: (execution.set_debug(False), execution.resume()))
        elif at != "art":
            later(execution.resume)

    def listener(event: Event) -> None:
        # Post-commit: while paused at `art` nothing else happens, so the row shows the debug flag.
        if event.kind == "paused" and event.step_id == "art":  # type: ignore[attr-defined]
            conn = db_connect(paths.db_file)
            debug_seen.append(conn.execute("SELECT debug FROM executions WHERE id = ?",
                                           (event.execution_id,)).fetchone()[0])
            conn.close()
            later(execution_box[0].resume)

    execution_box: list[Any] = []
    execution, result, recorder = await run_recorded(
        store, pb, {"target": "plant-1"}, on_event=lambda ex, ev: (execution_box.append(ex), controller(ex, ev)),
        listener=listener, gateway_url="http://gw:8088")
    assert result.status == ExecutionStatus.FAILED
    assert pauses[:2] == ["breakpoint", "breakpoint"] and "failure" in pauses
    assert debug_seen == [1]
    assert (await store.executions.get(execution.id)).debug is False
    assert recorder.failed is None

    detail = await store.executions.get(execution.id, logs=100)
    s = detail.summary
    assert (s.status, s.playbook, s.trigger, s.gateway_url, s.failed_steps) == \
        ("failed", "everything", "cli", "http://gw:8088", 1)
    assert s.finished_at is not None and s.duration is not None and "boom" in s.error
    assert detail.parameters == {"target": "plant-1"}
    assert detail.source and "everything" in detail.source and detail.playbook_hash
    assert detail.owner_pid and s.host and s.user

    by_path = {st.path: st for st in detail.steps}
    assert [st.path for st in detail.steps] == [
        "setx", "flaky", "say", "hold", "art", "nest", "nest/c1", "nest/c2", "boom", "undo"]
    assert by_path["setx"].output == {"variable": "x", "value": 41}
    assert by_path["setx"].variables == {"x": 41}
    assert by_path["flaky"].status == "completed" and by_path["flaky"].attempts == 2
    assert [(a.n, a.ok) for a in by_path["flaky"].attempt_list] == [(1, False), (2, True)]
    assert by_path["flaky"].attempt_list[0].error == "planned failure 1"
    assert by_path["nest/c1"].parent == "nest" and by_path["nest/c2"].status == "completed"
    assert by_path["nest"].output["status"] == "completed"
    assert by_path["boom"].status == "failed" and by_path["boom"].error
    assert (by_path["undo"].role, by_path["undo"].parent, by_path["undo"].status) == ("rollback", "boom", "completed")
    assert all(st.started_at and st.finished_at and st.duration is not None for st in detail.steps)

    messages = [line.message for line in detail.logs]
    assert "x is 41" in messages and "child says yes" in messages and "compensating" in messages
    assert any(m.startswith("paused (breakpoint)") for m in messages) and "resumed" in messages
    assert [a.path for a in detail.artifacts] == ["art-report.txt"]
    assert detail.artifacts[0].step == "art" and detail.artifacts[0].kind == "text"
    assert (paths.execution_artifacts(execution.id) / "art-report.txt").is_file()

    counts = rows(paths, "SELECT path, COUNT(*) AS n FROM steps WHERE execution_id = ? GROUP BY path",
                  (execution.id,))
    assert all(r["n"] == 1 for r in counts) and len(counts) == 10


async def test_step_back_keeps_one_row_and_attempts_accumulate(store: Any, paths: Paths, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[
        step("a", "utility.set_variable", name="n", value=1),
        step("b", "debug.breakpoint"),
        step("c", "utility.log", message="done"),
    ], title="stepback")
    pauses = 0

    def controller(execution: Any, event: Event) -> None:
        nonlocal pauses
        if event.kind == "paused":
            pauses += 1
            later(execution.step_back if pauses == 1 else execution.resume)

    execution, result, _ = await run_recorded(store, pb, on_event=controller)
    assert result.status == ExecutionStatus.COMPLETED and pauses >= 2
    detail = await store.executions.get(execution.id)
    assert [(st.path, st.status) for st in detail.steps] == [("a", "completed"), ("b", "completed"),
                                                              ("c", "completed")]
    a = detail.step("a")
    assert a.attempts == 2 and len(a.attempt_list) == 2
    assert detail.step("b").attempts == 2
    assert rows(paths, "SELECT COUNT(*) FROM steps WHERE execution_id = ?", (execution.id,))[0][0] == 3
    assert rows(paths, "SELECT COUNT(*) FROM attempts WHERE execution_id = ? AND path = 'a'",
                (execution.id,))[0][0] == 2
    assert any("step back" in line.message for line in detail.logs)


async def test_listeners_see_durable_events_only_after_commit(store: Any, paths: Paths, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step(f"s{i}", "utility.set_variable", name="v", value=i)
                                               for i in range(25)], title="observed")
    seen: list[str] = []
    checked: list[tuple[str, str | None]] = []
    reader = db_connect(paths.db_file)

    def listener(event: Event) -> None:
        seen.append(event.kind)
        if isinstance(event, StepFinished):
            row = reader.execute("SELECT status FROM steps WHERE execution_id = ? AND path = ?",
                                 (event.execution_id, event.step_id)).fetchone()
            checked.append((event.step_id, row[0] if row else None))
        elif isinstance(event, (ExecutionStarted, ExecutionFinished)):
            row = reader.execute("SELECT status FROM executions WHERE id = ?", (event.execution_id,)).fetchone()
            checked.append((event.kind, row[0] if row else None))

    try:
        execution, result, recorder = await run_recorded(store, pb, listener=listener)
    finally:
        reader.close()
    assert result.status == ExecutionStatus.COMPLETED
    assert checked[0] == ("execution_started", "running")
    assert checked[1:-1] == [(f"s{i}", "completed") for i in range(25)]
    assert checked[-1] == ("execution_finished", "completed")
    assert seen[0] == "execution_started" and seen[-1] == "execution_finished"
    assert seen.count("step_started") == 25  # non-durable events are delivered too, in order
    assert recorder.transactions < 25 + 2, "group commit should share transactions between boundaries"


async def test_log_lines_are_written_in_batches(store: Any, paths: Paths, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("spam", "test.store_spam", lines=1200)], title="chatty")
    execution, result, recorder = await run_recorded(store, pb)
    assert result.status == ExecutionStatus.COMPLETED
    got = rows(paths, "SELECT seq, message FROM logs WHERE execution_id = ? ORDER BY seq", (execution.id,))
    assert [r[0] for r in got] == list(range(1, 1201))
    assert got[0][1] == "line 0" and got[-1][1] == "line 1199"
    assert recorder.transactions <= 5


async def test_logs_are_flushed_by_the_timer_without_a_step_boundary(store: Any, paths: Paths) -> None:
    recorder = store.recorder(log_interval=0.05)
    started = ExecutionStarted("exec-timer-1", playbook="p", playbook_path=None, playbook_hash="h",
                               parameters={}, steps=(StepInfo("a", "a", "A", "utility.log"),))
    recorder(started)
    await recorder.flush()
    recorder(LogRecord("exec-timer-1", step_id="a", level="info", message="only a log line"))
    seq = recorder.recorded_seq
    await asyncio.wait_for(recorder.committed(seq), timeout=10)  # nothing but the timer commits it
    assert rows(paths, "SELECT message FROM logs WHERE execution_id = 'exec-timer-1'")[0][0] == "only a log line"
    await recorder.close()


async def test_a_locked_database_never_blocks_the_run_and_is_written_once_free(paths: Paths, tmp_path: Path) -> None:
    store = await open_store(paths, busy_timeout_ms=50)
    blocker = current().write_lock(paths.db_file)
    blocker.__enter__()  # another process's long write transaction
    warnings: list[str] = []
    delivered: list[str] = []
    pb = write_playbook(tmp_path, steps=[step(f"s{i}", "utility.log", message=f"m{i}") for i in range(5)], title="locked")
    try:
        from igtk_tui.engine.execution import Execution
        from igtk_tui.playbook.loader import load_file

        bus = EventBus()
        recorder = store.recorder(on_warning=warnings.append)
        finished = asyncio.Event()

        def listener(event: Event) -> None:
            delivered.append(event.kind)
            if event.kind == "execution_finished":
                finished.set()

        recorder.add_listener(listener)
        bus.subscribe(recorder)
        execution = Execution(load_file(pb), {}, bus=bus, artifacts_root=paths.artifacts_dir)
        result = await asyncio.wait_for(execution.run(), timeout=30)
        assert result.status == ExecutionStatus.COMPLETED
        # The engine finished and every line reached the listener although nothing is written yet.
        await asyncio.wait_for(finished.wait(), timeout=30)
        assert delivered.count("step_finished") == 5 and warnings and "locked" in warnings[0]
        assert not rows(paths, "SELECT id FROM executions WHERE id = ?", (execution.id,))
    finally:
        blocker.__exit__(None, None, None)
    await recorder.close()  # the lock is gone: everything is written now
    assert recorder.failed is None
    assert rows(paths, "SELECT status FROM executions WHERE id = ?", (execution.id,))[0][0] == "completed"
    assert rows(paths, "SELECT COUNT(*) FROM steps WHERE execution_id = ? AND status = 'completed'",
                (execution.id,))[0][0] == 5
    await store.close()


async def test_a_lock_that_outlasts_the_grace_period_costs_the_record_not_the_run(paths: Paths,
                                                                               tmp_path: Path) -> None:
    store = await open_store(paths, busy_timeout_ms=20)
    blocker = current().write_lock(paths.db_file)
    blocker.__enter__()
    warnings: list[str] = []
    delivered: list[str] = []
    pb = write_playbook(tmp_path, steps=[step("only", "utility.log", message="hi")], title="stuck")
    try:
        started = time.monotonic()
        execution, result, recorder = await run_recorded(
            store, pb, listener=lambda e: delivered.append(e.kind),
            recorder_options={"on_warning": warnings.append, "busy_grace": 0.3})
        assert time.monotonic() - started < 20
    finally:
        blocker.__exit__(None, None, None)
    assert result.status == ExecutionStatus.COMPLETED
    assert delivered[-1] == "execution_finished"
    assert recorder.failed is not None and any("gave up" in w for w in warnings)
    await store.close()



async def test_browser_version_is_recorded_in_order(store: Any, paths: Paths) -> None:
    recorder = store.recorder()
    recorder(ExecutionStarted("exec-browser-1", playbook="p", playbook_path=None, playbook_hash="h",
                              parameters={}, steps=()))
    recorder.set_browser_version("exec-browser-1", "Chromium 156.0.7000.1")
    await recorder.close()
    detail = await store.executions.get("exec-browser-1")
    assert detail.browser_version == "Chromium 156.0.7000.1"
    recorder.set_browser_version("exec-browser-1", "ignored after close")  # no writer is restarted
    assert (await store.executions.get("exec-browser-1")).browser_version == "Chromium 156.0.7000.1"
