"""Browser lifecycle: no Chromium survives an execution (end, cancel, error,
crash), cancel/skip interrupt blocked browser steps within 500 ms, a missing
browser is exit 3 through `igtk run`, and the Perspective smoke playbook passes
through `igtk run` against a simulator on a free port."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.engine.events import ExecutionStatus, StepStatus
from igtk_tui.playbook.loader import load_file
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.perspective import release_hung_requests, wait_for_hang
from tests.support.browser import ADMIN_PASSWORD, await_gone, chromium_processes, finish, make, start, wait_gone
from tests.support.cli import REPO, Igtk
from tests.support.playbooks import write_playbook

SMOKE = REPO / "tests" / "data" / "playbooks" / "perspective_smoke.yaml"
LIMIT = 0.5  # seconds: cancel and skip stop the step in flight within 500 ms (docs/architecture.md)


@pytest.fixture(autouse=True)
def no_hung_requests(sim: SimulatedGateway) -> Iterator[None]:
    yield
    release_hung_requests(sim.state)


def session_pid(execution: Any) -> int:
    return int(execution.runner.resources.get("browser").pid)


async def test_no_chromium_left_after_a_normal_end(tmp_path: Path, demo: str) -> None:
    path = write_playbook(tmp_path, steps=f"""
        - {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}"}}}}
        - {{id: check, name: check, type: browser.verify, parameters: {{selector: "#goButton"}}}}
    """, name="pb.yaml", title="Browser test")
    execution, rec = make(load_file(path), tmp_path=tmp_path)
    seen: list[int] = []
    rec.on("step_finished", lambda e: seen.extend(chromium_processes()), step_id="open")
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED
    assert len(seen) >= 3, seen  # the browser, its zygotes and a renderer were found while it ran
    assert await await_gone(seen) == [] and chromium_processes() == []
    version = [m for m in rec.logs() if m.startswith("browser: Chromium ")]
    assert version and version[0].split()[2][0].isdigit()


async def test_no_chromium_left_after_an_error_or_a_crash(tmp_path: Path, demo: str) -> None:
    path = write_playbook(tmp_path, steps=f"""
        - {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}"}}}}
        - {{id: after_crash, name: after_crash, type: browser.navigate, retry_count: 1, retry_delay: 0,
           parameters: {{url: "{demo}"}}}}
        - {{id: too_slow, name: too_slow, type: browser.wait, timeout: 0.3, on_failure: continue,
           parameters: {{selector: "#nope", timeout: 600000}}}}
        - {{id: broken, name: broken, type: browser.click, parameters: {{selector: "#nope", timeout: 100}}}}
    """, name="pb.yaml", title="Browser test")
    execution, rec = make(load_file(path), tmp_path=tmp_path)
    first: list[int] = []

    profiles: list[Path] = []

    def crash(_event: Any) -> None:
        pid = session_pid(execution)
        first.extend(chromium_processes())
        profiles.append(Path(execution.runner.resources.get("browser").profile))
        os.killpg(pid, signal.SIGKILL)  # the browser dies under the execution

    rec.on("step_finished", crash, step_id="open")
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED and "no element matches '#nope'" in (result.error or "")
    assert rec.step("after_crash").status == StepStatus.COMPLETED  # a new browser took over
    # A step that meets the crash fails plainly; the next attempt starts a new browser.
    errors = [e.error for e in rec.of("attempt_finished", step_id="after_crash") if e.error]
    assert all("the browser page was closed (did Chromium crash" in e for e in errors), errors
    assert any("the browser is gone" in m for m in rec.logs("after_crash"))
    assert rec.step("too_slow").error == "timed out after 0.3 s"  # the step's own timeout (seconds)
    assert first and await await_gone(first) == [] and chromium_processes() == []
    assert profiles[0].name.startswith("playwright_chromiumdev_profile-") and not profiles[0].exists()


async def wait_blocked(rec: Any, sim: SimulatedGateway, step_id: str) -> None:
    """Until the step is really blocked: the browser holds the /slow request, or the step said it waits."""
    if step_id == "hang":
        assert await asyncio.to_thread(wait_for_hang, sim.state, 15)
    else:
        await rec.wait_for(lambda e: (e.kind == "log" and e.step_id == step_id and "(waits" in e.message)
                           or (e.kind == "log" and e.step_id == step_id and e.message.startswith("wait for")))


BLOCKING = """
- {id: open, name: open, type: browser.navigate, parameters: {url: "DEMO", wait_for: "#goButton"}}
- {id: missing, name: missing, type: browser.click, parameters: {selector: "#missing", timeout: 600000}}
- {id: hang, name: hang, type: browser.navigate, parameters: {url: "SLOW", timeout: 600000}}
- {id: long_wait, name: long_wait, type: browser.wait, parameters: {selector: "#neverThere", timeout: 600000}}
- {id: usable, name: usable, type: browser.verify, parameters: {selector: "#goButton"}}
"""


def blocking(tmp_path: Path, sim: SimulatedGateway, demo: str, keep: tuple[str, ...]) -> Path:
    lines = [ln for ln in BLOCKING.strip().splitlines() if any(f"id: {k}," in ln for k in ("open", *keep, "usable"))]
    text = "\n".join(lines).replace("DEMO", demo).replace("SLOW", f"{sim.url}/data/perspective/client/Demo/slow")
    return write_playbook(tmp_path, steps=text, name="pb.yaml", title="Browser test")


async def test_skip_interrupts_blocked_browser_steps_within_500_ms(tmp_path: Path, sim: SimulatedGateway,
                                                                   demo: str) -> None:
    steps = ("missing", "hang", "long_wait")
    execution, rec = make(load_file(blocking(tmp_path, sim, demo, steps)), tmp_path=tmp_path)
    task = start(execution)
    latencies = {}
    for step_id in steps:
        await wait_blocked(rec, sim, step_id)
        t0 = time.monotonic()
        execution.skip()
        await rec.wait("step_finished", step_id=step_id)
        latencies[step_id] = time.monotonic() - t0
        assert rec.step(step_id).status == StepStatus.SKIPPED
    result = await finish(task)
    assert result.status == ExecutionStatus.COMPLETED, (result.error, rec.finished())  # still usable after skips
    print(f"skip latencies (ms): { {k: round(v * 1000) for k, v in latencies.items()} }")
    assert all(v < LIMIT for v in latencies.values()), latencies


@pytest.mark.parametrize("step_id", ["missing", "hang", "long_wait"])
async def test_cancel_interrupts_a_blocked_browser_step_within_500_ms(tmp_path: Path, sim: SimulatedGateway,
                                                                      demo: str, step_id: str) -> None:
    execution, rec = make(load_file(blocking(tmp_path, sim, demo, (step_id,))), tmp_path=tmp_path)
    task = start(execution)
    await wait_blocked(rec, sim, step_id)
    running = chromium_processes()
    t0 = time.monotonic()
    execution.cancel()
    await rec.wait("step_finished", step_id=step_id)
    stopped = time.monotonic() - t0
    await rec.wait("execution_finished")
    closed = time.monotonic() - t0
    result = await finish(task)
    print(f"cancel {step_id}: step stopped in {stopped * 1000:.0f} ms, browser closed and "
          f"execution finished in {closed * 1000:.0f} ms")
    assert result.status == ExecutionStatus.CANCELLED and rec.step(step_id).status == StepStatus.CANCELLED
    # The step stops within the limit; closing Chromium afterwards (~0.1-0.4 s) is cleanup.
    assert stopped < LIMIT and closed < 4 * LIMIT
    assert running and await await_gone(running) == [] and chromium_processes() == []


@pytest.mark.parametrize("configured", [True, False])
def test_no_browser_is_exit_3_through_igtk_run(tmp_path: Path, home: Path, demo: str, configured: bool) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {"PATH": str(empty), "PLAYWRIGHT_BROWSERS_PATH": str(empty)}
    if configured:
        (home / "config").mkdir(parents=True)
        (home / "config" / "config.toml").write_text('browser_path = "/missing/chromium"\n')
    path = write_playbook(tmp_path, steps=f'- {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}"}}}}', name="pb.yaml", title="Browser test")
    proc = Igtk(home).popen("run", str(path), env=env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    if configured:
        assert "the configured browser '/missing/chromium' (setting browser_path) does not exist" in err
    else:
        assert "no Chromium browser found" in err and "chromium-browser" in err
    assert "apt-get install chromium" in err and "browser_path" in err
    assert "step_started" not in out and "open" not in out  # nothing ran


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A TMPDIR for an `igtk run` (short, as real ones are): it marks every process and folder of its browser."""
    folder = Path(tempfile.mkdtemp(prefix="igtk-t-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_perspective_smoke_playbook_through_igtk_run(sim: SimulatedGateway, home: Path, scratch: Path) -> None:
    igtk = Igtk(home, TMPDIR=str(scratch))
    proc = igtk.popen("run", str(SMOKE), "--json", "-p", f"gateway_url={sim.url}", "-p", f"password={ADMIN_PASSWORD}")
    assert proc.stdout is not None
    events, during = [], []
    for line in proc.stdout:
        event = json.loads(line)
        events.append(event)
        if event["event"] == "step_finished" and event["step_id"] == "login":
            during = chromium_processes(mentions=[scratch])
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.wait(timeout=60) == 0, (err, [e for e in events if e["event"] == "step_finished"])
    finished = {e["step_id"]: e["status"] for e in events if e["event"] == "step_finished"}
    assert set(finished.values()) == {"completed"} and len(finished) == 10
    shots = [e for e in events if e["event"] == "artifact" and e["artifact_kind"] == "screenshot"]
    assert len(shots) == 1 and Path(shots[0]["path"]).read_bytes()[:4] == b"\x89PNG"
    assert ADMIN_PASSWORD not in json.dumps(events) + err
    assert during, "the browser was not found while the playbook ran"
    assert wait_gone(during) == [] and chromium_processes(mentions=[scratch]) == []
    assert not [p for p in scratch.iterdir() if p.name.startswith(("igtk-browser-", "playwright"))]
    # The browser version is recorded with the execution (the execution records its browser version).
    noted = [e["value"] for e in events if e["event"] == "note" and e["key"] == "browser_version"]
    assert len(noted) == 1 and noted[0][0].isdigit()
    shown = igtk("show", events[0]["execution_id"], "--json")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout)["browser_version"] == noted[0]


def test_sighup_during_a_browser_step_leaves_no_chromium(tmp_path: Path, home: Path, demo: str, scratch: Path) -> None:
    path = write_playbook(tmp_path, steps=f"""
        - {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}"}}}}
        - {{id: long, name: long, type: browser.wait, parameters: {{selector: "#never", timeout: 600000}}}}
    """, name="pb.yaml", title="Browser test")
    proc = Igtk(home, TMPDIR=str(scratch)).popen("run", str(path), "--json")
    assert proc.stdout is not None
    during: list[int] = []
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "log" and event.get("step_id") == "long" and event["message"].startswith("wait for"):
            during = chromium_processes(mentions=[scratch])
            proc.send_signal(signal.SIGHUP)  # the SSH session dropped
    assert proc.wait(timeout=30) == 128 + signal.SIGHUP
    assert during and wait_gone(during) == [] and chromium_processes(mentions=[scratch]) == []


REAPER_SCRIPT = """
import asyncio, atexit, json, os, signal, sys
from igtk_tui.browser import reaper
from igtk_tui.browser.discovery import find_browser
from igtk_tui.browser.session import BrowserSession
if sys.argv[1:] == ["control"]:
    atexit.unregister(reaper.kill_all)

async def main():
    session = BrowserSession(find_browser())
    await session.ensure_started()
    with open(f"/proc/{session.pid}/stat") as fh:
        driver = int(fh.read().rsplit(")", 1)[1].split()[1])
    print(json.dumps({"pid": session.pid, "home": session.home, "driver": driver,
                      "profile": session.profile}), flush=True)
    os.kill(driver, signal.SIGSTOP)  # the driver hangs; the loop ends without closing the session

asyncio.run(main())
"""


@pytest.mark.parametrize("reaper_on", [True, False])
def test_the_exit_reaper_kills_a_browser_a_stuck_driver_cannot(tmp_path: Path, scratch: Path,
                                                              reaper_on: bool) -> None:
    script = tmp_path / "abandon.py"
    script.write_text(REAPER_SCRIPT)
    # stderr is not piped: the stopped driver keeps its copy open after the script exits.
    # TMPDIR=scratch: what the killed driver cannot clean up is removed with the scratch folder.
    proc = subprocess.Popen([sys.executable, str(script), *([] if reaper_on else ["control"])], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "TMPDIR": str(scratch)})
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    try:
        assert proc.wait(timeout=60) == 0
        alive = wait_gone([info["pid"]], timeout=0.0 if not reaper_on else 5.0)
        assert Path(info["profile"]).parent == scratch and Path(info["home"]).parent == scratch
        if reaper_on:
            assert alive == [] and not Path(info["home"]).exists() and not Path(info["profile"]).exists()
            assert chromium_processes(mentions=[info["home"]]) == []
        else:  # without the reaper the browser outlives the process: what the reaper is for
            assert alive == [info["pid"]]
    finally:
        for pid, group in ((info["driver"], False), (info["pid"], True)):
            try:
                (os.killpg if group else os.kill)(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(info["home"], ignore_errors=True)
