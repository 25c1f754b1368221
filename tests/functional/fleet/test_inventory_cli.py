"""`igtk inventory list|add|rm|check` and the bad input of fleet runs: exit 2 with the exact
problem (file:line:col for a bad inventory file, the flag or the target by name), nothing
half-written; comments in the inventory survive every edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fleet_helpers import TOKEN_NAME, TOKEN_SECRET, FleetCli
from igtk_cli_helpers import Igtk

from igtk_tui.simulator import SimulatedFleet

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def bare(tmp_path: Path) -> Igtk:
    """A home with an empty vault and no inventory."""
    cli = Igtk(tmp_path / "home")
    cli.seed_cheap_vault()
    return cli


def _inventory(cli: Igtk) -> Path:
    return cli.home / "config" / "inventory.toml"


def test_add_list_rm_keep_the_operators_comments(bare: Igtk, fleet: SimulatedFleet) -> None:
    r = bare("cred", "add", "plant", "--type", "api-token", "--username", TOKEN_NAME, stdin=TOKEN_SECRET)
    assert r.code == 0, r.describe()
    r = bare("inventory", "add", "line3-gw", "--url", fleet["gw01"].url + "/", "--credential", "plant",
             "--group", "plant-a", "--group", "line-3", "--tag", "critical", "--version", "8.3.6")
    assert r.code == 0, r.describe()
    assert r.stderr == ""  # the credential is in the vault: no warning
    path = _inventory(bare)
    path.write_text(path.read_text().replace("[gateways.line3-gw]", "# call Dave before a restart\n[gateways.line3-gw]"))
    r = bare("inventory", "add", "line4-gw", "--url", fleet["gw02"].url, "--credential", "missing-cred")
    assert r.code == 0, r.describe()
    assert "credential 'missing-cred' is not in the vault" in r.stderr
    text = path.read_text()
    assert "# call Dave before a restart\n[gateways.line3-gw]" in text and "[gateways.line4-gw]" in text
    assert f'url = "{fleet["gw01"].url}"' in text  # stored normalised

    listed = bare.json("inventory", "list", "--json")
    assert [g["name"] for g in listed] == ["line3-gw", "line4-gw"]
    assert listed[0] | {"last_check": None} == {
        "name": "line3-gw", "url": fleet["gw01"].url, "credential": "plant", "version": "8.3.6",
        "groups": ["plant-a", "line-3"], "tags": ["critical"], "description": "", "last_check": None}
    assert [g["name"] for g in bare.json("inventory", "list", "--json", "--group", "line-3")] == ["line3-gw"]
    human = bare("inventory", "list")
    assert human.code == 0 and "line3-gw" in human.stdout and "plant-a,line-3 #critical" in human.stdout
    assert "gateway 'line4-gw': credential 'missing-cred' is not in the vault" in human.stderr
    locked = bare("inventory", "list", env={"IGTK_VAULT_PASSPHRASE": ""})
    assert locked.code == 0 and "credentials not checked" in locked.stderr  # a locked vault: a note, not a failure

    r = bare("inventory", "rm", "line4-gw")
    assert r.code == 0, r.describe()
    assert "# call Dave before a restart" in path.read_text() and "line4-gw" not in path.read_text()


@pytest.mark.parametrize(("args", "needle"), [
    (("add", "gw x", "--url", "http://h:8088", "--credential", "c"), "gateway name 'gw x' must start"),
    (("add", "gw", "--url", "ftp://h", "--credential", "c"), "--url: gateway URL 'ftp://h' must look like"),
    (("add", "gw", "--url", "http://admin:pw@h:8088", "--credential", "c"), "user name or password"),
    (("add", "gw", "--url", "http://h:8088", "--credential", "c", "--version", "eight"), "--version 'eight'"),
    (("add", "gw", "--url", "http://h:8088", "--credential", "c", "--group", "all"), "group 'all' is reserved"),
    (("rm", "nope"), "no gateway 'nope' in the inventory"),
])
def test_bad_inventory_commands_exit_2_and_write_nothing(bare: Igtk, args: tuple[str, ...], needle: str) -> None:
    r = bare("inventory", *args)
    assert r.code == 2, r.describe()
    assert needle in r.stderr
    assert "pw@" not in r.stderr + r.stdout
    assert not _inventory(bare).exists()


def test_a_duplicate_name_is_refused(bare: Igtk) -> None:
    assert bare("inventory", "add", "gw1", "--url", "http://h:8088", "--credential", "c").code == 0
    before = _inventory(bare).read_text()
    r = bare("inventory", "add", "GW1", "--url", "http://other:8088", "--credential", "c")
    assert r.code == 2 and "a gateway named 'gw1' is already in the inventory" in r.stderr
    assert _inventory(bare).read_text() == before


def test_a_bad_inventory_file_names_file_line_and_column(bare: Igtk) -> None:
    path = _inventory(bare)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[gateways.a]\nurl = "http://a:8088"\ncredential = "c"\n\n'
                    '[gateways.b]\nurl = "gopher://b"\ncredentail = "c"\n')
    r = bare("inventory", "list")
    assert r.code == 2, r.describe()
    assert f"{path}:6:1: gateway 'b': url: gateway URL 'gopher://b' must look like" in r.stderr
    assert f"{path}:7:1: gateway 'b': unknown key 'credentail' (did you mean 'credential'?)" in r.stderr
    path.write_text('[gateways.a]\nurl = "http://a:8088"\ncredential = "c"\n[gateways.a]\n')
    r = bare("inventory", "list")
    assert r.code == 2 and f"{path}:4:" in r.stderr
    r = bare("run", "gateway/health_check", "--on", "all")  # a fleet run reads it the same way
    assert r.code == 2 and f"{path}:4:" in r.stderr


def test_check_records_state_and_version_and_exits_1_when_one_is_not_running(
        cli: FleetCli, faulted: SimulatedFleet) -> None:
    faulted["gw02"].faults.ping_state = "FAULTED"
    r = cli("inventory", "check", "--on", "tag:canary", "--forks", "2", "--json")
    assert r.code == 1, r.describe()
    checks = {c["name"]: c for c in json.loads(r.stdout)}
    assert {n: c["state"] for n, c in checks.items()} == {
        "gw01": "RUNNING", "gw02": "FAULTED", "gw03": "RUNNING", "gw04": "RUNNING", "gw05": "RUNNING"}
    assert checks["gw01"]["version"] == "8.3.6" and checks["gw01"]["platform"] == "gw01"
    recorded = {row["name"]: row for row in cli.rows("SELECT * FROM gateway_checks")}
    assert recorded["gw02"]["state"] == "FAULTED" and recorded["gw04"]["version"] == "8.3.6"
    listed = {g["name"]: g for g in cli.json("inventory", "list", "--json", "--group", "plant-a")}
    assert listed["gw02"]["last_check"]["state"] == "FAULTED" and listed["gw06"]["last_check"] is None
    faulted["gw02"].faults.ping_state = ""
    r = cli("inventory", "check", "--on", "gw02")
    assert r.code == 0, r.describe()
    assert "gw02  ✓ RUNNING" in r.stdout and "1 of 1 gateway(s) RUNNING" in r.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (("--on", "plant-c"), "'plant-c' is not a gateway, a group or tag:X in the inventory (did you mean 'plant-b', 'plant-a'?)"),
    (("--on", "tag:canry"), "no gateway has the tag 'canry' (did you mean 'tag:canary'?)"),
    (("--on", "gw01,gw5"), "'gw5' is not a gateway"),
    (("--on", "all", "--detach", "--json"), "--json cannot be used with --detach (the agent runs the fleet"),
    (("--on", "all", "--gateway", "http://h:8088"), "--gateway cannot be used with --on"),
    (("--on", "all", "-c", "fleet"), "-c/--credential cannot be used with --on"),
    (("--on", "all", "-p", "gateway_url=http://h:8088"), "-p gateway_url: with --on each gateway's URL comes from"),
    (("--on", "all", "--debug"), "--debug cannot be used with --on"),
    (("--forks", "3",), "--forks is for fleet runs: add --on TARGETS"),
    (("--on", "all", "--serial", "0"), "argument --serial: must be at least 1"),
    (("--on", "all", "--serial", "0%"), "argument --serial: must be a percentage above 0"),
    (("--on", "all", "--max-fail", "120%"), "argument --max-fail: must be a percentage from 0 up to 100"),
    (("--on", "all", "--forks", "0"), "argument --forks: must be at least 1"),
    (("--lock-wait", "-1",), "argument --lock-wait: must be 0 or more"),
])
def test_bad_fleet_run_input_exits_2_before_anything_runs(cli: FleetCli, args: tuple[str, ...], needle: str) -> None:
    r = cli("run", "gateway/health_check", *args)
    assert r.code == 2, r.describe()
    assert needle in r.stderr
    assert cli.rows("SELECT id FROM fleet_runs") == [] and cli.rows("SELECT id FROM executions") == []


def test_a_gateway_whose_credential_is_missing_is_named_and_nothing_runs(cli: FleetCli, fleet: SimulatedFleet) -> None:
    r = cli.igtk.inproc("inventory", "add", "orphan", "--url", "http://127.0.0.1:9", "--credential", "flet")
    assert r.code == 0 and "credential 'flet' is not in the vault" in r.stderr
    r = cli("run", "gateway/health_check", "--on", "gw01,orphan")
    assert r.code == 2, r.describe()
    assert "gateway 'orphan':" in r.stderr and "'flet'" in r.stderr and "fleet" in r.stderr
    assert cli.rows("SELECT id FROM executions") == []


def test_a_locked_vault_is_exit_3_before_anything_runs(cli: FleetCli) -> None:
    r = cli("run", "gateway/health_check", "--on", "tag:canary", env={"IGTK_VAULT_PASSPHRASE": "wrong passphrase"})
    assert r.code == 3, r.describe()
    assert cli.rows("SELECT id FROM fleet_runs") == []
