"""`igtk schedule ...` as an operator types it: every kind of bad input refused with the exact field
named (exit 2) and nothing written (no row, no agent started); list/show/edit/enable/disable/rm
and run-now against the real store and a real agent."""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from agent_helpers import write_playbook
from schedule_helpers import QUICK, TestClock, db, poll_until, query

from igtk_tui.agent.location import AgentLocation
from igtk_tui.cli import main
from igtk_tui.paths import resolve_paths
from igtk_tui.vault import Vault
from igtk_tui.vault.kdf import CHEAP_TEST_KDF
from igtk_tui.vault.model import Credential

PASSPHRASE = "schedule-cli-tests-passphrase"
SECRETIVE = """\
    name: Secretive
    version: 1
    parameters:
      - {name: seconds, type: float, default: 0}
      - {name: password, type: string, required: false, secret: true}
      - {name: username, type: string, required: false}
    steps:
      - {id: a, name: first, type: utility.log, parameters: {message: hello}}
    """
BROKEN = "name: Broken\nversion: 1\nsteps:\n  - {id: a, type: utility.log, parameters: {message: [unclosed}\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(["schedule", *args])
    except SystemExit as exc:  # argparse's own refusals (a bad choice) exit 2
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def stored(home: Path) -> list[str]:
    if not db(home).exists():
        return []
    try:
        return [r["name"] for r in query(home, "SELECT name FROM schedules ORDER BY name")]
    except sqlite3.OperationalError:  # the database exists but holds no schedule table yet
        return []


def agent_alive(home: Path) -> bool:
    return AgentLocation.of(resolve_paths({"IGTK_HOME": str(home)})).alive()


def vault_with(home: Path, *names: str) -> None:
    vault = Vault.open(resolve_paths({"IGTK_HOME": str(home)}), passphrase=PASSPHRASE, backend="file",
                       test_kdf=CHEAP_TEST_KDF, env={})
    for name in names:
        vault.add(Credential(name, "basic", "admin", secrets.token_hex(16)))


@pytest.fixture
def playbook(tmp_path: Path) -> str:
    return str(write_playbook(tmp_path, SECRETIVE))


BAD_INPUTS: list[tuple[list[str], str]] = [
    (["--cron", "61 * * * *"], "--cron: '61 * * * *'"),
    (["--cron", "* * * *"], "--cron: '* * * *' has 4 field(s)"),
    (["--cron", "0 0 30 2 *"], "--cron: '0 0 30 2 *' never fires"),
    (["--cron", "@reboot"], "--cron: '@reboot' is not a known alias"),
    (["--tz", "Europe/Berln"], "--tz: unknown time zone 'Europe/Berln'; did you mean: Europe/Berlin"),
    (["-p", "seconds=soon"], "parameter 'seconds': must be a number, got 'soon'"),
    (["-p", "nosuch=1"], "unknown parameter 'nosuch'"),
    (["-p", "password=hunter22"], "-p password: a schedule stores no secrets"),
    (["--gateway", "ftp://gw"], "--gateway 'ftp://gw': expected a gateway URL"),
    (["--notify", "sms:+3312345"], "--notify 'sms:+3312345': unknown kind 'sms'"),
    (["--notify", "webhook:ftp://hooks"], "--notify 'webhook:ftp://hooks': 'ftp://hooks' is not an http(s) URL"),
    (["--notify", "webhook[format=xml]:https://hooks.example.com/x"], "format 'xml'; one of json, slack, teams"),
    (["--notify", "email:ops@example.com"], "smtp=HOST[:PORT] is required"),
    (["--notify", "email[smtp=mail.example.com,tls=none]:ops@example.com"], "tls=none is allowed only"),
    (["--notify", "email[smtp=mail.example.com]:not-an-address"], "'not-an-address' is not an e-mail address"),
    (["--notify", "command:/nonexistent/hook"], "'/nonexistent/hook' is not an executable file"),
    (["--notify", "webhook[retries=3]:https://hooks.example.com/x"], "unknown option 'retries' for webhook"),
]


@pytest.mark.parametrize(("extra", "says"), BAD_INPUTS, ids=[says.split(":")[0] + f"-{i}"
                                                            for i, (_, says) in enumerate(BAD_INPUTS)])
def test_add_refuses_bad_input_naming_the_field_and_writes_nothing(
        home: Path, clock: TestClock, playbook: str, capsys: pytest.CaptureFixture[str],
        extra: list[str], says: str) -> None:
    base = {"--cron": "0 3 * * *", "--tz": "UTC"}
    for flag in ("--cron", "--tz"):
        if flag in extra:
            base.pop(flag)
    args = [a for kv in base.items() for a in kv]
    code, out, err = run(capsys, "add", "nightly", playbook, *args, *extra)
    assert code == 2, err
    assert says in err, err
    assert stored(home) == [] and not agent_alive(home)


