"""What happens when things go wrong: the agent killed -9 (its runs `interrupted`,
resumable), a client that loses the agent, two agents for one root, another
user's process, an agent of another igtk version."""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from igtk_tui.agent.client import check_version
from igtk_tui.errors import ServiceUnavailable
from tests.support.agent import LONG, AgentHandle, kind_is, wait_event, wait_gone
from tests.support.playbooks import write_playbook


def test_kill_9_leaves_the_agents_runs_interrupted_and_resumable(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path, LONG, "long.yaml"))
    wait_event(agent, execution_id, kind_is("step_started", step_id="nap"))
    os.kill(agent.pid, signal.SIGKILL)
    wait_gone(agent)
    history = json.loads(agent.cli("history", "--json").stdout)  # recovery runs as the store opens
    (row,) = [r for r in history if r["id"] == execution_id]
    assert row["status"] == "interrupted"
    resumed = agent.cli("resume", execution_id[:8], "-p", "seconds=0", "--json")
    assert resumed.code == 0, resumed.stderr
    assert f"resuming execution {execution_id[:8]} at step 'nap'" in resumed.stderr
    events = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert events[-1]["event"] == "execution_finished" and events[-1]["status"] == "completed"


def test_attach_says_when_it_loses_the_agent(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path, LONG, "long.yaml"))
    proc = agent.cli.popen("attach", execution_id)
    assert proc.stdout
    for line in proc.stdout:
        if "nap: nap" in line:
            break
    os.kill(agent.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "the agent is gone" in err and f"igtk resume {execution_id[:8]}" in err


def test_two_agents_for_one_root_are_impossible(agent: AgentHandle) -> None:
    second = agent.cli("agent", "run", timeout=30)
    assert second.code == 3
    assert "an agent already runs" in second.stderr and str(agent.pid) in second.stderr
    with agent.client() as client:
        assert client.status()["pid"] == agent.pid  # the first one is untouched


def test_socket_is_0600_in_a_0700_folder(agent: AgentHandle) -> None:
    assert agent.location.folder.stat().st_mode & 0o777 == 0o700
    assert agent.location.socket.stat().st_mode & 0o777 == 0o600


# The folder is entered as root first (pytest's tmp parents are 0700), so only the
# agent folder's and the socket's own modes decide whether `nobody` gets in.
NOBODY_CONNECT = """
import os, socket, sys
os.chdir(os.path.dirname(sys.argv[1]))
os.setgid(int(sys.argv[3])); os.setuid(int(sys.argv[2]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(os.path.basename(sys.argv[1]))
except PermissionError:
    print("EACCES"); sys.exit(0)
try:
    s.sendall(b"GET /v1/agent HTTP/1.1\\r\\nHost: igtk-agent\\r\\n\\r\\n")
    data = s.recv(65536)
except (ConnectionResetError, BrokenPipeError):
    data = b""
print("ANSWER" if data else "HUNG-UP")
"""


@pytest.mark.skipif(os.getuid() != 0, reason="dropping to another uid needs root")
def test_another_users_process_is_refused(agent: AgentHandle) -> None:
    nobody = pwd.getpwnam("nobody")

    def connect_as_nobody() -> str:
        done = subprocess.run([sys.executable, "-c", NOBODY_CONNECT, str(agent.location.socket),
                               str(nobody.pw_uid), str(nobody.pw_gid)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert connect_as_nobody() == "EACCES"  # the 0700 folder keeps it out
    # Even with the file modes loosened by mistake, the peer uid check hangs up on it.
    os.chmod(agent.location.folder, 0o755)
    os.chmod(agent.location.socket, 0o666)
    try:
        assert connect_as_nobody() == "HUNG-UP"
    finally:
        os.chmod(agent.location.folder, 0o700)
        os.chmod(agent.location.socket, 0o600)
    with agent.client() as client:  # its owner still gets answers
        assert client.status()["pid"] == agent.pid


def test_an_agent_of_another_version_is_named_with_the_fix(agent: AgentHandle) -> None:
    with agent.client() as client:
        status = client.status()
    check_version(status, agent.location)  # the same version passes
    with pytest.raises(ServiceUnavailable) as caught:
        check_version({**status, "version": "0.0.1"}, agent.location)
    message = str(caught.value)
    assert "igtk 0.0.1" in message and "igtk agent stop" in message and str(agent.pid) in message
    with pytest.raises(ServiceUnavailable):
        check_version({**status, "api": 0}, agent.location)


def test_a_stale_socket_file_from_a_dead_agent_is_replaced(home: Path, tmp_path: Path) -> None:
    from tests.support.agent import stop_agent

    first = AgentHandle.start(home)
    os.kill(first.pid, signal.SIGKILL)
    wait_gone(first)
    assert first.location.socket.exists()  # left behind by the kill
    with socket.socket(socket.AF_UNIX) as probe:
        with pytest.raises(ConnectionRefusedError):
            probe.connect(str(first.location.socket))
    second = AgentHandle.start(home)
    try:
        assert second.pid != first.pid
        execution_id = second.detach(write_playbook(tmp_path, LONG, "long.yaml"), "-p", "seconds=0")
        assert wait_event(second, execution_id, kind_is("execution_finished"))["status"] == "completed"
    finally:
        stop_agent(second)
