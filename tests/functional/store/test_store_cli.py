"""The history commands as an operator uses them: `igtk run` records, `history` lists and
pages, `show` details, `resume`/`rerun` link new executions, `delete` removes exactly one
execution's rows and folder, retention prunes, and parallel runs share the file."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.paths import Paths
from igtk_tui.store.retention import CHUNK
from tests.support.cli import Igtk
from tests.support.playbooks import step, write_playbook
from tests.support.recorder import open_store, run_recorded
from tests.support.store_backend import current, db_execute, db_rows

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def flag_playbook(folder: Path, flag: Path) -> Path:
    """Step `check` fails until `flag` exists; `first` sets a value later steps read."""
    script = f"import os, sys\nif not os.path.exists({str(flag)!r}):\n    sys.exit('flag missing')\nprint('ok=1')"
    return write_playbook(folder, steps=[
        step("first", "utility.set_variable", name="token", value="t-123"),
        step("check", "utility.python", script=script),
        step("use", "utility.log", message="token {{ variable.token }} from {{ step.first.value }}"),
    ], title="flagged", parameters=[{"name": "site", "type": "string", "default": "north"},
                   {"name": "pin_code", "type": "string", "secret": True, "required": False}])


def test_run_is_recorded_and_history_show_print_the_contract(home: Path, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.set_variable", name="x", value=3),
                                             step("b", "utility.log", message="x={{ variable.x }}")], title="Simple", parameters=[{"name": "gateway_url", "type": "string", "required": False}])
    run = Igtk(home)("run", str(pb), "--json", "--gateway", "http://gw.test:8088")
    assert run.code == 0, run.stderr
    execution_id = run.events[0]["execution_id"]

    history = Igtk(home)("history", "--json")
    assert history.code == 0, history.stderr
    [row] = history.json()
    assert {"id", "playbook", "status", "started_at", "finished_at", "failed_steps", "trigger",
            "gateway_url", "duration"} <= set(row)
    assert (row["id"], row["playbook"], row["status"], row["trigger"], row["gateway_url"]) == \
        (execution_id, "Simple", "completed", "cli", "http://gw.test:8088")
    assert ISO.match(row["started_at"]) and ISO.match(row["finished_at"]) and row["duration"] >= 0

    shown = Igtk(home)("show", execution_id[:8], "--json")
    assert shown.code == 0, shown.stderr
    doc = shown.json()
    assert {"id", "playbook", "status", "started_at", "finished_at", "steps", "parameters", "logs",
            "artifacts", "resumed_from"} <= set(doc)
    assert doc["id"] == execution_id and doc["parameters"] == {"gateway_url": "http://gw.test:8088"}
    assert [s["id"] for s in doc["steps"]] == ["a", "b"]
    for s in doc["steps"]:
        assert {"id", "status", "attempts", "error", "output", "name", "type", "parent", "duration",
                "attempt_list"} <= set(s)
    assert doc["steps"][0]["output"] == {"variable": "x", "value": 3} and doc["steps"][0]["attempts"] == 1
    assert doc["steps"][1]["attempt_list"][0]["ok"] is True
    assert [line["message"] for line in doc["logs"]] == ["x=3"]

    human = Igtk(home)("history")
    assert "✓ completed" in human.stdout and execution_id[:8] in human.stdout
    detail = Igtk(home)("show", execution_id)
    assert "✓ completed" in detail.stdout and "x=3" in detail.stdout


def test_unknown_short_and_ambiguous_ids_exit_2(home: Path, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="hi")], title="tiny")
    assert Igtk(home)("run", str(pb)).code == 0
    db_execute(home, "INSERT INTO executions (id, playbook, status, started_at) VALUES (?, 'x', 'completed', 1)",
               [(f"abcdef12-0000-0000-0000-00000000000{suffix}",) for suffix in ("1", "2")], many=True)
    for args, expected in ((("show", "ffffffff-dead"), "no execution"), (("show", "abc"), "too short"),
                           (("show", "abcdef"), "ambiguous"), (("resume", "99999999"), "no execution"),
                           (("rerun", "99999999"), "no execution"), (("delete", "99999999"), "no execution")):
        result = Igtk(home)(*args)
        assert result.code == 2, (args, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
    assert Igtk(home)("show", "abcdef12-0000-0000-0000-000000000001", "--json").json()["playbook"] == "x"


async def test_history_filters_and_keyset_paging(home: Path, paths: Paths, tmp_path: Path) -> None:
    ok = write_playbook(tmp_path, steps=[step("a", "utility.log", message="fine")], title="alpha")
    bad = write_playbook(tmp_path, steps=[step("b", "test.store_flaky", key="never", failures=10**6)], title="beta")
    store = await open_store(paths)
    made: list[tuple[str, str, str]] = []
    try:
        for i in range(12):
            pb, gateway = (bad, "http://g2:8088") if i % 4 == 0 else (ok, "http://g1:8088")
            execution, result, _ = await run_recorded(
                store, pb, gateway_url=gateway, recorder_options={"playbook_rel": lambda p: f"lib/{Path(p).name}"})
            made.append((execution.id, result.status.value, gateway))
    finally:
        await store.close()
    newest_first = [m[0] for m in reversed(made)]

    def ids(*args: str) -> list[str]:
        result = Igtk(home)("history", "--json", *args)
        assert result.code == 0, result.stderr
        return [row["id"] for row in result.json()]

    assert ids() == newest_first
    assert ids("--status", "failed") == [m[0] for m in reversed(made) if m[1] == "failed"]
    assert len(ids("--status", "failed")) == 3
    assert ids("--playbook", "alpha") == [m[0] for m in reversed(made) if m[2] == "http://g1:8088"]
    assert ids("--playbook", str(bad)) == ids("--playbook", "beta")
    assert ids("--playbook", "lib/beta") == ids("--playbook", "lib/beta.yaml") == ids("--playbook", "beta")
    assert ids("--gateway", "http://g2:8088/") == ids("--status", "failed")
    assert ids("--since", "1h") == newest_first
    assert ids("--since", "2999-01-01T00:00:00Z") == []
    assert ids("--since", "1999-01-01") == newest_first
    pages: list[str] = []
    before: list[str] = []
    while True:
        page = ids("--limit", "5", *before)
        if not page:
            break
        pages += page
        before = ["--before", page[-1]]
    assert pages == newest_first  # three pages, no gap, no overlap
    bad_status = Igtk(home)("history", "--status", "exploded")
    assert bad_status.code == 2
    assert Igtk(home)("history", "--since", "yesterday-ish").code == 2
    more = Igtk(home)("history", "--limit", "5")
    assert f"--before {newest_first[4][:8]}" in more.stdout


async def test_keyset_paging_breaks_ties_on_id(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        await store.db.write(lambda c: c.executemany(
            "INSERT INTO executions (id, playbook, status, started_at) VALUES (?, 'p', 'completed', 100.0)",
            [(f"{i:08d}-tie",) for i in range(7)]))
        seen: list[str] = []
        before = None
        while True:
            page = await store.executions.list_executions(3, before=before)
            if not page:
                break
            seen += [p.id for p in page]
            before = page[-1].keyset
        assert seen == [f"{i:08d}-tie" for i in reversed(range(7))]
        assert await store.executions.count() == 7
        assert await store.executions.count(status="failed") == 0
    finally:
        await store.close()


def test_resume_and_rerun_create_linked_executions(home: Path, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    pb = flag_playbook(tmp_path, flag)
    first = Igtk(home)("run", str(pb), "--json", "-p", "pin_code=4711-secret")
    assert first.code == 1
    first_id = first.events[0]["execution_id"]

    # The secret parameter was recorded redacted: resume/rerun must be given it again.
    missing = Igtk(home)("resume", first_id[:8])
    assert missing.code == 2 and "'pin_code'" in missing.stderr and "-p pin_code=" in missing.stderr
    still = Igtk(home)("resume", first_id[:8], "-p", "pin_code=4711-secret", "--json")
    assert still.code == 1  # the flag is still missing: it fails again, as a new execution

    flag.write_text("")
    resumed = Igtk(home)("resume", first_id, "-p", "pin_code=4711-secret", "--json")
    assert resumed.code == 0, resumed.stderr
    events = resumed.events
    resumed_id = events[0]["execution_id"]
    assert events[0]["resumed_from"] == first_id and events[0]["trigger"] == "resume"
    assert events[0]["parameters"] == {"site": "north", "pin_code": "••••"}
    doc = Igtk(home)("show", resumed_id, "--json").json()
    steps = {s["id"]: s for s in doc["steps"]}
    assert steps["first"]["reason"] == "restored" and steps["first"]["attempts"] == 0
    assert steps["check"]["attempts"] == 1 and steps["check"]["status"] == "completed"
    assert steps["use"]["output"]["logged"] == "token t-123 from t-123"
    assert doc["resumed_from"] == first_id

    completed = Igtk(home)("resume", resumed_id)
    assert completed.code == 2 and "completed" in completed.stderr

    rerun = Igtk(home)("rerun", first_id[:10], "-p", "pin_code=4711-secret", "-p", "site=south", "--json")
    assert rerun.code == 0, rerun.stderr
    rerun_started = rerun.events[0]
    assert rerun_started["trigger"] == "rerun" and rerun_started["parameters"]["site"] == "south"
    rows = {r["id"]: r for r in Igtk(home)("history", "--json").json()}
    assert rows[rerun_started["execution_id"]]["rerun_of"] == first_id
    assert rows[first_id]["resumed_by"] in rows and rows[resumed_id]["resumed_from"] == first_id
    assert rows[first_id]["status"] == "failed"  # the past is never rewritten


def test_resume_refuses_a_rolled_back_execution(home: Path, tmp_path: Path) -> None:
    failing = step("boom", "utility.python", script="import sys; sys.exit('no')")
    failing.update(on_failure="rollback", on_rollback=[step("undo", "utility.log", message="undo")])
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a"), failing], title="rolling")
    run = Igtk(home)("run", str(pb), "--json")
    assert run.code == 1
    result = Igtk(home)("resume", run.events[0]["execution_id"])
    assert result.code == 2 and "rerun" in result.stderr


def test_delete_removes_exactly_its_own_rows_and_folder(home: Path, paths: Paths, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="keep")
    one = Igtk(home)("run", str(pb), "--json").events[0]["execution_id"]
    two = Igtk(home)("run", str(pb), "--json").events[0]["execution_id"]
    for execution_id in (one, two):
        folder = paths.execution_artifacts(execution_id)
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "shot.png").write_bytes(b"png")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    (paths.execution_artifacts(one) / "link").symlink_to(outside)
    (paths.artifacts_dir / "unrelated.txt").write_text("keep")

    result = Igtk(home)("delete", one[:8])
    assert result.code == 0, result.stderr
    assert one in result.stdout
    assert not paths.execution_artifacts(one).exists()
    assert (outside / "precious.txt").read_text() == "keep me"
    assert (paths.execution_artifacts(two) / "sub" / "shot.png").exists()
    assert (paths.artifacts_dir / "unrelated.txt").exists()
    for table in ("steps", "attempts", "logs", "artifacts"):
        assert not db_rows(home, f"SELECT 1 FROM {table} WHERE execution_id = ?", (one,))
    assert db_rows(home, "SELECT COUNT(*) FROM steps WHERE execution_id = ?", (two,))[0][0] == 1
    assert [r["id"] for r in Igtk(home)("history", "--json").json()] == [two]
    assert Igtk(home)("delete", one).code == 2


def test_delete_refuses_a_running_execution(home: Path, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="tiny")
    assert Igtk(home)("run", str(pb)).code == 0
    # a live owner on this host: this test process
    db_execute(home, "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid) "
               "VALUES ('live0000-1', 'x', 'running', ?, ?, ?)", (time.time(), socket.gethostname(), os.getpid()))
    result = Igtk(home)("delete", "live0000-1")
    assert result.code == 2 and "running" in result.stderr
    assert Igtk(home)("show", "live0000-1", "--json").json()["status"] == "running"


async def test_the_store_never_deletes_a_live_execution(home: Path, paths: Paths, tmp_path: Path) -> None:
    """Whoever asks (the TUI's history, retention, the CLI): a running or paused execution
    keeps its rows and artifact folder, and the others in the same request still go."""
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="tiny")
    done = Igtk(home)("run", str(pb), "--json").events[0]["execution_id"]
    db_execute(home, "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid) "
               "VALUES (?, 'x', ?, ?, ?, ?)",
               [(execution_id, status, time.time(), socket.gethostname(), os.getpid())
                for execution_id, status in (("live0000-run", "running"), ("live0000-pau", "paused"))], many=True)
    (paths.execution_artifacts("live0000-run") / "shot.png").parent.mkdir(parents=True)
    (paths.execution_artifacts("live0000-run") / "shot.png").write_bytes(b"png")
    store = await open_store(paths)
    try:
        deleted, problems = await store.executions.delete([done, "live0000-run", "live0000-pau"])
    finally:
        await store.close()
    assert deleted == [done]
    assert sorted(p.split(":")[0] for p in problems) == ["live0000-pau", "live0000-run"]
    assert sorted(r[0] for r in db_rows(home, "SELECT id FROM executions")) == ["live0000-pau", "live0000-run"]
    assert (paths.execution_artifacts("live0000-run") / "shot.png").exists()


def seed_old(home: Path, paths: Paths, ages_days: list[float], status: str = "completed") -> list[str]:
    ids = [f"old{i:05d}-{status}-{age}" for i, age in enumerate(ages_days)]
    db_execute(home, "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid) "
                     "VALUES (?, 'old', ?, ?, ?, ?)",
               [(execution_id, status, time.time() - age * 86400, socket.gethostname(), os.getpid())
                for execution_id, age in zip(ids, ages_days)], many=True)
    db_execute(home, "INSERT INTO steps (execution_id, path, step_id, position) VALUES (?, 'a', 'a', 0)",
               [(execution_id,) for execution_id in ids], many=True)
    for execution_id in ids:
        folder = paths.execution_artifacts(execution_id)
        folder.mkdir(parents=True)
        (folder / "file.txt").write_text("x")
    return ids


def until_gone(folder: Path, home: Path, ids: list[str]) -> Path:
    """A run whose one step waits (on the database, not on time) until `ids` are deleted:
    retention works in the background while a run lasts."""
    url = current().url
    connect = (f"psycopg.connect({url!r})" if url else "sqlite3.connect(params['db'], timeout=10)")
    mark = "%s" if url else "?"
    script = ("import sqlite3, time\n"
              + ("import psycopg\n" if url else "")
              + "deadline = time.monotonic() + 60\n"
              "while time.monotonic() < deadline:\n"
              f"    c = {connect}\n"
              f"    marks = ','.join(['{mark}'] * len(params['ids']))\n"
              "    left = c.execute(f'SELECT COUNT(*) FROM executions WHERE id IN ({marks})', params['ids']).fetchone()[0]\n"
              "    c.close()\n"
              "    if not left:\n"
              "        break\n"
              "    time.sleep(0.05)\n"
              "else:\n"
              "    raise SystemExit('retention did not remove them')\n")
    return write_playbook(folder, steps=[step(
        "wait", "utility.python", script=script, params={"db": str(home / "data" / "igtk.db"), "ids": ids})], title="wait-for-retention")


def test_retention_by_age_and_count_runs_during_a_run(home: Path, paths: Paths, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="tiny")
    assert Igtk(home)("run", str(pb)).code == 0  # creates the database
    old = seed_old(home, paths, [40, 35, 2, 1, 0.5])
    live = seed_old(home, paths, [60], status="running")  # owned by this live process
    run = Igtk(home)("run", str(until_gone(tmp_path, home, old[:2])), "--json", env={"IGTK_RETENTION_DAYS": "30"})
    assert run.code == 0, run.stderr
    remaining = {r["id"] for r in db_rows(home, "SELECT id FROM executions")}
    assert not remaining & set(old[:2]) and set(old[2:]) <= remaining and live[0] in remaining
    assert not paths.execution_artifacts(old[0]).exists() and paths.execution_artifacts(old[2]).exists()

    run = Igtk(home)("run", str(until_gone(tmp_path, home, old[2:4])), "--json", env={"IGTK_RETENTION_COUNT": "3"})
    assert run.code == 0, run.stderr
    remaining = {r["id"] for r in db_rows(home, "SELECT id FROM executions")}
    newest = run.events[0]["execution_id"]
    assert newest in remaining and live[0] in remaining
    # The newest 3 when retention started (the new run may or may not have been one of them).
    assert len(remaining - {newest, live[0]}) <= 3 and not set(old[2:4]) & remaining
    assert not paths.execution_artifacts(old[2]).exists()
    assert not db_rows(home, "SELECT 1 FROM steps WHERE execution_id = ?", (old[2],))


def test_a_short_run_never_waits_for_retention_on_a_big_store(home: Path, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="tiny")
    assert Igtk(home)("run", str(pb)).code == 0  # creates the database
    total = 20_000
    db_execute(home, "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid) "
                     "VALUES (?, 'old', 'completed', ?, 'elsewhere', 1)",
               [(f"big{i:06d}", time.time() - 86400 * 400 - i) for i in range(total)], many=True)
    db_execute(home, "INSERT INTO steps (execution_id, path, step_id, position) VALUES (?, 'a', 'a', 0)",
               [(f"big{i:06d}",) for i in range(total)], many=True)
    run = Igtk(home)("run", str(pb), "--json", env={"IGTK_RETENTION_COUNT": "0"})
    assert run.code == 0, run.stderr
    assert run.events[-1]["status"] == "completed"
    left = db_rows(home, "SELECT COUNT(*) FROM executions WHERE id LIKE 'big%'")[0][0]
    # Deleting 20,000 takes 400 ticks of CHUNK; a one-step run exits after the few it lasted
    # (waiting out a retention pass for 2 s, as it did, removed ~3,700 here), leaving the rest
    # to the next run, and what went, went whole.
    assert left >= total - 20 * CHUNK
    assert db_rows(home, "SELECT COUNT(*) FROM steps WHERE execution_id LIKE 'big%'")[0][0] == left
    assert db_rows(home, "SELECT status FROM executions WHERE id = ?",
                   (run.events[0]["execution_id"],))[0][0] == "completed"


def test_two_runs_in_parallel_both_recorded(home: Path, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[
        step(f"s{i}", "utility.set_variable" if i % 2 else "utility.log",
             **({"name": "v", "value": i} if i % 2 else {"message": f"line {i}"})) for i in range(80)], title="parallel")
    assert Igtk(home)("run", str(pb)).code == 0  # the database exists before the race
    procs = [Igtk(home).popen("run", str(pb), "--json") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert json.loads(out.splitlines()[-1])["status"] == "completed"
    ids = [json.loads(out.splitlines()[0])["execution_id"] for out, _ in outputs]
    rows = {r["id"]: r for r in Igtk(home)("history", "--json").json()}
    for execution_id in ids:
        assert rows[execution_id]["status"] == "completed"
        done = db_rows(home, "SELECT COUNT(*) FROM steps WHERE execution_id = ? AND status = 'completed'",
                       (execution_id,))[0][0]
        assert done == 80


def test_runs_on_a_fresh_home_race_to_create_the_database(home: Path, tmp_path: Path) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="fresh")
    procs = [Igtk(home).popen("run", str(pb), "--json") for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "warning" not in err
    assert len(Igtk(home)("history", "--json").json()) == 3


CANARY_SECRET = "Zq7-canary-SECRET-91x"
CANARY_PASSWORD = "pw-canary-8c1f44e2"


def secretive_playbook(tmp_path: Path) -> Path:
    return write_playbook(tmp_path, steps=[
        step("keep", "utility.set_variable", name="copy", value="{{ parameter.api_pin }}"),
        step("say", "utility.log", message="pin {{ parameter.api_pin }} pw {{ parameter.password }}"),
        step("echo", "utility.python", script="print('ECHO=' + params['p'] + params['q'])",
             params={"p": "{{ parameter.api_pin }}", "q": "{{ variable.copy }}"}),
        step("fail", "utility.python", script="import sys; sys.exit('bad ' + params['p'])",
             params={"p": "{{ parameter.password }}"}),
    ], title="secretive", parameters=[{"name": "api_pin", "type": "string", "secret": True},
                   {"name": "password", "type": "string"}])


def run_with_canaries(home: Path, pb: Path) -> Any:
    run = Igtk(home)("run", str(pb), "--json", "-p", f"api_pin={CANARY_SECRET}", "-p", f"password={CANARY_PASSWORD}")
    assert run.code == 1, run.stderr
    return run


def assert_redacted_record(home: Path, run: Any) -> None:
    doc = Igtk(home)("show", run.events[0]["execution_id"], "--json").json()
    assert doc["parameters"] == {"api_pin": "••••", "password": "••••"}
    assert "••••" in json.dumps(doc["steps"], ensure_ascii=False)


@pytest.mark.backends("sqlite")
def test_secrets_never_reach_the_database_wal_or_shm(home: Path, tmp_path: Path) -> None:
    pb = secretive_playbook(tmp_path)
    init = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="init")
    assert Igtk(home)("run", str(init)).code == 0  # creates the file
    db = home / "data" / "igtk.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT COUNT(*) FROM executions").fetchone()  # pins the WAL: no checkpoint, no delete
    try:
        run = run_with_canaries(home, pb)
        for suffix in ("", "-wal", "-shm"):
            assert_clean(Path(str(db) + suffix))
        assert Path(str(db) + "-wal").stat().st_size > 0
    finally:
        holder.execute("COMMIT")
        holder.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        assert_clean(Path(str(db) + suffix))
    assert_redacted_record(home, run)


@pytest.mark.backends("postgresql")
def test_secrets_never_reach_the_postgresql_database(home: Path, tmp_path: Path, backend: Any) -> None:
    """Every table dumped through psycopg, and the server's WAL and table files, hold no canary."""
    run = run_with_canaries(home, secretive_playbook(tmp_path))
    dump = backend.dump_text(home)
    assert "••••" in dump and run.events[0]["execution_id"] in dump  # the run is there, redacted
    assert_clean_bytes(dump.encode("utf-8"), "the table dump")
    files = backend.server_files()
    assert files
    for path in files:
        assert_clean(path)
    assert_redacted_record(home, run)


def assert_clean(path: Path) -> None:
    if not path.exists():
        return
    assert_clean_bytes(path.read_bytes(), path.name)


def assert_clean_bytes(data: bytes, name: str) -> None:
    for canary in (CANARY_SECRET, CANARY_PASSWORD):
        for form in {canary, json.dumps(canary)[1:-1], canary.upper(), canary.replace("-", "%2D")}:
            assert form.encode() not in data, f"{form!r} found in {name}"
        assert canary.encode("utf-16-le") not in data


@pytest.mark.backends("sqlite")
def test_an_unusable_database_costs_a_warning_not_the_run(home: Path, tmp_path: Path) -> None:
    (home / "data").mkdir(parents=True)
    (home / "data" / "igtk.db").write_bytes(b"this is not a database, just bytes " * 200)
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="robust")
    run = Igtk(home)("run", str(pb), "--json")
    assert run.code == 0
    assert "not recorded" in run.stderr and run.events[-1]["status"] == "completed"
    history = Igtk(home)("history")
    assert history.code == 3 and "history" in history.stderr