def test_add_refuses_unknown_and_broken_playbooks_and_bad_names(
        home: Path, clock: TestClock, playbook: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", str(tmp_path / "nope.yaml"))
    assert code == 2 and "PLAYBOOK: playbook" in err and "not found" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", str(broken))
    assert code == 2 and f"{broken}:4:" in err  # file:line:col
    code, _, err = run(capsys, "add", "bad name!", "--cron", "@daily", playbook)
    assert code == 2 and "schedule name 'bad name!'" in err
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", playbook, "--overlap", "sometimes")
    assert code == 2 and "--overlap" in err
    assert stored(home) == [] and not agent_alive(home)


def test_unknown_credentials_are_refused_with_close_matches(
        home: Path, clock: TestClock, playbook: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    vault_with(home, "gw-prod", "smtp-relay")
    monkeypatch.setenv("IGTK_VAULT_PASSPHRASE", PASSPHRASE)
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", playbook, "-c", "gw-prd")
    assert code == 2 and "-c gw-prd: no credential named 'gw-prd'; did you mean: gw-prod" in err
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", playbook,
                       "--notify", "email[smtp=mail.example.com,credential=smtp-rly]:ops@example.com")
    assert code == 2 and "credential smtp-rly: no credential named 'smtp-rly'; did you mean: smtp-relay" in err
    assert stored(home) == [] and not agent_alive(home)


def test_a_locked_vault_checks_names_against_the_keyring_index_or_says_it_could_not(
        home: Path, clock: TestClock, playbook: str, capsys: pytest.CaptureFixture[str]) -> None:
    from igtk_tui.vault.vault import keyring_index_path

    index = keyring_index_path(resolve_paths({"IGTK_HOME": str(home)}))
    code, _, err = run(capsys, "add", "unchecked", "--cron", "@daily", playbook, "-c", "gw-prod", "--disabled")
    assert code == 0 and "-c gw-prod: not checked, the vault is locked" in err  # no index: said, not silent
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(json.dumps({"version": 1, "service": "igtk", "credentials": {
        "gw-prod": {"type": "basic", "username": "admin", "gateway_url": "", "description": "",
                    "created_at": "", "updated_at": ""}}}), encoding="utf-8")
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", playbook, "-c", "gw-prd", "--disabled")
    assert code == 2 and "did you mean: gw-prod" in err and "keyring's index" in err
    code, _, err = run(capsys, "add", "nightly", "--cron", "@daily", playbook, "-c", "gw-prod", "--disabled")
    assert code == 0, err
    assert stored(home) == ["nightly", "unchecked"]
    code, _, err = run(capsys, "add", "nightly", "--cron", "@hourly", playbook, "--disabled")
    assert code == 2 and "a schedule named 'nightly' already exists" in err


def listing(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "list", "--json")
    assert code == 0, err
    return list(json.loads(out))


def test_list_show_edit_enable_disable_rm_and_run_now(
        home: Path, clock: TestClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quick = str(write_playbook(tmp_path, QUICK))
    code, out, err = run(capsys, "add", "hourly", "--cron", "0 * * * *", quick, "--tz", "Europe/Berlin")
    assert code == 0, err
    assert "next fire" in out and agent_alive(home)  # started on demand
    code, out, err = run(capsys, "list")
    assert code == 0 and "no agent is running" not in err
    (line,) = [row for row in out.splitlines() if row.startswith("hourly")]
    assert "0 * * * * (Europe/Berlin)" in line and line.count(":00") == 3  # the next three, local time
    (item,) = listing(capsys)
    assert len(item["next_fires"]) == 3 and item["last_fire"] is None and item["enabled"] is True

    code, out, err = run(capsys, "edit", "hourly", "--cron", "30 2 * * *", "--overlap", "queue", "--notify-on",
                         "always")
    assert code == 0, err
    (item,) = listing(capsys)
    assert item["cron"] == "30 2 * * *" and item["overlap"] == "queue" and item["notify_on"] == "always"
    code, out, err = run(capsys, "edit", "hourly", "--cron", "99 2 * * *")
    assert code == 2 and "--cron" in err
    assert listing(capsys)[0]["cron"] == "30 2 * * *"  # unchanged

    assert run(capsys, "disable", "hourly")[0] == 0
    (item,) = listing(capsys)
    assert item["enabled"] is False and item["next_fires"] == []
    assert run(capsys, "enable", "hourly")[0] == 0
    assert listing(capsys)[0]["enabled"] is True

    code, out, err = run(capsys, "run-now", "hourly")
    assert code == 0, err
    execution_id = out.strip()
    poll_until(lambda: query(home, "SELECT status FROM executions WHERE id = ?", (execution_id,))
               and query(home, "SELECT status FROM executions WHERE id = ?", (execution_id,))[0][0] == "completed",
               what="the run-now execution to complete")
    (row,) = query(home, "SELECT trigger FROM executions WHERE id = ?", (execution_id,))
    assert row["trigger"] == "schedule: hourly"
    code, out, err = run(capsys, "show", "hourly", "--json")
    fires = json.loads(out)["fires"]
    assert fires[0]["kind"] == "run-now" and fires[0]["execution_id"] == execution_id

    assert main(["agent", "stop"]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "list")
    assert "schedules will not fire" in err
    code, out, err = run(capsys, "rm", "hourly")
    assert code == 0 and stored(home) == []
    assert query(home, "SELECT COUNT(*) FROM schedule_fires")[0][0] == 0
    code, _, err = run(capsys, "rm", "hourly")
    assert code == 2 and "no schedule named 'hourly'" in err
