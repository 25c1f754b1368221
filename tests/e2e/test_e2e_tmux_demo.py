"""The real `igtk demo` in a real terminal (tmux, 80x24): keys in with
send-keys, the screen read back with capture-pane (polled against a deadline,
never fixed sleeps), and the history read afterwards with `igtk history --json`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.support.cli import Igtk
from tests.support.terminal import SLOW_DEMO, open_slow_demo, start_demo, wait_file

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]



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
    history = Igtk(home)("history", "--json")
    assert history.code == 0, history.stderr
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
        history = Igtk(home)("history", "--json")
        rows = json.loads(history.stdout or "[]")
        if rows and rows[0]["status"] == "interrupted" and not location.alive():
            break
        time.sleep(0.2)  # polling interval of the deadline loop
    assert rows and rows[0]["status"] == "interrupted", rows
    assert "stopped" in (rows[0]["error"] or ""), rows[0]
    assert not location.alive(), "the demo's agent outlived the demo"
    assert rows[0]["finished_at"]
