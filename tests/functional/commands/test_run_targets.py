"""`igtk run` targets the gateway the operator named, records that one, and
refuses unknown credentials before the first step (issue 14 items 1 and 2).

Two simulated gateways over real sockets; credentials added with the real
`igtk cred add` into an encrypted-file vault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import Igtk

TOKEN_NAME, TOKEN_SECRET = "igtk", "targets-token-secret"


@pytest.fixture(scope="module")
def gw_a() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.3", api_tokens={TOKEN_NAME: TOKEN_SECRET}) as gw:
        yield gw


@pytest.fixture(scope="module")
def gw_b() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.3", api_tokens={TOKEN_NAME: TOKEN_SECRET}) as gw:
        yield gw


@pytest.fixture
def cli(tmp_path: Path, gw_a: SimulatedGateway) -> Igtk:
    """A credential whose URL is gateway A."""
    cli = Igtk(tmp_path / "home")
    cli.seed_cheap_vault()
    r = cli("cred", "add", "plant-a", "--type", "api-token", "--username", TOKEN_NAME, "--gateway-url", gw_a.url,
            stdin=TOKEN_SECRET)
    assert r.code == 0, r.describe()
    return cli


def _logins(gw: SimulatedGateway) -> int:
    return sum(1 for _method, path, _status in gw.requests if not path.startswith("/StatusPing"))


def test_gateway_flag_wins_over_the_credentials_url_in_steps_record_and_history(
        cli: Igtk, gw_a: SimulatedGateway, gw_b: SimulatedGateway) -> None:
    before_a = _logins(gw_a)
    r = cli("run", "gateway/health_check", "-c", "plant-a", "--gateway", gw_b.url, "--json")
    assert r.code == 0, r.describe()
    assert r.output("login")["gateway_url"] == gw_b.url  # the steps went to --gateway
    assert _logins(gw_a) == before_a  # nothing but (at most) a probe reached the credential's gateway
    # reported before the first step, naming both URLs
    assert f"credential 'plant-a' is for {gw_a.url}" in r.stderr and gw_b.url in r.stderr
    started = next(e for e in r.events if e["event"] == "execution_started")
    assert started["gateway_url"] == gw_b.url
    rows = json.loads(cli("history", "--json", "--gateway", gw_b.url).stdout)
    assert [row["id"] for row in rows] == [started["execution_id"]]
    assert json.loads(cli("history", "--json", "--gateway", gw_a.url).stdout) == []


def test_gateway_flag_reaches_a_login_step_without_a_url_parameter(
        cli: Igtk, gw_b: SimulatedGateway, tmp_path: Path) -> None:
    playbook = tmp_path / "login_only.yaml"
    playbook.write_text("name: Login only\nversion: \"1\"\nparameters:\n  - {name: gw, type: credential}\n"
                        "steps:\n  - id: login\n    name: Log in\n    type: gateway.login\n"
                        "    parameters: {credential: \"{{ parameter.gw }}\"}\n", encoding="utf-8")
    r = cli("run", str(playbook), "-p", "gw=plant-a", "--gateway", gw_b.url, "--json")
    assert r.code == 0, r.describe()
    assert r.output("login")["gateway_url"] == gw_b.url


def test_a_credential_parameter_records_its_gateway(cli: Igtk, gw_a: SimulatedGateway) -> None:
    r = cli("run", "gateway/health_check", "-p", "gateway=plant-a", "--json")
    assert r.code == 0, r.describe()
    started = next(e for e in r.events if e["event"] == "execution_started")
    assert started["gateway_url"] == gw_a.url
    rows = json.loads(cli("history", "--json", "--gateway", gw_a.url).stdout)
    assert [row["id"] for row in rows] == [started["execution_id"]]


def test_a_parameter_and_the_flag_naming_different_gateways_is_refused(
        cli: Igtk, gw_a: SimulatedGateway, gw_b: SimulatedGateway) -> None:
    r = cli("run", "gateway/health_check", "-c", "plant-a", "-p", f"gateway_url={gw_a.url}", "--gateway", gw_b.url)
    assert r.code == 2, r.describe()
    assert "gateway_url" in r.stderr and "--gateway" in r.stderr


@pytest.mark.parametrize("how", [("-p", "gateway=plant-b"), ("-c", "plant-b")])
def test_an_unknown_credential_exits_2_before_the_first_step(cli: Igtk, how: tuple[str, str]) -> None:
    r = cli("run", "gateway/health_check", *how, "--json")
    assert r.code == 2, r.describe()
    assert "'plant-b'" in r.stderr and "plant-a" in r.stderr  # the name and the close match
    assert not [e for e in r.events if e["event"] == "execution_started"]
    assert json.loads(cli("history", "--json").stdout) == []
