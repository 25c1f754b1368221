"""Notifications of scheduled runs, from a real agent to real receivers: a webhook to a local HTTP
server (json and Slack shapes), an e-mail to a local SMTP server over STARTTLS with a login from
the vault, and a command hook, each with the run's secret masked; a notification that fails is
retried and recorded and never changes the execution's status; a locked vault at fire time is
recorded and told, never silent."""

from __future__ import annotations

import json
import sys
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path

import pytest

from igtk_tui.paths import resolve_paths
from igtk_tui.vault import Vault
from igtk_tui.vault.kdf import CHEAP_TEST_KDF
from igtk_tui.vault.model import Credential
from tests.support.agent import AgentHandle, stop_agent
from tests.support.playbooks import write_playbook
from tests.support.receivers import smtp_server, webhook_receiver
from tests.support.schedules import QUICK, START, TestClock, add, execution, wait_fire, wait_observed
from tests.support.secrets import MASK, encoded_forms, leaks_in, make_canary
from tests.support.waiting import poll_until

PASSPHRASE = "schedule-tests-vault-passphrase"
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-login-secret-42"
FAILING = """\
    name: Nightly check
    version: 1
    parameters:
      - {name: username, type: string}
      - {name: password, type: string, secret: true}
    steps:
      - {id: greet, name: greet, type: utility.log, parameters: {message: "checking as {{ parameter.username }}"}}
      - id: login
        name: log in
        type: utility.python
        parameters:
          params: {pw: "{{ parameter.password }}"}
          script: "raise SystemExit('login refused, the password was ' + params['pw'])"
    """


def make_vault(home: Path, canary: str) -> None:
    vault = Vault.open(resolve_paths({"IGTK_HOME": str(home)}), passphrase=PASSPHRASE, backend="file",
                       test_kdf=CHEAP_TEST_KDF, env={})
    vault.add(Credential("gw", "basic", "admin", canary))
    vault.add(Credential("smtp", "basic", SMTP_USER, SMTP_PASSWORD))


def hook_script(folder: Path) -> Path:
    script = folder / "hook.py"
    script.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[1], 'ab').write(sys.stdin.buffer.read())\n")
    script.chmod(0o700)
    return script


def notifications_recorded(home: Path, name: str) -> dict:
    return wait_fire(home, name, lambda f: f["outcome"] not in ("pending", "running")
                     and json.loads(f["notifications"]), what="the fire's notification results")


