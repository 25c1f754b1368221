"""Notification targets as operators write them, and what a notice says in each shape, secrets
masked (the delivery itself is tested against real receivers in tests/functional/schedules)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest

from igtk_tui import redact
from igtk_tui.notify.message import Notice, wanted
from igtk_tui.notify.targets import TargetError, parse


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    redact.REDACTOR.clear()
    yield
    redact.REDACTOR.clear()


def test_targets_parse_with_their_options() -> None:
    hook = parse("webhook[format=slack]:https://hooks.slack.com/services/T0/B0/token123")
    assert (hook.kind, hook.options, hook.timeout) == ("webhook", {"format": "slack"}, 10.0)
    assert hook.label == "webhook https://hooks.slack.com/…"  # the path (a token) is never recorded
    mail = parse("email[smtp=localhost:2525,credential=relay,tls=none]:a@example.com, b@example.com")
    assert mail.recipients == ["a@example.com", "b@example.com"] and mail.smtp == ("localhost", 2525)
    assert parse("email[smtp=mail.example.com]:ops@example.com").smtp == ("mail.example.com", 587)
    command = parse(f"command[timeout=5]:{sys.executable} -c 'print(1)'")
    assert command.argv == [sys.executable, "-c", "print(1)"] and command.timeout == 5.0
    assert parse("webhook[credential=slack-hook]:").label == "webhook (URL from credential slack-hook)"


@pytest.mark.parametrize(("spec", "says"), [
    ("slack:https://x", "unknown kind 'slack'"),
    ("webhook https://x", "expected KIND[OPTIONS]:VALUE"),
    ("webhook:", "a webhook needs a URL"),
    ("webhook[credential=a]:https://x", "not both"),
    ("webhook:https://user:pw@hooks.example.com/x", "user name or password"),
    ("webhook[timeout=0]:https://x", "timeout must be"),
    ("webhook[format]:https://x", "needs a value"),
    ("email[smtp=mail:99999]:a@example.com", "expected HOST[:PORT]"),
    ("email[smtp=mail,tls=ssl]:a@example.com", "tls 'ssl'"),
    ("email[smtp=mail,ca=/nonexistent.pem]:a@example.com", "is not a file"),
    ("command:", "name the program"),
    ("command:/bin/echo 'unclosed", "No closing quotation"),
])
def test_bad_targets_say_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(TargetError, match=says.replace("[", r"\[").replace("(", r"\(")):
        parse(spec)


@pytest.mark.parametrize(("notify_on", "status", "told"), [
    ("failure", "failed", True), ("failure", "error", True), ("failure", "interrupted", True),
    ("failure", "completed", False), ("success", "completed", True), ("success", "failed", False),
    ("always", "completed", True), ("never", "failed", False),
])
def test_who_is_told_when(notify_on: str, status: str, told: bool) -> None:
    assert wanted(notify_on, status) is told


def test_every_shape_names_the_run_and_masks_the_secret() -> None:
    secret = "hunter2-canary-0123456789abcdef"
    redact.register(secret)
    notice = Notice.make(schedule="nightly", playbook="Backup (gateway/backup)", status="failed",
                         execution_id="e-123", gateway="http://gw:8088", failed_step="login",
                         error=f"401 for password {secret}", due_at=0.0, started_at=1.0, finished_at=2.0)
    shapes = {fmt: json.dumps(notice.payload(fmt), ensure_ascii=False) for fmt in ("json", "slack", "teams")}
    shapes["text"] = notice.text() + notice.subject()
    for name, text in shapes.items():
        assert secret not in text and redact.MASK in text, name
        assert "e-123" in text and "igtk show e-123" in text and "login" in text, name
    body = notice.payload("json")
    assert body["event"] == "igtk.schedule.fire" and body["show"] == "igtk show e-123"
    assert set(notice.payload("slack")) == {"text"}
    assert notice.payload("teams")["@type"] == "MessageCard" and notice.payload("teams")["themeColor"] == "D63333"
