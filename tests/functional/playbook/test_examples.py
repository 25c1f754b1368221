"""The shipped examples validate and run green through `igtk run --json`, and
each one does what its comments teach (outputs and step statuses checked)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from igtk_tui.cli import main
from tests.support.cli import PLAYBOOKS, REPO, Igtk

SHIPPED = sorted(p for p in PLAYBOOKS.rglob("*.y*ml") if ".backup." not in p.name)


def test_the_whole_library_validates(igtk: Igtk) -> None:
    result = igtk("validate", "playbooks/", cwd=REPO)
    assert result.code == 0, result.describe()
    assert f"{len(SHIPPED)} of {len(SHIPPED)} playbook(s) valid" in result.stderr


@pytest.mark.parametrize("path", SHIPPED, ids=[p.relative_to(PLAYBOOKS).as_posix() for p in SHIPPED])
def test_shipped_playbook_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", str(path)]) == 0, capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("#"), "shipped playbooks open with a comment that says what they do"


def test_shipped_playbooks_are_described() -> None:
    """Every parameter of every shipped playbook says what it is for."""
    from igtk_tui.playbook.loader import load_file

    missing = [f"{p.relative_to(PLAYBOOKS)}: {param.name}" for p in SHIPPED
               for param in load_file(p).parameters if not param.description.strip()]
    assert not missing


def test_parameters_and_references(igtk: Igtk) -> None:
    r = igtk("run", "examples/parameters_and_references", "--json", "-p", "line_count=3", "-p", "tags=a,b")
    assert r.code == 0, r.describe()
    assert r.output("greet")["logged"] == "Checking site Plant A (3 lines, mode check)"
    assert json.loads(r.output("show_tags")["logged"]) == ["a", "b"]  # the list kept its type
    assert r.output("bare_form")["logged"] == "Bare form also works: Plant A"
    bad = igtk("run", "examples/parameters_and_references", "-p", "line_count=99", "-p", "mode=fix")
    assert bad.code == 2
    assert "line_count" in bad.stderr and "at most 20" in bad.stderr and "'check', 'report'" in bad.stderr


def test_variables_and_outputs(igtk: Igtk) -> None:
    r = igtk("run", "examples/variables_and_outputs", "--json")
    assert r.code == 0, r.describe()
    assert r.output("remember_batch")["value"] == 250
    report = r.output("report")["logged"]
    assert report == "batch=250 (remember_batch set the variable 'batch'), crew B, first operator ana"
    assert r.output("echo")["logged"] == f"The previous step logged: {report}"


def test_conditions(igtk: Igtk) -> None:
    r = igtk("run", "examples/conditions", "--json")
    assert r.code == 0, r.describe()
    assert r.finished("production_only")["status"] == "skipped"
    assert r.finished("production_only")["reason"] == "condition"
    assert r.finished("not_in_production")["status"] == "completed"
    assert r.finished("apply")["status"] == "skipped"
    assert r.finished("dry_run_note")["status"] == "completed"
    prod = igtk("run", "examples/conditions", "--json", "-p", "environment=production", "-p", "dry_run=no")
    assert prod.code == 0, prod.describe()
    assert prod.finished("production_only")["status"] == "completed"
    assert prod.finished("not_in_production")["status"] == "skipped"
    assert prod.finished("apply")["status"] == "completed"
    assert prod.finished("dry_run_note")["status"] == "skipped"


def test_retries_with_backoff(igtk: Igtk) -> None:
    r = igtk("run", "examples/retries_and_backoff", "--json")
    assert r.code == 0, r.describe()
    flaky = r.finished("flaky")
    assert flaky["status"] == "completed" and flaky["attempts"] == 3
    failures = [e for e in r.events if e["event"] == "attempt_finished" and e["step_id"] == "flaky"]
    assert [e["ok"] for e in failures] == [False, False, True]
    retry_logs = [m for m in r.logs("flaky") if "retrying in" in m]
    assert ["retrying in 0.2 s" in retry_logs[0], "retrying in 0.4 s" in retry_logs[1]] == [True, True]
    assert r.output("done")["logged"] == "The flaky check passed on attempt 3"


def test_rollback_completes_and_rolls_back_on_failure(igtk: Igtk) -> None:
    ok = igtk("run", "examples/rollback", "--json")
    assert ok.code == 0, ok.describe()
    assert "release_lock" not in ok.step_ids()
    failed = igtk("run", "examples/rollback", "--json", "-p", "simulate_failure=true")
    assert failed.code == 1, failed.describe()
    assert failed.finished("verify")["status"] == "failed"
    compensation = [s for s in failed.step_ids() if s in ("restore_setpoint", "release_lock", "notify")]
    assert compensation == ["restore_setpoint", "release_lock", "notify"]  # newest first, then the playbook's
    assert all(failed.finished(s)["status"] == "completed" for s in compensation)
    assert "rolled back: 3 of 3 compensation steps completed" in failed.execution["error"]


def test_nesting(igtk: Igtk) -> None:
    r = igtk("run", "examples/nesting", "--json", "-p", "name=Operator")
    assert r.code == 0, r.describe()
    assert r.output("first/say")["logged"] == "Hello, Operator!"
    assert r.output("second/say")["logged"] == "Hello, team!!!"
    second = r.output("second")
    assert second["status"] == "completed" and second["steps_executed"] == 2
    assert r.output("summary")["logged"] == (
        'child said "Hello, Operator!" and "Hello, team!!!" (2 steps, completed)')


def test_script_step_gets_data_not_source(igtk: Igtk) -> None:
    r = igtk("run", "examples/script_step", "--json", "-p", 'tag_path=Line "2"; import os')
    assert r.code == 0, r.describe()
    stats = r.output("stats")
    assert stats["mean"] == "18.30" and stats["outliers"] == "1"
    assert stats["tag"] == 'Line "2"; import os'  # quotes and code in a value stay data
    assert r.finished("report")["variables"]["outliers"] == [40.2]
    assert r.finished("warn")["status"] == "completed"
    calm = igtk("run", "examples/script_step", "--json", "-p", "readings=[1, 2, 3]")
    assert calm.code == 0, calm.describe()
    assert calm.finished("warn")["status"] == "skipped"


def test_breakpoint_can_be_turned_off(igtk: Igtk) -> None:
    r = igtk("run", "examples/breakpoint", "--json", "-p", "pause=false")
    assert r.code == 0, r.describe()
    assert r.finished("inspect")["status"] == "skipped"
    assert not [e for e in r.events if e["event"] == "paused"]
    assert r.output("apply")["logged"] == "Applying cola-330 at 1200 units/h"


def test_breakpoint_pauses_until_cancelled(igtk: Igtk) -> None:
    """Headless, a breakpoint holds the run; Ctrl-C (SIGINT) then cancels it (exit 130)."""
    proc = igtk.popen("run", "examples/breakpoint", "--json")
    events = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # read events as they come: no sleeping
            events.append(json.loads(line))
            if events[-1]["event"] == "paused":
                break
        assert events and events[-1]["event"] == "paused", events
        paused = events[-1]
        assert paused["reason"] == "breakpoint" and paused["step_id"] == "inspect"
        assert paused["context"]["message"] == "Check variable.recipe before it is applied"
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    events += [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    finished = {e["step_id"]: e["status"] for e in events if e["event"] == "step_finished"}
    assert finished.get("prepare") == "completed" and "apply" not in finished
    assert events[-1]["event"] == "execution_finished" and events[-1]["status"] == "cancelled"


def test_slow_demo(igtk: Igtk) -> None:
    r = igtk("run", "examples/slow_demo", "--json", "-p", "short_wait=0.1", "-p", "long_wait=0.1")
    assert r.code == 0, r.describe()
    assert r.step_ids() == ["connect", "warm_up", "settle", "read", "cool_down", "done"]
    assert [m for m in r.logs("warm_up") if m.startswith("warm-up")] == [
        "warm-up 25%", "warm-up 50%", "warm-up 75%", "warm-up 100%"]
    assert r.output("read")["logged"] == "Controller at 68.5 C; counters read"


def test_slow_demo_defaults_are_demo_paced() -> None:
    """Its default waits are the 1-2 s that look good live (the run above uses short ones)."""
    from igtk_tui.playbook.loader import load_file

    pb = load_file(PLAYBOOKS / "examples" / "slow_demo.yaml")
    assert [pb.parameter("short_wait").default, pb.parameter("long_wait").default] == [1.0, 2.0]
    assert sum(1 for s in pb.steps if s.type == "utility.sleep") >= 2