@pytest.mark.backends("postgresql")
@pytest.mark.parametrize("url, why", [
    ("postgresql://igtk:{password}@127.0.0.1:{closed}/nowhere", "cannot connect"),
    ("postgresql://igtk:wrong-{password}@127.0.0.1:{port}/{db}", "cannot connect"),
    ("mysql://igtk:{password}@127.0.0.1:{port}/{db}", "must start with postgresql://"),
    ("postgresql://igtk:{password}@127.0.0.1:{port}", "names no database"),
])
def test_an_unusable_store_url_stops_before_the_first_step(home: Path, tmp_path: Path, backend: Any,
                                                            url: str, why: str) -> None:
    """A configured shared history that cannot be used is exit 3, naming the setting, for a run
    (nothing runs unrecorded) and for the history commands; the password is never shown."""
    import socket as sockets

    server = backend.server
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    bad = url.format(password=server.password, closed=closed, port=server.port, db=backend.url.rsplit("/", 1)[1])
    flag = tmp_path / "ran"
    pb = write_playbook(tmp_path, steps=[step("a", "utility.python", script=f"open({str(flag)!r}, 'w')")], title="never")
    for args in (("run", str(pb), "--json"), ("history",), ("show", "abcdef12")):
        result = Igtk(home)(*args, env={"IGTK_STORE_URL": bad})
        assert result.code == 3, (args, result.stderr)
        assert "store_url" in result.stderr and why in result.stderr, result.stderr
        assert server.password not in result.stderr + result.stdout
        assert not result.stdout.strip(), result.stdout  # no event: nothing started
    assert not flag.exists()
    info = Igtk(home)("info", env={"IGTK_STORE_URL": bad})
    assert info.code == 0 and server.password not in info.stdout and "store" in info.stdout


