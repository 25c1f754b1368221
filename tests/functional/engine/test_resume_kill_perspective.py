"""Resume after kill -9 at every step boundary of a shipped Perspective playbook (issue 15,
item 1): perspective/view_smoke_test on the simulator's secured page, in a real Chromium. The
killed process took its browser with it; the resumed run signs in again (perspective.login with
the same vault credential) and re-opens the page (perspective.navigate) before the first
unfinished step, so the later steps find the secured view, not the sign-in form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui.playbook.loader import load_file
from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import PLAYBOOKS, Igtk
from tests.support.resume_kill import run_and_kill

try:
    from igtk_tui.browser.discovery import BrowserUnavailable, find_browser

    find_browser()
    NO_BROWSER = ""
except BrowserUnavailable as exc:  # pragma: no cover - depends on the machine
    NO_BROWSER = str(exc)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_BROWSER), reason=f"needs Chromium: {NO_BROWSER}")]

PASSWORD = "Op3rator-canary-pw"
SMOKE = load_file(PLAYBOOKS / "perspective" / "view_smoke_test.yaml")
STEP_IDS = [s.id for s in SMOKE.steps]
REOPENED = ["sign_in", "open"]  # the steps that load a page or sign in (engine/replay.py REOPEN_STEP_TYPES)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.3", admin_password=PASSWORD) as gw:
        yield gw


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, sim: SimulatedGateway) -> Igtk:
    cli = Igtk(tmp_path_factory.mktemp("resume-kill-perspective") / "home")
    cli.seed_cheap_vault()
    added = cli("cred", "add", "operator", "--type", "basic", "--username", "admin", "--gateway-url", sim.url,
                stdin=PASSWORD)
    assert added.code == 0, added.describe()
    return cli


@pytest.mark.parametrize("boundary", STEP_IDS[1:])
def test_resume_after_kill_9_reopens_the_page_and_completes(cli: Igtk, sim: SimulatedGateway, boundary: str) -> None:
    args = ["perspective/view_smoke_test", "--gateway", sim.url, "-p", "page=/secure", "-p", "login=operator",
            "-p", "expect_components=[welcomeLabel]"]
    killed = run_and_kill(cli, args, pause_before=boundary)
    before = STEP_IDS[:STEP_IDS.index(boundary)]
    assert killed.finished == before
    resumed = cli("resume", killed.execution_id, "--json")
    assert resumed.code == 0, resumed.describe()
    assert resumed.execution["status"] == "completed"
    finished = [e for e in resumed.events if e["event"] == "step_finished"]
    ran = [e["step_id"] for e in finished if e["reason"] != "restored"]
    reopened = [s for s in REOPENED if s in before]
    assert ran == [*reopened, *STEP_IDS[STEP_IDS.index(boundary):]], ran  # sign in and page first, then the rest
    assert all(e["attempts"] >= 1 and e["duration"] > 0 for e in finished if e["step_id"] in reopened)  # real runs
    restored = [e["step_id"] for e in finished if e["reason"] == "restored"]
    assert restored == [s for s in before if s not in REOPENED]
    if "sign_in" in reopened:
        assert resumed.output("sign_in")["status"] == "logged_in"
    assert resumed.output("open")["page"] == "/secure"
    assert resumed.output("check")["found"] == "1"  # the secured view, in the re-opened signed-in page
    assert Path(resumed.output("screenshot")["screenshot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert PASSWORD not in resumed.stdout + resumed.stderr
    shown = cli("show", resumed.execution["execution_id"], "--json")  # what the store recorded
    assert shown.code == 0, shown.describe()
    record = json.loads(shown.stdout)
    assert record["resumed_from"] == killed.execution_id
    steps = {s["id"]: s for s in record["steps"] if s["role"] != "rollback"}
    assert all(steps[s]["status"] == "completed" and steps[s]["attempts"] >= 1 and steps[s]["reason"] != "restored"
               for s in reopened)  # the reopened steps are recorded as ordinary runs, not as restored
    assert all(steps[s]["reason"] == "restored" and steps[s]["attempts"] == 0 for s in restored)
