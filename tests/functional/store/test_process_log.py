"""The process log file (`igtk.log`) under a burst: batched, capped per execution, never evicted."""

from __future__ import annotations

from pathlib import Path

from igtk_tui.logfile import EXECUTION_SHARE
from tests.support.cli import Igtk
from tests.support.playbooks import step, write_playbook
from tests.support.store_backend import db_rows


def burst(folder: Path, lines: int) -> Path:
    script = (f"for i in range({lines}):\n"
              "    print(f'reading counter {i} of line 3: value={i * 7 % 1000} units/h status=ok')\n")
    return write_playbook(folder, steps=[step("burst", "utility.python", script=script)], title="burst")


def test_a_burst_copies_its_share_and_keeps_the_process_log(home: Path, tmp_path: Path) -> None:
    pb = burst(tmp_path, 30_000)  # ~3 MB of lines: three times one execution's share
    first = Igtk(home)("run", "-q", str(pb), "--json")
    assert first.code == 0, first.stderr
    log_file = next(home.rglob("igtk.log"))
    logs = log_file.parent
    before = log_file.read_text(encoding="utf-8")
    second = Igtk(home)("run", "-q", str(pb), "--json")
    assert second.code == 0, second.stderr
    text = log_file.read_text(encoding="utf-8")
    assert text.startswith(before)  # nothing rotated away: the first run's lines are still there
    assert sorted(p.name for p in logs.iterdir()) == ["igtk.log"]
    for run in (first, second):
        execution = run.events[0]["execution_id"]
        short = execution[:8]
        copied = [line for line in text.splitlines() if f" {short} burst " in line]
        assert copied[0].endswith("reading counter 0 of line 3: value=0 units/h status=ok")
        assert " INFO    igtk_tui.execution: " in copied[0]
        assert sum(len(line) + 1 for line in copied) <= EXECUTION_SHARE + 200
        assert 5_000 < len(copied) < 30_000
        assert (f"{short} - {30_000 - len(copied)} more log lines of this execution are in its history "
                f"(igtk show {short})") in text
        # The history has every line.
        assert db_rows(home, "SELECT COUNT(*) FROM logs WHERE execution_id = ?", (execution,))[0][0] == 30_000


def test_each_line_is_copied_in_order_while_small(home: Path, tmp_path: Path) -> None:
    pb = burst(tmp_path, 300)
    run = Igtk(home)("run", str(pb))
    assert run.code == 0, run.stderr
    assert run.stdout.count("    info: reading counter") == 300
    text = next(home.rglob("igtk.log")).read_text(encoding="utf-8")
    numbers = [int(line.split("reading counter ")[1].split()[0]) for line in text.splitlines()
               if "reading counter" in line]
    assert numbers == list(range(300))
    assert "more log lines" not in text
