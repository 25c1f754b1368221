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


def test_the_log_file_rotates_at_its_size_and_keeps_its_backups(tmp_path: Path) -> None:
    """Records and batches rotate once the file holds max_bytes (counted, never stat'ed per line):
    igtk.log -> .1 -> .2, the oldest dropped; a line is never split across two files."""
    import logging

    from igtk_tui.logfile import CountingRotatingHandler, RedactingFilter

    handler = CountingRotatingHandler(tmp_path / "igtk.log", max_bytes=1_000, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("igtk_tui.test_rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for i in range(100):  # 100 x 50 bytes: five files' worth
            logger.warning("record %03d %s", i, "x" * 35)
        handler.write_lines("batch line\n" * 10)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["igtk.log", "igtk.log.1", "igtk.log.2"]
    kept = [(tmp_path / name).read_text(encoding="utf-8") for name in ("igtk.log.2", "igtk.log.1", "igtk.log")]
    assert all(len(text.encode()) <= 1_000 + 50 for text in kept)
    lines = "".join(kept).splitlines()
    assert lines[-10:] == ["batch line"] * 10
    numbers = [int(line.split()[1]) for line in lines if line.startswith("record ")]
    assert numbers == list(range(numbers[0], 100))  # in order, the newest kept, nothing split
    assert numbers[0] > 0  # the oldest file was dropped
