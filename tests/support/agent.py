"""Helpers for agent tests: the agent handle, stopping agents, event waits.

Waits read the agent's own event stream (snapshot, then live events) until the
wanted event arrives; never a sleep.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from igtk_tui.agent.client import AgentClient
from igtk_tui.agent.location import AgentLocation
from igtk_tui.paths import Paths, resolve_paths
from tests.support.cli import Igtk

TIMEOUT = 60

LONG = """\
    name: Long
    version: 1
    parameters:
      - {name: seconds, type: float, default: 120}
    steps:
      - {id: a, name: first, type: utility.log, parameters: {message: hello}}
      - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: "{{ parameter.seconds }}"}}
      - {id: b, name: last, type: utility.log, parameters: {message: bye}}
    """


@dataclass
class AgentHandle:
    home: Path
    paths: Paths
    pid: int

    @classmethod
    def start(cls, home: Path) -> AgentHandle:
        done = Igtk(home, passphrase=None)("agent", "start", timeout=TIMEOUT)
        assert done.code == 0, done.stderr
        paths = resolve_paths({"IGTK_HOME": str(home)})
        with AgentClient.connect(paths) as client:
            pid = int(client.status()["pid"])
        return cls(home, paths, pid)

    @property
    def location(self) -> AgentLocation:
        return AgentLocation.of(self.paths)

    @property
    def cli(self) -> Igtk:
        """`igtk` on the agent's home (no vault passphrase: the agent's vault is its own)."""
        return Igtk(self.home, passphrase=None)

    def client(self) -> AgentClient:
        return AgentClient.connect(self.paths)

    def detach(self, playbook: Path, *args: str) -> str:
        done = self.cli("run", str(playbook), "--detach", *args, timeout=TIMEOUT)
        assert done.code == 0, done.stderr
        return done.stdout.strip()


def stop_agent_at(home: Path) -> None:
    """Stop whatever agent serves this home (one a TUI started on demand included), in-process
    over its socket, then SIGKILL it if it is still there; returns once it is gone."""
    paths = resolve_paths({"IGTK_HOME": str(home)})
    location = AgentLocation.of(paths)
    if not location.alive():
        return
    pid = location.holder_pid()
    try:
        with AgentClient.connect(paths) as client:
            client.stop(cancel_running=True)
    except Exception:  # noqa: BLE001 - another version, or dying: the kill below ends it
        pass
    if pid:
        try:
            wait_gone(AgentHandle(home, paths, pid))
            return
        except AssertionError:
            os.kill(pid, signal.SIGKILL)
            wait_gone(AgentHandle(home, paths, pid))


def agents_left(homes: list[Path]) -> list[int]:
    """Pids of `igtk agent run` processes whose folder is under one of `homes` (read in /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd")
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if b"igtk_tui" in argv and b"agent" in argv and b"run" in argv and state != "Z" \
                and any(cwd.startswith(str(h)) for h in homes):
            found.append(int(proc.name))
    return found


def stop_agent(handle: AgentHandle) -> None:
    if handle.location.alive():
        handle.cli("agent", "stop", "--cancel-running", timeout=TIMEOUT)
    try:
        os.kill(handle.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    wait_gone(handle)


def wait_gone(handle: AgentHandle) -> None:
    """Wait (bounded) until the agent process is gone or a zombie (it is not our child) and
    its lock is released: a zombie leader's other threads may still hold its files."""
    import time

    pid = handle.pid
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        gone = not stat.exists() or stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z"
        if gone and not handle.location.alive():
            return
        time.sleep(0.01)
    raise AssertionError(f"agent pid {pid} did not go away")


def wait_event(handle: AgentHandle, execution_id: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first event (from the snapshot or live) matching `pred`; AssertionError at the stream's end."""
    seen: list[str] = []
    with handle.client() as client:
        for kind, data in client.events(execution_id):
            items = data["events"] if kind == "snapshot" else [data] if kind != "end" else []
            for item in items:
                seen.append(item["event"])
                if pred(item):
                    return item
    raise AssertionError(f"the stream ended without the event; saw {seen}")


def kind_is(kind: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == kind and all(e.get(k) == v for k, v in fields.items())
