"""SIGKILL at random points: what stdout reported is in the database, the file stays
intact, the next start marks the run interrupted, and `igtk resume` completes it,
twice over (the resumed run is itself killed and resumed again).

Two kills per seed, 11 seeds: 22 kills. The kill point is a random number of
`step_finished` lines read from the child's stdout (never a sleep).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Igtk
from tests.support.playbooks import long_playbook
from tests.support.store_backend import current, db_connect

STEPS = 40  # plus the guard and final steps


def run_and_kill(home: Path, args: list[str], finished_lines: int) -> list[dict[str, Any]]:
    """Start `igtk ... --json`, SIGKILL it after `finished_lines` step_finished lines;
    returns every complete JSON line it printed."""
    proc = Igtk(home).popen(*args, "--json")
    assert proc.stdout is not None
    lines: list[dict[str, Any]] = []
    seen = 0
    try:
        while True:
            raw = proc.stdout.readline()
            if not raw:
                break
            event = json.loads(raw)
            lines.append(event)
            if event["event"] == "execution_started" and finished_lines == 0:
                break
            if event["event"] == "step_finished":
                seen += 1
                if seen >= finished_lines:
                    break
    finally:
        proc.send_signal(signal.SIGKILL)
        # Through the same text buffers readline used (communicate() would read the raw
        # pipe and skip what is already buffered); the pipes end when the child is dead.
        rest = proc.stdout.read()
        err = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    # Lines already in the pipe were printed before the kill: they count too.
    lines += [json.loads(line) for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    return lines


def assert_reported_steps_are_recorded(home: Path, lines: list[dict[str, Any]]) -> str:
    started = [e for e in lines if e["event"] == "execution_started"]
    assert started, "the run printed nothing before it was killed"
    execution_id = started[0]["execution_id"]
    current().check_integrity(home)
    conn = db_connect(home)
    try:
        recorded = {r["path"]: r for r in conn.execute(
            "SELECT path, status, output FROM steps WHERE execution_id = ?", (execution_id,))}
        for event in lines:
            if event["event"] == "step_finished":
                row = recorded[event["step_id"]]
                assert row["status"] == event["status"], event
                assert json.loads(row["output"]) == event["output"]
        count = conn.execute("SELECT COUNT(*) FROM steps WHERE execution_id = ?", (execution_id,)).fetchone()[0]
        assert count == STEPS + 2  # one row per step, never duplicated
    finally:
        conn.close()
    return execution_id


def history_status(home: Path, execution_id: str) -> str:
    result = Igtk(home)("history", "--json", "--limit", "10")
    assert result.code == 0, result.stderr
    return {row["id"]: row["status"] for row in result.json()}[execution_id]


@pytest.mark.parametrize("seed", range(11))
def test_sigkill_then_resume_twice(home: Path, tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    playbook = long_playbook(tmp_path, STEPS)

    first_kill = rnd.randrange(0, STEPS - 4)
    lines = run_and_kill(home, ["run", str(playbook)], first_kill)
    first = assert_reported_steps_are_recorded(home, lines)
    assert history_status(home, first) == "interrupted"
    original = {e["step_id"]: e["output"] for e in lines if e["event"] == "step_finished"}

    restored = sum(1 for e in lines if e["event"] == "step_finished")
    second_kill = restored + rnd.randrange(0, max(1, STEPS - 4 - restored))
    lines2 = run_and_kill(home, ["resume", first[:8]], second_kill)
    second = assert_reported_steps_are_recorded(home, lines2)
    assert second != first

    final = Igtk(home)("resume", second, "--json")  # its start marks `second` interrupted
    assert final.code == 0, final.stderr
    events = final.events
    assert events[-1]["event"] == "execution_finished" and events[-1]["status"] == "completed"
    third = events[0]["execution_id"]
    assert events[0]["resumed_from"] == second

    conn = db_connect(home)
    try:
        steps = {r["path"]: (r["status"], json.loads(r["output"])) for r in conn.execute(
            "SELECT path, status, output FROM steps WHERE execution_id = ?", (third,))}
    finally:
        conn.close()
    assert len(steps) == STEPS + 2 and all(status == "completed" for status, _ in steps.values())
    for step_id, output in original.items():  # outputs of the first run survive two resumes
        assert steps[step_id][1] == output
    last_var = 3 * ((STEPS - 1) // 3)
    assert steps["final"][1]["logged"] == f"first=0 last={last_var}"

    links = {row["id"]: row for row in Igtk(home)("history", "--json").json()}
    assert links[second]["status"] == "interrupted" and links[third]["status"] == "completed"
    assert links[first]["resumed_by"] == second and links[second]["resumed_by"] == third
    assert links[second]["resumed_from"] == first and links[third]["trigger"] == "resume"


def test_a_live_owner_is_left_alone_and_a_dead_one_marked(home: Path, tmp_path: Path) -> None:
    """A running execution of a live process is never marked interrupted by another start."""
    slow = tmp_path / "slow.yaml"
    slow.write_text(json.dumps({"name": "slow", "version": "1", "steps": [
        {"id": "wait", "name": "wait", "type": "utility.sleep", "parameters": {"seconds": 60}}]}))
    child = Igtk(home).popen("run", str(slow), "--json")
    assert child.stdout is not None
    try:
        first = json.loads(child.stdout.readline())
        assert first["event"] == "execution_started"
        assert history_status(home, first["execution_id"]) == "running"
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    assert history_status(home, first["execution_id"]) == "interrupted"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_record_interrupted_with_the_signal(home: Path, tmp_path: Path,
                                                               sig: signal.Signals) -> None:
    """A stop or an SSH drop is not an operator's cancel: `interrupted` (resumable), naming the signal."""
    slow = tmp_path / "slow.yaml"
    slow.write_text(json.dumps({"name": "slow", "version": "1", "steps": [
        {"id": "wait", "name": "wait", "type": "utility.sleep", "parameters": {"seconds": 60}}]}))
    child = Igtk(home).popen("run", str(slow), "--json")
    assert child.stdout is not None
    first = json.loads(child.stdout.readline())
    child.send_signal(sig)
    try:
        out, _ = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    assert child.returncode == 128 + sig
    last = json.loads(out.splitlines()[-1])
    assert last["status"] == "interrupted" and sig.name in last["error"]
    assert history_status(home, first["execution_id"]) == "interrupted"
    shown = Igtk(home)("show", first["execution_id"], "--json").json()
    assert sig.name in shown["error"] and "operator" not in shown["error"]
    assert [s["status"] for s in shown["steps"]] == ["cancelled"]
    assert sig.name in shown["steps"][0]["error"]


def test_ctrl_c_is_the_operators_cancel(home: Path, tmp_path: Path) -> None:
    slow = tmp_path / "slow.yaml"
    slow.write_text(json.dumps({"name": "slow", "version": "1", "steps": [
        {"id": "wait", "name": "wait", "type": "utility.sleep", "parameters": {"seconds": 60}}]}))
    child = Igtk(home).popen("run", str(slow), "--json")
    assert child.stdout is not None
    first = json.loads(child.stdout.readline())
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 130
    assert history_status(home, first["execution_id"]) == "cancelled"
