"""The real `igtk demo` in a real terminal (tmux, 80x24): keys in with
send-keys, the screen read back with capture-pane (polled against a deadline,
never fixed sleeps), and the history read afterwards with `igtk history --json`.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

REPO = Path(__file__).resolve().parents[2]
SLOW_DEMO = REPO / "playbooks" / "examples" / "slow_demo.yaml"


class Terminal:
    """One tmux session running a command at 80x24."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"igtk-e2e-{uuid.uuid4().hex[:8]}"
        self.env = env
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # Without COLUMNS/LINES (a pane started from pytest gets COLUMNS=80 LINES=24, and Python's
        # terminal size would then stay 80x24 whatever the window: a resize would never reach the app).
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24",
                        f"env -u COLUMNS -u LINES {exports} {command}"], check=True, cwd=REPO)

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def text(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", *keys], check=True)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def wait_for(self, check: str | Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if (check in screen) if isinstance(check, str) else check(screen):
                return screen
            time.sleep(0.1)  # polling interval of the deadline loop, not a synchronisation sleep
        raise AssertionError(f"timed out waiting for {check!r}; screen was:\n{screen}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def wait_file(path: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.1)
    raise AssertionError(f"{path} never written")


def igtk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IGTK_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "igtk_tui", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60)


def start_demo(home: Path, exit_file: Path) -> Terminal:
    env = {"IGTK_HOME": str(home), "TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""),
           "HOME": str(home), "LANG": "C.UTF-8"}
    command = f"sh -c '{sys.executable} -m igtk_tui demo; echo $? > {exit_file}'"
    term = Terminal(command, env)
    term.wait_for("Playbooks (", timeout=30)
    term.wait_for("DEMO")
    return term


def open_slow_demo(term: Terminal) -> None:
    term.keys("/")
    term.text("slow demo")
    term.wait_for(lambda s: "slow demo" in s and "Example: breakpoint" not in s)
    term.keys("Enter")  # leaves the filter field for the list
    # The next Enter opens the form; repeated until it shows, in case the first raced the focus change
    # (an extra Enter in the form's first field does nothing).
    deadline = time.monotonic() + 30
    while "Run: Example: slow demo" not in term.screen():
        assert time.monotonic() < deadline, term.screen()
        term.keys("Enter")
        try:
            term.wait_for("Run: Example: slow demo", timeout=1.5)
        except AssertionError:
            continue


@pytest.mark.skipif(not SLOW_DEMO.exists(), reason="playbooks/examples/slow_demo.yaml is not shipped")
def test_demo_runs_pauses_resumes_and_records(tmp_path: Path) -> None:
    home, exit_file = tmp_path / "home", tmp_path / "exit-code"
    term = start_demo(home, exit_file)
    try:
        open_slow_demo(term)
        # Long enough to pause in the middle: short_wait (the first field, focused) 2 s.
        term.keys("End", *["BSpace"] * 6)
        term.text("2")
        term.keys("C-r")
        term.wait_for("▶ running")
        term.keys("p")
        term.wait_for(lambda s: "‖ 1 paused" in s and "#1 ‖ paused" in s)  # status line and the row
        term.keys("p")
        term.wait_for(lambda s: "‖ paused" not in s)
        done = term.wait_for("#1 ✓ completed", timeout=40)
        assert "Demo finished: all steps done" in done or "✓ completed   Summarise" in done
        term.keys("q")
        assert wait_file(exit_file) == "0"
    finally:
        term.kill()
    history = igtk(home, "history", "--json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    assert len(rows) == 1
    assert rows[0]["status"] == "completed"
    assert rows[0]["playbook"] == "Example: slow demo (watch it live)"
    assert rows[0]["started_at"] and rows[0]["finished_at"]


@pytest.mark.skipif(not SLOW_DEMO.exists(), reason="playbooks/examples/slow_demo.yaml is not shipped")
def test_terminal_hangup_of_the_demo_stops_its_agent_and_records_the_run_interrupted(tmp_path: Path) -> None:
    """The demo's runs live in the demo's own agent, against the gateway the demo simulates: when a
    hang-up ends the demo, it stops that agent (nothing left behind) and the run is `interrupted`."""
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.paths import resolve_paths

    home, exit_file = tmp_path / "home", tmp_path / "exit-code"
    term = start_demo(home, exit_file)
    try:
        open_slow_demo(term)
        term.keys("End", *["BSpace"] * 6)
        term.text("9")  # short_wait <= 10: the warm-up script runs for 9 s, the hang-up comes in the middle
        term.keys("C-r")
        term.wait_for("▶ running     Wait for the controller")
    finally:
        term.kill()  # the pty goes away: the app gets SIGHUP
    location = AgentLocation.of(resolve_paths({"IGTK_HOME": str(home)}))
    deadline = time.monotonic() + 60
    rows: list = []
    while time.monotonic() < deadline:
        history = igtk(home, "history", "--json")
        rows = json.loads(history.stdout or "[]")
        if rows and rows[0]["status"] == "interrupted" and not location.alive():
            break
        time.sleep(0.2)  # polling interval of the deadline loop
    assert rows and rows[0]["status"] == "interrupted", rows
    assert "stopped" in (rows[0]["error"] or ""), rows[0]
    assert not location.alive(), "the demo's agent outlived the demo"
    assert rows[0]["finished_at"]
