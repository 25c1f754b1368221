"""Every shipped Perspective playbook runs green through `igtk run` in a real
(headless) Chromium against the simulator's Perspective pages, with its
outputs, files and failure modes checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import Igtk, Result

try:
    from igtk_tui.browser.discovery import BrowserUnavailable, find_browser

    find_browser()
    NO_BROWSER = ""
except BrowserUnavailable as exc:  # pragma: no cover - depends on the machine
    NO_BROWSER = str(exc)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(bool(NO_BROWSER), reason=f"needs Chromium: {NO_BROWSER}")]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.3", api_tokens={"igtk": "s3cret"}) as gw:
        yield gw


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory, sim: SimulatedGateway) -> Igtk:
    cli = Igtk(tmp_path_factory.mktemp("perspective-playbooks") / "home")
    cli.seed_cheap_vault()
    r = cli("cred", "add", "operator", "--type", "basic", "--username", "admin", "--gateway-url", sim.url,
            stdin="password")
    assert r.code == 0, r.describe()
    return cli


def run(cli: Igtk, sim: SimulatedGateway, playbook: str, *params: str, expect: int = 0) -> Result:
    result = cli("run", f"perspective/{playbook}", "--json", "--gateway", sim.url, *params)
    assert result.code == expect, result.describe()
    return result


def test_view_smoke_test(cli: Igtk, sim: SimulatedGateway) -> None:
    r = run(cli, sim, "view_smoke_test", "-p", "expect_components=[title, goButton, pumpToggle]",
            "-p", "expected_title=Main", "-p", "min_components=10")
    assert r.finished("sign_in")["status"] == "skipped"
    assert r.output("open")["url"] == f"{sim.url}/data/perspective/client/Demo/"
    assert int(r.output("check")["components"]) >= 10 and r.output("check")["found"] == "3"
    shot = Path(r.output("screenshot")["screenshot"])
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_view_smoke_test_signs_in_for_a_secured_page(cli: Igtk, sim: SimulatedGateway) -> None:
    r = run(cli, sim, "view_smoke_test", "-p", "page=/secure", "-p", "login=operator",
            "-p", "expect_components=[welcomeLabel]")
    assert r.output("sign_in")["status"] == "logged_in"
    assert r.output("open")["page"] == "/secure" and r.output("check")["found"] == "1"
    assert "password" not in json.dumps(r.output("sign_in"))


def test_component_inventory(cli: Igtk, sim: SimulatedGateway, tmp_path: Path) -> None:
    out = tmp_path / "inventory.json"
    r = run(cli, sim, "component_inventory", "-p", f"output_file={out}")
    summary = r.output("summarise")
    assert int(summary["components"]) >= 15 and summary["in_shadow_dom"] == "1"
    data = json.loads(out.read_text())
    ids = {item["id"]: item for item in data["inventory"]}
    assert {"goButton", "nameField", "pumpToggle", "lockedButton"} <= set(ids)
    assert ids["ackButton"]["inShadow"] is True  # found inside the alarm badge's shadow root
    assert ids["goButton"]["metadata"]["selector_reliability"] == "high"
    assert data["types"]["ia.input.button"] >= 3
    assert Path(r.output("discover")["inventory_file"]).is_file()


def test_navigation_and_docks(cli: Igtk, sim: SimulatedGateway) -> None:
    r = run(cli, sim, "navigation_and_docks")
    assert r.output("dock_shown")["dock_id"] == "nav"
    arrived = r.output("arrived")
    assert arrived["url"].endswith("/data/perspective/client/Demo/overview") and "Overview" in arrived["title"]
    assert r.output("target_view")["state"] == "visible"
    assert r.output("back_url")["url"].endswith("/Demo/")
    assert r.finished("left_target")["status"] == "completed"


def test_acceptance_test_default_manifest(cli: Igtk, sim: SimulatedGateway, tmp_path: Path) -> None:
    report = tmp_path / "fat.json"
    r = run(cli, sim, "acceptance_test", "-p", f"report_file={report}")
    verdict = r.output("verdict")
    assert (verdict["total"], verdict["passed"], verdict["failed"]) == ("10", "10", "0")
    data = json.loads(report.read_text())
    assert data["pass_rate"] == 100.0
    shots = [Path(res["screenshot"]) for res in data["results"]]
    assert len(shots) == 10 and all(s.is_file() for s in shots)


def test_acceptance_test_reports_failures(cli: Igtk, sim: SimulatedGateway) -> None:
    manifest = json.dumps([
        {"component_id": "goButton", "action": "click"},
        {"component_id": "statusLabel", "action": "verify_text", "expected": "Clicked 5"},
        {"component_id": "title", "action": "verify_text", "expected": "Demo"},
    ])
    r = run(cli, sim, "acceptance_test", "-p", f"manifest={manifest}", "-p", "on_entry_failure=abort",
            "-p", "screenshots=false", expect=1)
    results = r.output("run")["results"]
    assert [x["status"] for x in results] == ["passed", "failed", "skipped"]
    assert "Clicked 1" in results[1]["error"]  # says what it saw
    assert "1 of 3 entries failed" in r.finished("verdict")["error"]
