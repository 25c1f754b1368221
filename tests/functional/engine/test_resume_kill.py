"""Resume after kill -9 at every step boundary of a shipped gateway playbook (issue 15, item 1):
the resumed run re-opens the gateway session (gateway.login is run again with the same vault
credential) and completes every remaining step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui.playbook.loader import load_file
from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import PLAYBOOKS, Igtk
from tests.support.resume_kill import run_and_kill

TOKEN_NAME, TOKEN_SECRET = "igtk", "s3cret-token-value"
HEALTH = load_file(PLAYBOOKS / "gateway" / "health_check.yaml")
STEP_IDS = [s.id for s in HEALTH.steps]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.3", api_tokens={TOKEN_NAME: TOKEN_SECRET}) as gw:
        yield gw


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, sim: SimulatedGateway) -> Igtk:
    cli = Igtk(tmp_path_factory.mktemp("resume-kill") / "home")
    cli.seed_cheap_vault()
    added = cli("cred", "add", "sim", "--type", "api-token", "--username", TOKEN_NAME, "--gateway-url", sim.url,
                stdin=TOKEN_SECRET)
    assert added.code == 0, added.describe()
    return cli


@pytest.mark.parametrize("boundary", STEP_IDS[1:])
def test_resume_after_kill_9_before_each_step_completes(cli: Igtk, sim: SimulatedGateway, boundary: str) -> None:
    killed = run_and_kill(cli, ["gateway/health_check", "-p", "gateway=sim"], pause_before=boundary)
    assert killed.finished == STEP_IDS[:STEP_IDS.index(boundary)]
    resumed = cli("resume", killed.execution_id, "--json")
    assert resumed.code == 0, resumed.describe()
    assert resumed.execution["status"] == "completed"
    ran = [e["step_id"] for e in resumed.events if e["event"] == "step_finished" and e["reason"] != "restored"]
    assert ran == ["login", *STEP_IDS[STEP_IDS.index(boundary):]], ran  # the session first, then the rest
    restored = [e["step_id"] for e in resumed.events if e["event"] == "step_finished" and e["reason"] == "restored"]
    assert restored == STEP_IDS[1:STEP_IDS.index(boundary)]
    assert TOKEN_SECRET not in resumed.stdout + resumed.stderr


def test_resume_with_a_wrong_credential_now_stops_before_the_unfinished_steps(
        cli: Igtk, sim: SimulatedGateway, tmp_path: Path) -> None:
    killed = run_and_kill(cli, ["gateway/health_check", "-p", "gateway=sim"], pause_before="info")
    added = cli("cred", "add", "wrong", "--type", "api-token", "--username", TOKEN_NAME, "--gateway-url", sim.url,
                stdin="not-the-token")
    assert added.code == 0, added.describe()
    resumed = cli("resume", killed.execution_id, "--json", "-p", "gateway=wrong")
    assert resumed.code == 1, resumed.describe()
    assert "resume: step 'login' was run again to reopen its session" in resumed.execution["error"]
    assert not [e for e in resumed.events if e["event"] == "step_started" and e["step_id"] == "info"]
