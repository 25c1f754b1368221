"""Operator controls on a running execution, including the races the earlier toolkit lost:
pause at a safe point (really `paused`), pause in a retry delay, skip and cancel that
interrupt the step in flight (subprocesses killed), step back, debug mode, breakpoints,
and editing a step's parameters at a pause."""

from __future__ import annotations

import asyncio
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import FLAKY_CALLS, STEPS, finish, load, make, pid_alive, script_pid, start

from igtk_tui.engine.context import StepContext
from igtk_tui.engine.events import ExecutionStatus, StepStatus
from igtk_tui.steps.registry import Output, Param, step

SLEEPY = """\
    name: Sleepy
    version: 1
    steps:
      - {id: before, name: before, type: utility.log, parameters: {message: before}}
      - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: SECONDS}}
      - {id: after, name: after, type: utility.log, parameters: {message: after}}
    """


def sleepy(seconds: float) -> str:
    return SLEEPY.replace("SECONDS", str(seconds))


async def test_pause_takes_effect_inside_a_sleep_and_status_really_is_paused(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(0.4)), tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.pause(), step_id="nap")
    task = start(execution)
    paused = await rec.wait("paused")
    assert paused.step_id == "nap" and paused.reason == "operator"
    assert execution.status == ExecutionStatus.PAUSED
    assert execution.controls.is_paused
    assert not rec.of("step_finished", step_id="nap"), "a paused sleep must not finish"
    resumed_at = time.monotonic()
    execution.resume()
    await rec.wait("resumed")
    assert execution.status == ExecutionStatus.RUNNING
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    # The remaining sleep waited after the resume (paused time does not count as slept).
    assert rec.step("nap").status == StepStatus.COMPLETED
    assert rec.step("nap").ts - resumed_at >= 0.1
    assert rec.kinds().index("resumed") < rec.kinds().index("step_finished", rec.kinds().index("paused"))


async def test_pause_between_steps_pauses_before_the_next_one(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(0)), tmp_path=tmp_path)
    rec.on("step_finished", lambda e: execution.pause(), step_id="before")
    task = start(execution)
    paused = await rec.wait("paused")
    assert paused.step_id == "nap" and paused.context["parameters"] == {"seconds": 0}
    assert not rec.of("step_started", step_id="nap")
    assert execution.status == ExecutionStatus.PAUSED
    execution.controls.toggle_pause()  # the TUI's space key: resume
    assert (await finish(task)).status == ExecutionStatus.COMPLETED


async def test_pause_during_a_retry_delay(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Retry
        version: 1
        steps:
          - {id: flaky, name: flaky, type: test.flaky, retry_count: 1, retry_delay: 0.3,
             parameters: {key: pause_retry, failures: 1}}
        """), tmp_path=tmp_path)
    rec.on("attempt_finished", lambda e: execution.pause(), step_id="flaky", ok=False)
    task = start(execution)
    paused = await rec.wait("paused")
    assert paused.step_id == "flaky"
    assert execution.status == ExecutionStatus.PAUSED
    assert len(rec.of("step_started", step_id="flaky")) == 1, "no new attempt while paused"
    execution.resume()
    result = await finish(task)
    FLAKY_CALLS.pop("pause_retry", None)
    assert result.status == ExecutionStatus.COMPLETED
    assert [a.ok for a in rec.of("attempt_finished")] == [False, True]
    assert rec.step("flaky").attempts == 2


async def test_skip_interrupts_a_running_sleep(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(60)), tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.skip(), step_id="nap")
    started = time.monotonic()
    result = await finish(start(execution))
    assert time.monotonic() - started < 5
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.finished() == [("before", "completed"), ("nap", "skipped"), ("after", "completed")]
    assert rec.step("nap").reason == "operator"


async def test_skip_kills_a_running_script(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Script
        version: 1
        steps:
          - id: script
            name: script
            type: utility.python
            parameters:
              script: |
                import os, time
                print(f"PID={os.getpid()}")
                time.sleep(120)
          - {id: after, name: after, type: utility.log, parameters: {message: after}}
        """), tmp_path=tmp_path)
    task = start(execution)
    pid = await script_pid(rec, "script")
    assert pid_alive(pid)
    execution.skip()
    skipped = await rec.wait("step_finished", step_id="script")
    assert skipped.status == StepStatus.SKIPPED and skipped.reason == "operator"
    assert not pid_alive(pid), "the skipped script's process must be gone"
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.finished() == [("script", "skipped"), ("after", "completed")]


