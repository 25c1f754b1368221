"""A true terminal for end-to-end tests: tmux at 80x24 running igtk, read back with capture-pane,
and the demo's steps the tmux tests share (start `igtk demo`, open its slow demo)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.support.cli import REPO

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
