"""A fleet run in history and reports: `igtk history --fleet`, `igtk show FLEET_ID`, `igtk report FLEET_ID`
(JSON against its schema, JUnit against Jenkins' XSD, Markdown and HTML: one row per gateway with its
status, duration, failed step and execution id), and `--report FORMAT:FILE` on the run itself."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from igtk_tui.report.fleet import schema
from igtk_tui.simulator import SimulatedFleet
from tests.support.fleet import FleetCli
from tests.support.playbooks import write_playbook

pytestmark = pytest.mark.timeout(300)
JUNIT_XSD = Path(__file__).resolve().parents[2] / "data" / "junit" / "junit-10.xsd"


@pytest.fixture
def recorded(cli: FleetCli, faulted: SimulatedFleet, tmp_path: Path) -> tuple[FleetCli, str, Path]:
    """gw01..gw05 in batches of 2 with gw02 failing and --max-fail 0: batch 1 ran, gw03..gw05 never started."""
    faulted["gw02"].faults.ping_state = "FAULTED"
    html = tmp_path / "out" / "fleet.html"
    r = cli("run", "gateway/health_check", "--on", "tag:canary", "--serial", "2", "--max-fail", "0",
            "--report", f"html:{html}")
    assert r.code == 1, r.describe()
    return cli, cli.fleet_run()["id"], html


def test_history_and_show_aggregate_the_fleet_run(recorded: tuple[FleetCli, str, Path]) -> None:
    cli, run_id, _ = recorded
    listed = cli.json("history", "--fleet", "--json")
    assert [r["id"] for r in listed] == [run_id]
    assert listed[0]["counts"] == {"total": 5, "completed": 1, "failed": 1, "skipped": 3, "cancelled": 0,
                                   "running": 0, "pending": 0}
    table = cli("history", "--fleet").stdout
    assert run_id[:8] in table and "5: 1✓ 1✗ 3↷" in table
    shown = cli.json("show", run_id[:8], "--json")
    assert shown["id"] == run_id and shown["status"] == "failed" and shown["kind"] == "fleet"
    rows = {g["gateway"]: g for g in shown["gateways"]}
    assert (rows["gw02"]["status"], rows["gw02"]["failed_step"]) == ("failed", "ping")
    assert rows["gw05"]["status"] == "skipped" and rows["gw05"]["execution_id"] is None
    # Each member execution is an ordinary one: `igtk show` of it works and names its fleet run.
    member = cli.json("show", rows["gw01"]["execution_id"], "--json")
    assert member["fleet_run_id"] == run_id and member["trigger"] == "fleet"
    assert any(r["id"] == rows["gw01"]["execution_id"] for r in cli.json("history", "--json"))
    text = cli("show", run_id).stdout
    assert "stopped    --max-fail 0%: 1 of 2 gateways failed in batch 1" in text and "gw05" in text


def test_reports_of_a_fleet_run_have_one_row_per_gateway(recorded: tuple[FleetCli, str, Path], tmp_path: Path) -> None:
    cli, run_id, html_after_run = recorded
    doc_path = tmp_path / "fleet.json"
    r = cli("report", run_id, "-f", "json", "-o", str(doc_path))
    assert r.code == 0, r.describe()
    doc = json.loads(doc_path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(doc)
    assert doc["fleet_run"]["id"] == run_id and doc["fleet_run"]["status"] == "failed"
    assert [(g["gateway"], g["status"]) for g in doc["gateways"]] == [
        ("gw01", "completed"), ("gw02", "failed"), ("gw03", "skipped"), ("gw04", "skipped"), ("gw05", "skipped")]
    assert doc["gateways"][1]["failed_step"] == "ping" and "FAULTED" in doc["gateways"][1]["error"]

    junit = tmp_path / "fleet.xml"
    assert cli("report", run_id, "-f", "junit", "-o", str(junit)).code == 0
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(junit))
    assert junit.read_text().count("<testcase ") == 5 and junit.read_text().count("<skipped ") == 3

    md = cli("report", run_id, "-f", "md", "-o", "-").stdout
    lines = [line for line in md.splitlines() if line.startswith("| gw")]
    assert len(lines) == 5 and "| ✗ failed |" in lines[1] and doc["gateways"][1]["execution_id"] in lines[1]

    r = cli("report", run_id)  # default: html into the fleet run's own folder
    assert r.code == 0, r.describe()
    default = cli.home / "data" / "artifacts" / f"fleet-{run_id}" / "report.html"
    assert str(default) in r.stdout
    for page in (default.read_text(), html_after_run.read_text()):
        assert page.count('<tr id="gw-') == 5 and "✗ FAILED" in page
        assert "<link" not in page and "<script" not in page  # self-contained: opened offline
        assert doc["gateways"][0]["execution_id"] in page
    assert "fleet-token-secret" not in md + default.read_text() + doc_path.read_text()


SECRET_PLAYBOOK = """\
    name: Secret echo
    version: "1"
    parameters:
      - {name: gateway_url, type: string, required: false}
      - {name: site_password, type: string, secret: true}
    steps:
      - {id: say, name: say, type: utility.log, parameters: {message: "pw={{ parameter.site_password }}"}}
    """


def test_secrets_never_reach_fleet_output_record_or_report(cli: FleetCli, tmp_path: Path) -> None:
    from tests.support.fleet import TOKEN_SECRET

    canary = "canary-Fl33t-pw-7781"
    playbook = write_playbook(cli.home.parent, SECRET_PLAYBOOK, "secret.yaml")
    r = cli("run", str(playbook), "--on", "gw01,gw02", "-p", f"site_password={canary}", "--json",
            "--report", f"json:{tmp_path / 'f.json'}", "--report", f"md:{tmp_path / 'f.md'}")
    assert r.code == 0, r.describe()
    said = [e["message"] for e in r.events if e["event"] == "log" and e.get("gateway") == "gw01"]
    assert "pw=••••" in said
    record = cli.fleet_run()
    assert '"site_password":"••••"' in record["options"]
    sinks = {"stdout": r.stdout, "stderr": r.stderr, "json report": (tmp_path / "f.json").read_text(),
             "md report": (tmp_path / "f.md").read_text(),
             "show": cli("show", record["id"], "--json").stdout}
    for folder in ("data", "state"):
        for path in (cli.home / folder).rglob("*"):
            if path.is_file():
                sinks[str(path)] = path.read_bytes().decode("latin-1")
    assert [name for name, text in sinks.items() if canary in text or TOKEN_SECRET in text] == []
