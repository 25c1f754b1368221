"""Headless `igtk run` controls: commands on stdin resume, skip and cancel a
paused run; --debug where nobody can answer is refused instead of hanging."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import Igtk
from tests.support.playbooks import write_playbook

PLAYBOOK = """\
name: Controls
version: 1
steps:
  - {id: one, name: one, type: utility.log, parameters: {message: one}}
  - {id: two, name: two, type: utility.log, parameters: {message: two}}
  - {id: three, name: three, type: utility.log, parameters: {message: three}}
"""


def _start(tmp_path: Path, *args: str, stdin: int) -> subprocess.Popen[str]:
    path = write_playbook(tmp_path, PLAYBOOK, "controls.yaml")
    return Igtk(tmp_path / "home").popen("run", str(path), "--json", *args, stdin=stdin)


def test_stdin_commands_drive_a_paused_run(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--breakpoint", "two", "--breakpoint", "three", stdin=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    finished: dict[str, str] = {}
    pauses: list[str] = []
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "paused":
            pauses.append(event["step_id"])
            # At "two": skip it (stays paused at "three"); at "three": resume.
            proc.stdin.write("s\n" if event["step_id"] == "two" else "\n")
            proc.stdin.flush()
        elif event["event"] == "step_finished":
            finished[event["step_id"]] = event["status"]
    assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    assert pauses == ["two", "three"]
    assert finished == {"one": "completed", "two": "skipped", "three": "completed"}


def test_x_cancels_a_paused_run(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--breakpoint", "two", stdin=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    last = {}
    for line in proc.stdout:
        last = json.loads(line)
        if last["event"] == "paused":
            proc.stdin.write("x\n")
            proc.stdin.flush()
    assert proc.wait(timeout=30) == 130
    assert last["event"] == "execution_finished" and last["status"] == "cancelled"


def test_debug_without_an_answerable_stdin_is_refused(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--debug", stdin=subprocess.DEVNULL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "--debug pauses the run, but stdin cannot answer" in err
    assert out == ""


def test_debug_run_whose_stdin_ends_is_cancelled_not_paused_forever(tmp_path: Path) -> None:
    proc = _start(tmp_path, "--debug", stdin=subprocess.PIPE)
    assert proc.stdin and proc.stdout and proc.stderr
    events = []
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "paused":
            proc.stdin.close()  # the pipe feeding commands ends while the run waits for one
    assert proc.wait(timeout=30) == 130
    assert len([e for e in events if e["event"] == "paused"]) == 1  # cancelled at the first pause
    assert events[-1]["event"] == "execution_finished" and events[-1]["status"] == "cancelled"
    assert "stdin closed while the run can still pause for it: cancelling the run" in proc.stderr.read()


def test_stdin_ending_does_not_stop_a_run_that_cannot_pause(tmp_path: Path) -> None:
    proc = _start(tmp_path, stdin=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    proc.stdin.close()
    events = [json.loads(line) for line in proc.stdout]
    assert proc.wait(timeout=30) == 0
    assert events[-1]["event"] == "execution_finished" and events[-1]["status"] == "completed"