async def test_skip_while_paused_skips_the_next_step(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(60)), tmp_path=tmp_path, breakpoints=("nap",))
    task = start(execution)
    await rec.wait("paused", step_id="nap")
    execution.skip()
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.finished() == [("before", "completed"), ("nap", "skipped"), ("after", "completed")]
    assert not rec.of("step_started", step_id="nap")


async def test_step_back_reruns_the_previous_step_and_keeps_results_in_order(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Back
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: a}}
          - {id: b, name: b, type: utility.sleep, parameters: {seconds: 0.2}}
          - {id: c, name: c, type: utility.log, parameters: {message: c}}
        """), tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.step_back(), step_id="b")
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED
    assert [e.step_id for e in rec.of("step_reset")] == ["b", "a"]
    assert rec.finished() == [("a", "completed"), ("a", "completed"), ("b", "completed"), ("c", "completed")]
    assert len(rec.of("step_finished", step_id="a")) == 2
    assert [e.step_id for e in rec.of("step_started")] == ["a", "b", "a", "b", "c"]
    # The last result of each step, in playbook order, is what a results table shows.
    last = {}
    for e in rec.of("step_finished"):
        last[e.step_id] = e.status.value
    assert list(last.items()) == [("a", "completed"), ("b", "completed"), ("c", "completed")]
    assert "step back: re-running this step" in rec.logs("a")


async def test_step_back_does_not_run_compensation_twice(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Back
        version: 1
        steps:
          - id: a
            name: a
            type: utility.log
            parameters: {message: a}
            on_rollback:
              - {id: undo_a, name: undo a, type: utility.log, parameters: {message: undo}}
          - {id: b, name: b, type: utility.sleep, parameters: {seconds: 0.1}}
          - {id: c, name: c, type: test.flaky, on_failure: rollback, parameters: {key: back_rb, failures: 1}}
        """), tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.step_back(), step_id="b")
    result = await finish(start(execution))
    FLAKY_CALLS.pop("back_rb", None)
    assert result.status == ExecutionStatus.FAILED
    assert len(rec.of("step_finished", step_id="undo_a")) == 1


CANCEL_STEPS = {
    "sleep": """\
      - {id: work, name: work, type: utility.sleep, parameters: {seconds: 600}}
    """,
    "poll": """\
      - {id: work, name: work, type: test.poll_forever, parameters: {}}
    """,
    "script_poll": """\
      - id: work
        name: work
        type: utility.python
        parameters:
          script: |
            import os, time
            print(f"PID={os.getpid()}")
            while True:
                time.sleep(0.05)
    """,
    "script_busy": """\
      - id: work
        name: work
        type: utility.python
        parameters:
          script: |
            import os
            print(f"PID={os.getpid()}")
            while True:
                pass
    """,
}


@pytest.mark.parametrize("what", sorted(CANCEL_STEPS))
async def test_cancel_stops_the_step_in_flight_within_500_ms(tmp_path: Path, what: str) -> None:
    text = ("name: Cancel\nversion: 1\nsteps:\n" + textwrap.indent(textwrap.dedent(CANCEL_STEPS[what]), "  ")
            + "  - {id: after, name: after, type: utility.log, parameters: {message: x}}\n")
    execution, rec = make(load(tmp_path, text), tmp_path=tmp_path)
    task = start(execution)
    pid = None
    if what.startswith("script"):
        pid = await script_pid(rec, "work")
    else:
        await rec.wait("step_started", step_id="work")
    t0 = time.monotonic()
    execution.cancel()
    finished = await rec.wait("execution_finished")
    latency = time.monotonic() - t0
    result = await finish(task)
    assert latency < 0.5, f"cancel took {latency * 1000:.0f} ms"
    assert result.status == ExecutionStatus.CANCELLED and finished.status == ExecutionStatus.CANCELLED
    assert result.error == "cancelled by operator"
    assert rec.step("work").status == StepStatus.CANCELLED
    assert not rec.of("step_started", step_id="after")
    if pid is not None:
        assert not pid_alive(pid), "the cancelled script's process must be gone"


async def test_cancel_at_a_pause_cancels(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(60)), tmp_path=tmp_path, breakpoints=("nap",))
    task = start(execution)
    await rec.wait("paused", step_id="nap")
    execution.cancel()
    result = await finish(task)
    assert result.status == ExecutionStatus.CANCELLED
    assert rec.finished() == [("before", "completed")]
    assert rec.events[-1].kind == "execution_finished"


