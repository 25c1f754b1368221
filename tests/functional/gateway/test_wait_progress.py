"""Long waits report what they wait for and a countdown against the timeout (issue 14 item 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from igtk_tui.engine import context
from igtk_tui.engine.events import LogRecord, StepWaiting
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.tui.render import step_label
from igtk_tui.tui.viewmodel import ExecutionView
from tests.support.gateway import run_playbook

RESTART = """name: restart
version: '1.0'
parameters:
  - {name: gateway_url, type: string}
  - {name: api_token, type: string, secret: true}
steps:
  - {id: login, name: Log in, type: gateway.login,
     parameters: {gateway_url: "{{ parameter.gateway_url }}", api_token: "{{ parameter.api_token }}"}}
  - {id: restart, name: Restart, type: gateway.restart, parameters: {timeout: 20, poll_interval: 0.1}}
"""
COUNTDOWN = re.compile(r"^waiting for http://\S+ to be ready: (\d+) of 20 s, (\d+) s left; last seen: (.+)$")


async def test_restart_wait_logs_a_countdown_with_the_last_state(
        tmp_path: Path, make_gw, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "PROGRESS_EVERY", 0.3)  # refresh often so a short restart shows repeats
    gw: SimulatedGateway = make_gw(restart_seconds=1.5)
    run = await run_playbook(tmp_path, RESTART, {"gateway_url": gw.url, "api_token": gw.api_token})
    assert run.ok, run.result.error
    lines = [e.message for e in run.events if isinstance(e, LogRecord) and e.step_id == "restart"]
    progress = [m for m in (COUNTDOWN.match(line) for line in lines) if m]
    assert len(progress) >= 3, lines  # the first state at once, then refreshed while it stays the same
    for m in progress:
        assert int(m.group(1)) + int(m.group(2)) in (19, 20, 21)  # elapsed + left = the timeout
    states = [m.group(3) for m in progress]
    assert any(s == states[i - 1] for i, s in enumerate(states) if i), states  # unchanged state refreshed
    assert not any(line.startswith("waiting for") and not COUNTDOWN.match(line) for line in lines), lines

    waits = [e for e in run.events if isinstance(e, StepWaiting)]
    assert waits and all(e.step_id == "restart" and e.timeout == 20 and e.last for e in waits)
    assert waits[-1].waited >= waits[0].waited


async def test_running_step_line_shows_the_countdown_and_clears_when_done(tmp_path: Path, make_gw) -> None:
    gw: SimulatedGateway = make_gw(restart_seconds=1.0)
    run = await run_playbook(tmp_path, RESTART, {"gateway_url": gw.url, "api_token": gw.api_token})
    assert run.ok, run.result.error
    view = ExecutionView(id=run.events[0].execution_id, seq=1, playbook="restart")
    wait = next(e for e in run.events if isinstance(e, StepWaiting))
    for event in run.events:
        view.apply(event)
        if event is wait:
            line = step_label(view.steps["restart"], view, now=wait.ts + 2).plain
            left = round(20 - wait.waited - 2)
            assert f"{left} s left: {wait.last}" in line, line
    assert "s left" not in step_label(view.steps["restart"], view, now=wait.ts + 2).plain
