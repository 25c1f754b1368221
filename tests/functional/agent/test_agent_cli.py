"""`igtk run --detach`, `ps`, `attach`, the control verbs and `agent stop|status`,
driven as real processes against a real agent over its real socket."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

from agent_helpers import AgentHandle, igtk, kind_is, popen, wait_event, wait_gone, write_playbook

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_run_detach_prints_the_id_and_ps_lists_it(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path))
    assert UUID.match(execution_id)
    wait_event(agent, execution_id, kind_is("step_started", step_id="nap"))
    ps = igtk(agent.home, "ps", "--json")
    assert ps.returncode == 0, ps.stderr
    (item,) = json.loads(ps.stdout)
    assert item["id"] == execution_id and item["status"] == "running" and item["current_step"] == "nap"
    assert item["trigger"] == "cli-detach" and item["steps_done"] == 1 and item["steps_total"] == 3
    table = igtk(agent.home, "ps")
    assert execution_id[:8] in table.stdout and "running" in table.stdout and "Long" in table.stdout
    assert igtk(agent.home, "cancel", execution_id[:8]).returncode == 0
    finished = wait_event(agent, execution_id, kind_is("execution_finished"))
    assert finished["status"] == "cancelled"
    shown = json.loads(igtk(agent.home, "show", execution_id, "--json").stdout)
    assert shown["status"] == "cancelled" and shown["playbook"] == "Long"  # recorded by the same store
    idle = igtk(agent.home, "ps")  # nothing live: said so, not an empty screen
    assert idle.returncode == 0 and idle.stdout == "" and "runs no execution now" in idle.stderr


def test_run_detach_with_bad_input_exits_2_and_starts_no_agent(home: Path, tmp_path: Path) -> None:
    done = igtk(home, "run", str(write_playbook(tmp_path)), "--detach", "-p", "seconds=soon")
    assert done.returncode == 2
    assert "seconds" in done.stderr
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.paths import resolve_paths

    assert not AgentLocation.of(resolve_paths({"IGTK_HOME": str(home)})).alive()


def test_run_detach_starts_the_agent_on_demand(home: Path, tmp_path: Path) -> None:
    from agent_helpers import stop_agent

    execution_id = igtk(home, "run", str(write_playbook(tmp_path)), "--detach", "-p", "seconds=0").stdout.strip()
    handle = AgentHandle.start(home)  # already running: `agent start` just reports it
    try:
        assert wait_event(handle, execution_id, kind_is("execution_finished"))["status"] == "completed"
    finally:
        stop_agent(handle)


def test_attach_late_sees_the_backlog_drives_the_pause_and_exits_with_the_status(
        agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path), "-p", "seconds=0", "--breakpoint", "b")
    wait_event(agent, execution_id, kind_is("paused", step_id="b"))
    proc = popen(agent.home, "attach", execution_id[:8], stdin=subprocess.PIPE)
    assert proc.stdout and proc.stdin
    lines = []
    for line in proc.stdout:  # the snapshot replays what happened before we attached
        lines.append(line)
        if "paused (breakpoint)" in line:
            break
    assert any("✓ [1/3] a: first completed" in line for line in lines), lines
    proc.stdin.write("\n")  # enter: resume, as in `igtk run`
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "b: last completed" in out and "igtk: ✓ completed" in out


def test_attach_exit_code_is_the_final_status(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path), "--breakpoint", "nap")
    wait_event(agent, execution_id, kind_is("paused", step_id="nap"))
    proc = popen(agent.home, "attach", execution_id, stdin=subprocess.PIPE)
    assert proc.stdout and proc.stdin
    for line in proc.stdout:
        if "paused (breakpoint)" in line:
            break
    proc.stdin.write("x\n")  # x: cancel
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "cancelled" in out


def test_ctrl_c_detaches_attach_without_cancelling(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path))
    proc = popen(agent.home, "attach", execution_id)
    assert proc.stdout
    for line in proc.stdout:
        if "nap: nap" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "detached" in err
    (item,) = json.loads(igtk(agent.home, "ps", "--json").stdout)
    assert item["id"] == execution_id and item["status"] == "running"


def test_pause_resume_skip_and_back_verbs(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path))
    wait_event(agent, execution_id, kind_is("step_started", step_id="nap"))
    assert igtk(agent.home, "pause", execution_id).returncode == 0
    assert wait_event(agent, execution_id, kind_is("paused"))["step_id"] == "nap"
    assert json.loads(igtk(agent.home, "ps", "--json").stdout)[0]["status"] == "paused"
    resumed = igtk(agent.home, "resume", execution_id[:8])  # a paused live execution: goes on in the agent
    assert resumed.returncode == 0 and "resumed" in resumed.stderr
    wait_event(agent, execution_id, kind_is("resumed"))
    assert igtk(agent.home, "back", execution_id).returncode == 0
    assert wait_event(agent, execution_id, kind_is("step_reset", step_id="a"))
    wait_event(agent, execution_id, lambda e: e["event"] == "step_started" and e["step_id"] == "nap")
    assert igtk(agent.home, "skip", execution_id).returncode == 0
    skipped = wait_event(agent, execution_id, kind_is("step_finished", step_id="nap", status="skipped"))
    assert skipped["reason"] == "operator"
    assert wait_event(agent, execution_id, kind_is("execution_finished"))["status"] == "completed"


def test_controls_of_an_unknown_id_exit_2_and_without_an_agent_exit_3(agent: AgentHandle, home: Path,
                                                                     tmp_path: Path) -> None:
    done = igtk(home, "pause", "ffffffff")
    assert done.returncode == 2 and "no live execution" in done.stderr
    assert igtk(home, "agent", "stop").returncode == 0
    done = igtk(home, "cancel", "ffffffff")
    assert done.returncode == 3 and "igtk agent start" in done.stderr


def test_stop_refuses_while_executions_run_unless_cancel_running(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path))
    refused = igtk(agent.home, "agent", "stop")
    assert refused.returncode == 1 and "--cancel-running" in refused.stderr
    assert agent.location.alive()
    stopped = igtk(agent.home, "agent", "stop", "--cancel-running")
    assert stopped.returncode == 0 and "1 execution(s) cancelled" in stopped.stdout
    assert not agent.location.alive() and not agent.location.socket.exists()
    shown = json.loads(igtk(agent.home, "show", execution_id, "--json").stdout)
    assert shown["status"] == "cancelled"


def test_sigterm_stops_the_agent_and_its_runs_are_interrupted_resumable(agent: AgentHandle, tmp_path: Path) -> None:
    import os

    execution_id = agent.detach(write_playbook(tmp_path))
    wait_event(agent, execution_id, kind_is("step_started", step_id="nap"))
    os.kill(agent.pid, signal.SIGTERM)  # what systemd sends at `systemctl --user stop`
    wait_gone(agent)
    assert not agent.location.alive()
    shown = json.loads(igtk(agent.home, "show", execution_id, "--json").stdout)
    assert shown["status"] == "interrupted"


def test_status_shows_pid_uptime_socket_and_running_executions(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path))
    text = igtk(agent.home, "agent", "status")
    assert text.returncode == 0
    assert f"pid:     {agent.pid}" in text.stdout and str(agent.location.socket) in text.stdout
    assert "uptime:" in text.stdout and execution_id[:8] in text.stdout
    status = json.loads(igtk(agent.home, "agent", "status", "--json").stdout)
    assert status["running"][0]["id"] == execution_id and status["pid"] == agent.pid


def test_status_and_ps_without_an_agent(home: Path) -> None:
    status = igtk(home, "agent", "status")
    assert status.returncode == 3 and "no agent is running" in status.stderr
    ps = igtk(home, "ps", "--json")
    assert ps.returncode == 0 and json.loads(ps.stdout) == []
