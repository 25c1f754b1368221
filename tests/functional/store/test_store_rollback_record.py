"""A rolled-back run is recorded in execution order, compensation steps marked
(issue 14 item 4): `igtk show` and `show --json` list Take lock, Change setpoint,
Verify, then Restore setpoint, Release lock, Tell the operator."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import REPO, Igtk

RAN = ["take_lock", "change_setpoint", "verify", "restore_setpoint", "release_lock", "notify"]


def test_show_lists_a_rollback_in_execution_order_with_marks(home: Path) -> None:
    playbook = str(REPO / "playbooks" / "examples" / "rollback.yaml")
    run = Igtk(home)("run", playbook, "-p", "simulate_failure=true", "--json")
    assert run.code == 1, run.stderr
    started = next(e for e in run.events if e["event"] == "execution_started")
    finished = next(e for e in run.events if e["event"] == "execution_finished")
    assert finished["failed_steps"] == 1
    doc = Igtk(home)("show", started["execution_id"], "--json").json()
    assert [s["id"] for s in doc["steps"]] == RAN
    assert doc["failed_steps"] == sum(1 for s in doc["steps"] if s["status"] == "failed") == 1
    text = Igtk(home)("show", started["execution_id"]).stdout
    rows = [line.split()[0] for line in text.splitlines() if line.startswith("  ") and line.split()[0] in RAN]
    assert rows == RAN
    marked = {line.split()[0]: line for line in text.splitlines() if "[rollback" in line}
    assert set(marked) == {"restore_setpoint", "release_lock", "notify"}
    assert "[rollback of change_setpoint]" in marked["restore_setpoint"]
    assert "[rollback of take_lock]" in marked["release_lock"]
