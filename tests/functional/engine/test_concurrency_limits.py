"""Process-wide limits that keep a burst of executions from starving the event loop:
utility.python scripts beyond `script_concurrency` wait for a slot, and that wait
is as interruptible as any other part of a step."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from igtk_tui.config import Settings
from igtk_tui.engine.events import ExecutionStatus, StepStatus
from tests.support.engine import finish, load, make, script_pid, start

TIMED_SCRIPT = """\
name: Timed script
version: 1
steps:
  - id: work
    name: work
    type: utility.python
    parameters:
      script: |
        import time
        start = time.time()
        time.sleep(0.3)
        print(f"START={start}")
        print(f"END={time.time()}")
"""

HELD_SCRIPT = """\
name: Held script
version: 1
parameters:
  - {name: release, type: string}
steps:
  - id: work
    name: work
    type: utility.python
    parameters:
      params: {release: "{{ parameter.release }}"}
      script: |
        import os, time
        print(f"PID={os.getpid()}")
        while not os.path.exists(params["release"]):
            time.sleep(0.02)
"""


async def test_scripts_beyond_the_limit_wait_for_a_slot(tmp_path: Path) -> None:
    settings = Settings(script_concurrency=1)
    playbook = load(tmp_path, TIMED_SCRIPT)
    runs = [make(playbook, tmp_path=tmp_path / str(i), settings=settings) for i in range(2)]
    results = await asyncio.gather(*(finish(start(execution)) for execution, _ in runs))
    assert [r.status for r in results] == [ExecutionStatus.COMPLETED] * 2
    spans = sorted((float(rec.step("work").output["START"]), float(rec.step("work").output["END"]))
                   for _, rec in runs)
    assert spans[0][1] <= spans[1][0], f"with one slot the scripts overlapped: {spans}"


async def test_a_script_waiting_for_a_slot_is_cancelled_at_once(tmp_path: Path) -> None:
    settings = Settings(script_concurrency=1)
    release = tmp_path / "release"
    playbook = load(tmp_path, HELD_SCRIPT)
    holder, holder_rec = make(playbook, {"release": str(release)}, tmp_path=tmp_path / "a", settings=settings)
    waiter, waiter_rec = make(playbook, {"release": str(release)}, tmp_path=tmp_path / "b", settings=settings)
    holder_task = start(holder)
    await script_pid(holder_rec, "work")  # the holder's script runs: the only slot is taken
    waiter_task = start(waiter)
    await waiter_rec.wait_for(lambda e: e.kind == "log" and "waiting for a free script slot" in e.message)
    t0 = time.monotonic()
    waiter.cancel()
    await waiter_rec.wait("execution_finished")
    assert time.monotonic() - t0 < 0.5
    assert (await finish(waiter_task)).status == ExecutionStatus.CANCELLED
    assert waiter_rec.step("work").status == StepStatus.CANCELLED
    release.touch()
    assert (await finish(holder_task)).status == ExecutionStatus.COMPLETED
