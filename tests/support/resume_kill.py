"""kill -9 of a real `igtk run` of a shipped playbook, then `igtk resume`: shared by the test
(every step boundary) and benchmarks/resume_kills.py (random moments)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass

from tests.support.cli import Igtk


@dataclass
class Killed:
    execution_id: str
    finished: list[str]  # steps the killed run reported finished (committed) before the kill


def run_and_kill(cli: Igtk, args: list[str], *, pause_before: str | None = None,
                 after_seconds: float | None = None) -> Killed:
    """Start `igtk run ARGS --json`, kill -9 it when it pauses before `pause_before` (an exact step
    boundary) or `after_seconds` after its first step started (a random moment)."""
    extra = ["--breakpoint", pause_before] if pause_before else []
    proc = cli.popen("run", *args, "--json", *extra, stdin=subprocess.PIPE)
    assert proc.stdout is not None
    execution_id = ""
    finished: list[str] = []
    deadline: float | None = None
    try:
        os.set_blocking(proc.stdout.fileno(), True)
        for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "execution_started":
                execution_id = event["execution_id"]
            elif event["event"] == "step_finished":
                finished.append(event["step_id"])
            elif event["event"] == "step_started" and after_seconds is not None and deadline is None:
                deadline = time.monotonic() + after_seconds
                break
            elif event["event"] == "paused" and pause_before is not None:
                break
            elif event["event"] == "execution_finished":
                break
        if deadline is not None:
            time.sleep(max(0.0, deadline - time.monotonic()))  # the random moment itself, not a sync
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
        if proc.stdin:
            proc.stdin.close()
    assert execution_id, "the run was killed before it started"
    return Killed(execution_id, finished)
