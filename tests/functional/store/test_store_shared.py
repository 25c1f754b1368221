"""One PostgreSQL history shared by two state roots (two jump hosts, as far as igtk can tell):
each sees the other's executions live, and what is per host stays per host."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import Igtk
from tests.support.playbooks import step, write_playbook
from tests.support.store_backend import db_execute

pytestmark = pytest.mark.backends("postgresql")


def gated(folder: Path, flag: Path) -> Path:
    """One step that waits for `flag` (polled, with a deadline), then one that logs."""
    script = ("import os, time\n"
              "deadline = time.monotonic() + 90\n"
              f"while not os.path.exists({str(flag)!r}):\n"
              "    if time.monotonic() > deadline:\n"
              "        raise SystemExit('flag never came')\n"
              "    time.sleep(0.02)\n")
    return write_playbook(folder, steps=[step("wait", "utility.python", script=script),
                                            step("done", "utility.log", message="released")], title="gated")


def history(home: Path) -> dict[str, dict[str, Any]]:
    result = Igtk(home)("history", "--json")
    assert result.code == 0, result.stderr
    return {row["id"]: row for row in result.json()}


def test_two_state_roots_see_each_others_executions_live(tmp_path: Path, backend: Any) -> None:
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    flag = tmp_path / "release"
    pb = gated(tmp_path, flag)
    quick = write_playbook(tmp_path, steps=[step("a", "utility.log", message="from beta")], title="quick")
    running = Igtk(alpha).popen("run", str(pb), "--json")
    try:
        assert running.stdout is not None
        started = json.loads(running.stdout.readline())
        assert started["event"] == "execution_started"
        alpha_id = started["execution_id"]
        beta_run = Igtk(beta)("run", str(quick), "--json")
        assert beta_run.code == 0, beta_run.stderr
        beta_id = beta_run.events[0]["execution_id"]
        # beta's start judged alpha's live run on this host: alive, left running.
        seen_by_beta = history(beta)
        assert seen_by_beta[alpha_id]["status"] == "running" and seen_by_beta[beta_id]["status"] == "completed"
        assert history(alpha)[beta_id]["status"] == "completed"
        flag.write_text("")
        out, err = running.communicate(timeout=90)
        assert running.returncode == 0, err
    finally:
        if running.poll() is None:
            running.kill()
            running.communicate(timeout=30)
    assert history(beta)[alpha_id]["status"] == "completed"
    shown = Igtk(beta)("show", alpha_id, "--json").json()
    assert [s["status"] for s in shown["steps"]] == ["completed", "completed"]
    assert shown["host"] == socket.gethostname() and shown["artifacts_host"] == socket.gethostname()
    assert not (beta / "data" / "igtk.db").exists() and not (alpha / "data" / "igtk.db").exists()
    info = Igtk(beta)("info")
    password = backend.server.password
    assert backend.url.replace(f":{password}@", "@") in info.stdout and password not in info.stdout
    for home in (alpha, beta):  # the URL's password never reaches a process log
        for log in home.rglob("igtk.log*"):
            assert password not in log.read_text(encoding="utf-8")


def test_another_hosts_running_execution_and_artifacts_are_left_to_that_host(home: Path) -> None:
    """Recovery only judges this host's processes; `show` says where another host's artifacts are."""
    assert Igtk(home)("history").code == 0  # creates the schema
    db_execute(home, "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid, owner_start) "
                     "VALUES ('far00000-run', 'remote', 'running', ?, 'plant-b.example', 1, '1')", (time.time(),))
    db_execute(home, "INSERT INTO artifacts (execution_id, seq, step, path, kind, created_at) "
                     "VALUES ('far00000-run', 1, 'shot', 'shot.png', 'screenshot', ?)", (time.time(),))
    # This host's start (a dead pid 1 would be judged dead here): the other host's row stays running.
    assert Igtk(home)("history").code == 0
    assert history(home)["far00000-run"]["status"] == "running"
    text = Igtk(home)("show", "far00000-run")
    assert text.code == 0 and "on host plant-b.example" in text.stdout and "not on this host" in text.stdout
    doc = Igtk(home)("show", "far00000-run", "--json").json()
    assert doc["artifacts_dir"] is None and doc["artifacts_host"] == "plant-b.example"


def test_library_metadata_is_shared_and_bound_to_the_content(tmp_path: Path, backend: Any) -> None:
    """Disabled on one host, refused on the other; a verification holds only for the same text."""
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    assert Igtk(alpha)("playbook", "disable", "examples/slow_demo").code == 0
    [row] = backend.rows(alpha, "SELECT enabled, origin FROM playbook_meta WHERE path = ?", ("examples/slow_demo.yaml",))
    assert tuple(row) == (0, "built-in")
    refused = Igtk(beta)("run", "examples/slow_demo")
    assert refused.code == 2 and "disabled" in refused.stderr
    assert Igtk(beta)("playbook", "enable", "examples/slow_demo").code == 0
    assert json.loads(Igtk(alpha)("playbook", "show", "examples/slow_demo", "--json").stdout)["enabled"] is True

    for home, text in ((alpha, "first"), (beta, "second")):  # the same library path, different text
        folder = home / "data" / "playbooks" / "site"  # the user folder of the library
        folder.mkdir(parents=True)
        write_playbook(folder, steps=[step("a", "utility.log", message=text)], title="check")
    assert Igtk(alpha)("playbook", "verify", "site/check").code == 0, "verify on alpha"
    shown = {home.name: json.loads(Igtk(home)("playbook", "show", "site/check", "--json").stdout)
             for home in (alpha, beta)}
    assert shown["alpha"]["verified"] is True and shown["beta"]["verified"] is False


def test_the_password_can_come_from_a_vault_credential(tmp_path: Path, backend: Any) -> None:
    """store_url without a password plus store_credential: the vault's secret logs in, and
    without the credential the server refuses (exit 3, naming the setting)."""
    home = tmp_path / "home"
    server = backend.server
    bare = backend.url.replace(f":{server.password}@", "@")
    vault = {"IGTK_VAULT_BACKEND": "file", "IGTK_VAULT_PASSPHRASE": "store-credential-test-passphrase"}
    cli = Igtk(home, passphrase=vault["IGTK_VAULT_PASSPHRASE"], IGTK_VAULT_BACKEND="file")
    added = cli("cred", "add", "history-db", "--username", "igtk", stdin=server.password + "\n", timeout=120)
    assert added.code == 0, added.stderr
    refused = cli("history", env={"IGTK_STORE_URL": bare, "PGPASSFILE": str(tmp_path / "none")})
    assert refused.code == 3 and "store_url" in refused.stderr
    pb = write_playbook(tmp_path, steps=[step("a", "utility.log", message="hi")], title="quick")
    run = cli("run", str(pb), "--json", timeout=120, env={"IGTK_STORE_URL": bare, "IGTK_STORE_CREDENTIAL": "history-db",
                                                          "PGPASSFILE": str(tmp_path / "none")})
    assert run.code == 0, run.stderr
    execution_id = run.events[0]["execution_id"]
    assert backend.rows(home, "SELECT status FROM executions WHERE id = ?", (execution_id,))[0][0] == "completed"
    missing = cli("history", env={"IGTK_STORE_URL": bare, "IGTK_STORE_CREDENTIAL": "no-such"})
    assert missing.code == 3 and "store_credential 'no-such'" in missing.stderr