async def test_cancelling_the_surrounding_task_still_reports_cancelled(tmp_path: Path) -> None:
    import asyncio

    execution, rec = make(load(tmp_path, sleepy(60)), tmp_path=tmp_path)
    task = start(execution)
    await rec.wait("step_started", step_id="nap")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rec.events[-1].kind == "execution_finished"
    assert rec.events[-1].status == ExecutionStatus.CANCELLED
    assert execution.status == ExecutionStatus.CANCELLED


async def test_debug_mode_pauses_after_each_step(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Debug
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: a}}
          - {id: b, name: b, type: utility.log, parameters: {message: b}}
          - {id: c, name: c, type: utility.log, parameters: {message: c}}
        """), tmp_path=tmp_path, debug=True)
    task = start(execution)
    for n, (done, nxt) in enumerate([("a", "b"), ("b", "c")], start=1):
        paused = await rec.wait("paused", n=n)
        assert (paused.step_id, paused.reason) == (nxt, "debug")
        assert execution.status == ExecutionStatus.PAUSED
        assert rec.finished()[-1] == (done, "completed")
        assert not rec.of("step_started", step_id=nxt)
        execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert len(rec.of("paused")) == 2
    assert rec.events[0].debug is True


async def test_debug_mode_pauses_on_failure_with_the_error_and_retries_on_resume(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    execution, rec = make(load(tmp_path, """\
        name: Debug failure
        version: 1
        parameters:
          - {name: flag, type: string}
        steps:
          - id: check
            name: check
            type: utility.python
            parameters:
              params: {flag: "{{ parameter.flag }}"}
              script: |
                from pathlib import Path
                flag = Path(params["flag"])
                if not flag.exists():
                    flag.write_text("seen")
                    raise SystemExit("first run fails")
                print("RESULT=ok")
        """), {"flag": str(flag)}, tmp_path=tmp_path, debug=True)
    task = start(execution)
    paused = await rec.wait("paused")
    assert paused.reason == "failure" and paused.step_id == "check"
    assert "first run fails" in paused.context["error"]
    assert paused.context["parameters"]["params"] == {"flag": str(flag)}
    assert execution.status == ExecutionStatus.PAUSED
    assert rec.finished() == [("check", "failed")]
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED and result.failed_steps == 0
    assert rec.finished() == [("check", "failed"), ("check", "completed")]
    assert rec.step("check").output["RESULT"] == "ok"
    assert [e.step_id for e in rec.of("step_reset")] == ["check"]


async def test_a_run_cancelled_at_a_failure_pause_counts_the_failed_step(tmp_path: Path) -> None:
    """The count agrees with the step table: the failed step shown is a failed step counted."""
    execution, rec = make(load(tmp_path, """\
        name: Debug failure cancelled
        version: 1
        steps:
          - {id: ok, name: ok, type: utility.log, parameters: {message: fine}}
          - {id: check, name: check, type: test.flaky, parameters: {key: cancel_at_failure, failures: 5}}
        """), tmp_path=tmp_path, debug=True)
    rec.on("paused", lambda e: execution.resume(), reason="debug")
    task = start(execution)
    await rec.wait("paused", reason="failure")
    execution.cancel()
    result = await finish(task)
    assert result.status == ExecutionStatus.CANCELLED
    assert rec.finished() == [("ok", "completed"), ("check", "failed")]
    assert result.failed_steps == 1 and rec.of("execution_finished")[0].failed_steps == 1


async def test_debug_mode_can_be_switched_on_during_a_run(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(0)), tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.set_debug(True), step_id="before")
    task = start(execution)
    paused = await rec.wait("paused")
    assert (paused.step_id, paused.reason) == ("nap", "debug")
    controls = rec.of("controls")
    assert controls and controls[0].debug is True
    execution.set_debug(False)
    execution.resume()
    assert (await finish(task)).status == ExecutionStatus.COMPLETED
    assert len(rec.of("paused")) == 1


async def test_breakpoints_set_before_the_run(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, sleepy(0)), tmp_path=tmp_path, breakpoints=("after",))
    task = start(execution)
    paused = await rec.wait("paused")
    assert (paused.step_id, paused.reason) == ("after", "breakpoint")
    assert paused.context["name"] == "after" and paused.context["parameters"] == {"message": "after"}
    assert execution.status == ExecutionStatus.PAUSED
    assert rec.finished() == [("before", "completed"), ("nap", "completed")]
    assert [s.breakpoint for s in rec.events[0].steps] == [False, False, True]
    execution.resume()
    assert (await finish(task)).status == ExecutionStatus.COMPLETED
    assert len(rec.of("paused")) == 1


async def test_breakpoints_toggled_during_the_run_including_yaml_ones(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Breakpoints
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: a}}
          - {id: b, name: b, type: utility.log, breakpoint: true, parameters: {message: b}}
          - {id: c, name: c, type: utility.log, breakpoint: true, parameters: {message: c}}
          - {id: d, name: d, type: utility.log, parameters: {message: d}}
        """), tmp_path=tmp_path)
    assert [s.breakpoint for s in execution.step_infos()] == [False, True, True, False]

    def on_a(_event: object) -> None:
        assert execution.toggle_breakpoint("b") is False  # the YAML breakpoint can be switched off
        assert execution.toggle_breakpoint("d") is True

    rec.on("step_started", on_a, step_id="a")
    task = start(execution)
    first = await rec.wait("paused")
    assert (first.step_id, first.reason) == ("c", "breakpoint")
    execution.resume()
    second = await rec.wait("paused", n=2)
    assert (second.step_id, second.reason) == ("d", "breakpoint")
    execution.resume()
    assert (await finish(task)).status == ExecutionStatus.COMPLETED
    assert [e.step_id for e in rec.of("paused")] == ["c", "d"]
    assert rec.of("controls")[-1].breakpoints == ("c", "d")


