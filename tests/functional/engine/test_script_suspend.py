"""Pause stops a running `utility.python` script at once: its process group is
SIGSTOPped (state `T` in /proc) and SIGCONTed on resume; cancel at that pause
still kills it. Real scripts, real processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from igtk_tui.engine.events import ExecutionStatus, StepStatus
from tests.support.engine import finish, load, make, pid_alive, script_pid, start

SCRIPT = """\
    name: Script
    version: 1
    steps:
      - id: script
        name: script
        type: utility.python
        parameters:
          params: {go: "GO"}
          script: |
            import os, time
            from pathlib import Path
            print(f"PID={os.getpid()}")
            while not Path(params["go"]).exists():
                time.sleep(0.01)
            print("DONE=yes")
    """


def proc_state(pid: int) -> str:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rfind(")") + 2:].split()[0]


async def wait_state(pid: int, wanted: set[str]) -> str:
    """Wait (bounded) until the process's scheduler state is one of `wanted`."""
    async with asyncio.timeout(10):
        while (state := proc_state(pid)) not in wanted:
            await asyncio.sleep(0.01)
    return state


async def test_pause_suspends_the_script_and_resume_continues_it(tmp_path: Path) -> None:
    go = tmp_path / "go"
    execution, rec = make(load(tmp_path, SCRIPT.replace("GO", str(go))), tmp_path=tmp_path)
    task = start(execution)
    pid = await script_pid(rec, "script")
    execution.pause()
    paused = await rec.wait("paused", step_id="script")
    assert paused.reason == "operator"
    assert await wait_state(pid, {"T", "t"}) in {"T", "t"}
    assert execution.status == ExecutionStatus.PAUSED
    go.touch()  # the script could finish now, but it is stopped
    assert proc_state(pid) in {"T", "t"}
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.step("script").output["DONE"] == "yes"
    assert any(e.message == "script suspended while the run is paused" for e in rec.of("log", step_id="script"))


async def test_cancel_at_the_pause_kills_the_suspended_script(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, SCRIPT.replace("GO", str(tmp_path / "never"))), tmp_path=tmp_path)
    task = start(execution)
    pid = await script_pid(rec, "script")
    execution.pause()
    await rec.wait("paused", step_id="script")
    await wait_state(pid, {"T", "t"})
    execution.cancel()
    result = await finish(task)
    assert result.status == ExecutionStatus.CANCELLED
    assert not pid_alive(pid), "the cancelled script's process must be gone"


async def test_skip_at_the_pause_kills_the_script_and_goes_on(tmp_path: Path) -> None:
    text = SCRIPT.replace("GO", str(tmp_path / "never")).rstrip(" ") + \
        "      - {id: after, name: after, type: utility.log, parameters: {message: after}}\n"
    execution, rec = make(load(tmp_path, text), tmp_path=tmp_path)
    task = start(execution)
    pid = await script_pid(rec, "script")
    execution.pause()
    await rec.wait("paused", step_id="script")
    execution.skip()
    execution.resume()
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.step("script").status == StepStatus.SKIPPED
    assert not pid_alive(pid)
    assert rec.finished() == [("script", "skipped"), ("after", "completed")]