def test_a_failing_scheduled_run_notifies_by_webhook_email_and_hook_with_the_secret_masked(
        home: Path, clock: TestClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = make_canary("pw")
    forms = encoded_forms(canary)
    make_vault(home, canary)
    monkeypatch.setenv("IGTK_VAULT_PASSPHRASE", PASSPHRASE)
    hook_out = tmp_path / "hook-stdin.jsonl"
    with webhook_receiver() as web, smtp_server(tmp_path, username=SMTP_USER, password=SMTP_PASSWORD) as mail:
        agent = AgentHandle.start(home)
        try:
            add(home, "nightly", "--cron", "* * * * *", str(write_playbook(tmp_path, FAILING)), "-c", "gw",
                "--tz", "UTC",
                "--notify", f"webhook:{web.url}/hook",
                "--notify", f"webhook[format=slack]:{web.url}/slack",
                "--notify", f"email[smtp=127.0.0.1:{mail.port},credential=smtp,ca={mail.cert},"
                            f"from=igtk@example.com]:ops@example.com",
                "--notify", f"command[timeout=30]:{hook_script(tmp_path)} {hook_out}")
            wait_observed(agent, START, schedules=1)
            clock.set(START + 30)
            fire = notifications_recorded(home, "nightly")
        finally:
            stop_agent(agent)
    assert fire["outcome"] == "failed"
    execution_id = fire["execution_id"]
    assert execution(home, execution_id)["status"] == "failed"
    results = json.loads(fire["notifications"])
    assert [r["ok"] for r in results] == [True] * 4, results
    assert not leaks_in(json.dumps(results), forms)

    (body,) = web.bodies["/hook"]
    assert body["status"] == "failed" and body["schedule"] == "nightly" and body["playbook"].startswith("Nightly check")
    assert body["failed_step"] == "login" and body["execution_id"] == execution_id
    assert body["show"] == f"igtk show {execution_id}" and MASK in body["error"]
    (slack,) = web.bodies["/slack"]
    assert set(slack) == {"text"} and execution_id in slack["text"] and "failed" in slack["text"]

    (raw,) = mail.messages
    assert mail.tls_sessions == [True] and mail.logins == [(SMTP_USER, "good")]
    email = message_from_bytes(raw, policy=email_policy)
    assert email["To"] == "ops@example.com" and "nightly failed" in email["Subject"]
    text = email.get_content()
    assert f"igtk show {execution_id}" in text and "Failed step: login" in text and MASK in text

    (hooked,) = [json.loads(line) for line in hook_out.read_text().splitlines()]
    assert hooked["execution_id"] == execution_id and hooked["status"] == "failed"

    leaks = {name: leaks_in(data, forms) for name, data in (
        ("webhook", json.dumps(web.bodies)), ("email", raw), ("hook", hook_out.read_bytes()))}
    assert leaks == {"webhook": [], "email": [], "hook": []}


def test_a_failing_notification_is_retried_and_never_changes_the_status(
        home: Path, clock: TestClock, tmp_path: Path) -> None:
    config = resolve_paths({"IGTK_HOME": str(home)}).config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[notify]\non = \"always\"\nattempts = 3\nbackoff = 0.1\n", encoding="utf-8")
    agent = AgentHandle.start(home)  # it reads the [notify] settings at start
    with webhook_receiver() as web:
        web.answers = {"/flaky": [500, 200], "/down": [503]}
        add(agent.home, "checked", "--cron", "* * * * *", str(write_playbook(tmp_path, QUICK)), "--tz", "UTC",
            "--notify", f"webhook:{web.url}/flaky", "--notify", f"webhook:{web.url}/down")
        wait_observed(agent, START, schedules=1)
        clock.set(START + 30)
        fire = notifications_recorded(agent.home, "checked")
    flaky, down = json.loads(fire["notifications"])
    assert flaky["ok"] is True and flaky["attempts"] == 2
    assert down["ok"] is False and down["attempts"] == 3 and "HTTP 503" in down["error"]
    assert web.hits == {"/flaky": 2, "/down": 3}
    assert fire["outcome"] == "completed" and execution(agent.home, fire["execution_id"])["status"] == "completed"
    log = (resolve_paths({"IGTK_HOME": str(agent.home)}).logs_dir / "igtk.log").read_text()
    assert "failed (attempt 1 of 3): HTTP 503" in log and "delivered at attempt 2" in log
    shown = agent.cli("schedule", "show", "checked")
    assert "FAILED after 3: HTTP 503" in shown.stdout and "ok after 2 attempt(s)" in shown.stdout


def test_a_locked_vault_at_fire_time_is_recorded_and_told(
        agent: AgentHandle, clock: TestClock, tmp_path: Path) -> None:
    make_vault(agent.home, make_canary("pw"))  # the agent runs without the passphrase: locked for it
    with webhook_receiver() as web:
        add(agent.home, "locked", "--cron", "* * * * *", str(write_playbook(tmp_path, FAILING)), "-c", "gw",
            "--tz", "UTC", "--notify", f"webhook:{web.url}/hook", env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE})
        wait_observed(agent, START, schedules=1)
        clock.set(START + 30)
        fire = notifications_recorded(agent.home, "locked")
        poll_until(lambda: web.bodies.get("/hook"), what="the webhook")
    assert fire["outcome"] == "error" and fire["execution_id"] is None
    assert fire["message"].startswith("vault locked: run `igtk agent unlock`")
    (body,) = web.bodies["/hook"]
    assert body["status"] == "error" and body["error"].startswith("vault locked: run `igtk agent unlock`")
    assert body["execution_id"] is None and body["show"] is None