def test_a_briefly_locked_database_still_records_the_run(home: Path, tmp_path: Path, backend: Any) -> None:
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="a")], title="waits")
    assert Igtk(home)("run", str(pb)).code == 0
    with backend.write_lock(home):
        child = Igtk(home).popen("run", str(pb), "--json")
        try:
            # Holding the lock for a while; whether the child tries before or after the release,
            # the outcome must be the same: the run completes and is recorded.
            child.wait(timeout=1.0)
        except Exception:  # noqa: BLE001 - TimeoutExpired: it is (correctly) still waiting
            pass
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    execution_id = json.loads(out.splitlines()[0])["execution_id"]
    assert db_rows(home, "SELECT status FROM executions WHERE id = ?", (execution_id,))[0][0] == "completed"


@pytest.mark.parametrize("command", ["history", "show"])
def test_store_commands_need_no_textual(home: Path, command: str, backend: Any) -> None:
    args: tuple[Any, ...] = ("history",) if command == "history" else ("show", "abcdef12")
    driver, other = ("psycopg", "aiosqlite") if backend.is_postgres else ("aiosqlite", "psycopg")
    code = ("import sys; from igtk_tui.cli import main; main(sys.argv[1:])\n"
            f"assert 'textual' not in sys.modules and {driver!r} in sys.modules and {other!r} not in sys.modules")
    proc = Igtk(home).python(code, *args)
    assert proc.code == 0, proc.stderr
