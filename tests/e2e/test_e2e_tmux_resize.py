"""Issue 14 item 12 in a real terminal: `igtk demo` in tmux, a run paused in a wait, the
window resized 80x24 -> 120x40 -> 60x20 -> 80x24 and again. At each size the screen (read
back with capture-pane) shows the step in flight with its elapsed seconds, the execution's
row with its pause, n/N progress and elapsed time, and the step controls in the footer;
no line is wider than the terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e_tmux_demo import SLOW_DEMO, open_slow_demo, start_demo, wait_file  # noqa: E402

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(not SLOW_DEMO.exists(), reason="no slow demo playbook")]

STEP_IN_FLIGHT = re.compile(r"▶ running\s+Let[^\n]*?\d+s")  # the name may give way (…), the seconds not
EXECUTION_ROW = re.compile(r"#1 ‖ paused[^\n]*(\n[^\n]*){0,2}?2/6\s+\d+s")  # it may wrap onto more lines


def resize(term: object, width: int, height: int) -> None:
    subprocess.run(["tmux", "resize-window", "-t", term.name, "-x", str(width), "-y", str(height)],  # type: ignore[attr-defined]
                   check=True)


def shows_the_run(screen: str) -> bool:
    footer = screen.rstrip("\n").splitlines()[-1] if screen.strip() else ""
    return bool(STEP_IN_FLIGHT.search(screen) and EXECUTION_ROW.search(screen)
                and "p resume" in footer and "x cancel" in footer)


def test_the_running_step_and_its_status_stay_in_view_across_resizes(tmp_path: Path) -> None:
    home, exit_file = tmp_path / "home", tmp_path / "exit-code"
    term = start_demo(home, exit_file)
    try:
        open_slow_demo(term)
        term.keys("End", *["BSpace"] * 6)  # short_wait (the first field, focused): the warm-up script and
        term.text("9")  # the 9 s "Let the readings settle" sleep, where the pause takes effect at once
        term.keys("C-r")
        term.wait_for("▶ running     Let the readings settle", timeout=40)
        term.keys("p")
        term.wait_for(shows_the_run, timeout=30)
        for width, height in ((120, 40), (60, 20), (80, 24), (60, 20), (80, 24)):
            resize(term, width, height)
            screen = term.wait_for(lambda s, w=width: shows_the_run(s) and max(map(len, s.splitlines())) <= w,
                                   timeout=30)
            lines = screen.splitlines()
            assert len(lines) <= height and all(len(line) <= width for line in lines), screen
        term.keys("x")
        term.wait_for("y yes")
        term.keys("y")
        term.wait_for("#1 ■ cancelled", timeout=40)
        term.keys("q")
        assert wait_file(exit_file) == "0"
    finally:
        term.kill()
