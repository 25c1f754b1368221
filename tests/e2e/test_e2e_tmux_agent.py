"""Done-when of the agent, with real processes in a real terminal: a long gateway
playbook is started FROM THE TUI's parameter form in tmux (against the simulated
gateway over a real port); it runs in the agent the TUI started; `kill -HUP` of
that TUI leaves it running; a new TUI shows it live with its backlog, pauses it and
cancels it with its keys.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from igtk_tui.simulator.server import SimulatedGateway
from tests.support.agent import stop_agent_at
from tests.support.cli import Igtk
from tests.support.playbooks import write_playbook
from tests.support.terminal import Terminal

pytestmark = [pytest.mark.tmux, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

GATEWAY_PLAYBOOK = """\
    name: Long gateway job
    version: 1
    parameters:
      - {name: gateway_url, type: string, required: true}
    steps:
      - id: ping
        name: StatusPing before
        type: gateway.ping
        parameters: {gateway_url: "{{ parameter.gateway_url }}", require_running: true}
      - {id: nap, name: Wait for the upgrade window, type: utility.sleep, parameters: {seconds: 300}}
      - id: again
        name: StatusPing after
        type: gateway.ping
        parameters: {gateway_url: "{{ parameter.gateway_url }}"}
    """


def open_tui(home: Path) -> Terminal:
    env = {"IGTK_HOME": str(home), "TERM": "xterm-256color", "PATH": os.environ.get("PATH", ""),
           "HOME": str(home), "LANG": "C.UTF-8"}
    term = Terminal(f"{sys.executable} -m igtk_tui", env)
    term.wait_for("Playbooks (", timeout=30)
    return term


def pane_pid(term: Terminal) -> int:
    out = subprocess.run(["tmux", "display-message", "-p", "-t", term.name, "#{pane_pid}"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def live_status(home: Path, execution_id: str) -> str:
    items = json.loads(Igtk(home, passphrase=None)("ps", "--json").stdout)
    return next((i["status"] for i in items if i["id"] == execution_id), "gone")


def open_form(term: Terminal, filter_text: str, title: str) -> None:
    """Filter the library, then enter until the form shows (an Enter may race the focus change)."""
    term.keys("/")
    term.text(filter_text)
    term.wait_for(lambda s: filter_text in s)
    term.keys("Enter")  # leaves the filter field for the list
    deadline = time.monotonic() + 30
    while title not in term.screen():
        assert time.monotonic() < deadline, term.screen()
        term.keys("Enter")
        try:
            term.wait_for(title, timeout=1.5)
        except AssertionError:
            continue


def test_hup_of_the_tui_leaves_its_run_in_the_agent_and_a_new_tui_drives_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    library = home / "data" / "playbooks"
    library.mkdir(parents=True)
    write_playbook(library, GATEWAY_PLAYBOOK, "gw.yaml")  # in the user's library
    with SimulatedGateway() as gateway:
        try:
            first = open_tui(home)
            try:
                open_form(first, "Long gateway", "Run: Long gateway job")
                first.text(gateway.url)  # gateway_url, the first field (focused)
                first.keys("C-r")
                first.wait_for(lambda s: "▶ running" in s and "Wait for the upgrade" in s, timeout=60)
                execution_id = json.loads(Igtk(home, passphrase=None)("ps", "--json").stdout)[0]["id"]
                os.kill(pane_pid(first), signal.SIGHUP)
                deadline = time.monotonic() + 30
                while first.alive():  # the TUI leaves on SIGHUP; its pane, and the session, close
                    assert time.monotonic() < deadline, first.screen()
                    time.sleep(0.1)  # polling interval of the deadline loop
            finally:
                first.kill()
            assert live_status(home, execution_id) == "running"
            second = open_tui(home)
            try:
                screen = second.wait_for(lambda s: "Long gateway job" in s and "Wait for the upgrade" in s)
                assert "StatusPing before" in screen  # the backlog: what ran before this TUI existed
                second.keys("p")
                second.wait_for("‖ paused")
                assert live_status(home, execution_id) == "paused"
                second.keys("x")  # cancel asks first
                second.wait_for("Cancel execution")
                second.keys("y")
                second.wait_for("cancelled")
            finally:
                second.kill()
            shown = json.loads(Igtk(home, passphrase=None)("show", execution_id, "--json").stdout)
            assert shown["status"] == "cancelled" and shown["trigger"] == "tui"
            assert [s["status"] for s in shown["steps"]][:1] == ["completed"]
        finally:
            stop_agent_at(home)