async def test_debug_breakpoint_step_pauses_until_resumed(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Explicit
        version: 1
        steps:
          - {id: stop, name: stop here, type: debug.breakpoint, parameters: {message: check the gateway page}}
          - {id: after, name: after, type: utility.log, parameters: {message: after}}
        """), tmp_path=tmp_path)
    task = start(execution)
    paused = await rec.wait("paused")
    assert (paused.step_id, paused.reason) == ("stop", "breakpoint")
    assert paused.context == {"message": "check the gateway page", "variables": {}}  # none set yet
    assert execution.status == ExecutionStatus.PAUSED
    assert not rec.of("step_finished")
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.step("stop").output == {"paused": True}


async def test_editing_a_steps_parameters_at_a_pause_takes_effect_on_resume(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Edit
        version: 1
        parameters:
          - {name: who, type: string, default: world}
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: a}}
          - {id: greet, name: greet, type: utility.log, parameters: {message: "hello {{ parameter.who }}", level: info}}
        """), tmp_path=tmp_path, breakpoints=("greet",))
    task = start(execution)
    paused = await rec.wait("paused")
    assert paused.context["parameters"] == {"message": "hello world", "level": "info"}
    execution.controls.set_step_parameters("greet", {"message": "bye {{ parameter.who }}", "level": "warning"})
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.step("greet").output == {"logged": "bye world", "level": "warning"}


POLL_CALLS: list[float] = []
AFTER_RESUME: list[int] = []
ON_FIRST_PROBE: list[Any] = []

@step("test.poll_after_resume", description="ctx.poll a probe that succeeds on its third call after a resume.",
      params=[Param("timeout", "number", unit="s")], outputs=[Output("calls", "integer")], registry=STEPS)
async def _poll_after_resume(ctx: StepContext, timeout: float = 0.6) -> dict[str, Any]:
    async def probe() -> int | None:
        POLL_CALLS.append(time.monotonic())
        if len(POLL_CALLS) == 1:
            ON_FIRST_PROBE[0]()  # the pause lands in the poll's sleep, mid-wait
        if AFTER_RESUME:
            AFTER_RESUME[0] += 1
            return AFTER_RESUME[0] if AFTER_RESUME[0] >= 3 else None
        return None

    return {"calls": await ctx.poll(probe, timeout=timeout, interval=0.05, what="the probe")}


async def test_time_paused_inside_a_poll_does_not_count_against_its_timeout(tmp_path: Path) -> None:
    """Paused for longer than the poll's whole timeout, the poll goes on after the resume."""
    POLL_CALLS.clear()
    AFTER_RESUME.clear()
    ON_FIRST_PROBE.clear()
    execution, rec = make(load(tmp_path, """\
        name: Poll
        version: 1
        steps:
          - {id: wait, name: wait, type: test.poll_after_resume, parameters: {timeout: 0.6}}
        """), tmp_path=tmp_path)
    ON_FIRST_PROBE.append(execution.pause)
    task = start(execution)
    await rec.wait("paused")
    paused_at = time.monotonic()
    while time.monotonic() - paused_at < 1.0:  # the subject: a pause longer than the timeout
        await asyncio.sleep(0.05)
    AFTER_RESUME.append(0)
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED, rec.step("wait").error
    assert rec.step("wait").output == {"calls": 3}
