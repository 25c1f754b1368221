"""GatewayClient against simulated gateways: version detection, auth errors with advice, TLS, probe."""

from __future__ import annotations

import logging
import socket

import pytest

from igtk_tui.errors import EXIT_UNAVAILABLE, ServiceUnavailable
from igtk_tui.gateway.client import GatewayClient
from igtk_tui.gateway.errors import Forbidden, GatewayUnreachable, NotSupported, Unauthorised
from igtk_tui.gateway.probe import probe
from igtk_tui.gateway.version import GatewayVersion, parse_gwinfo
from igtk_tui.simulator import SimulatedGateway


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gwinfo_is_parsed_by_key_whatever_the_order() -> None:
    text = "Version=8.3.6;PlatformEdition=;ContextStatus=RUNNING;OS=Linux;RedundantBackupAddresses=;"
    info = parse_gwinfo(text)
    assert info["Version"] == "8.3.6" and info["PlatformEdition"] == "" and info["ContextStatus"] == "RUNNING"
    assert parse_gwinfo("ContextStatus=RUNNING;Version=8.1.44") == {"ContextStatus": "RUNNING", "Version": "8.1.44"}
    version = GatewayVersion.parse("8.3.6 (b2026042713)")
    assert (version.plain, version.build, version.line) == ("8.3.6", "b2026042713", "8.3")
    assert GatewayVersion.parse("8.1.44").line == "8.1" and not GatewayVersion.parse("8.1.44").has_rest_api


@pytest.mark.parametrize("line", ["8.3", "8.1"])
async def test_version_is_detected(make_gw, line: str) -> None:
    gw = make_gw(version=line)
    async with GatewayClient(gw.url) as client:
        version = await client.detect_version()
        assert version.line == line and version.plain == gw.config.plain_version
        assert client.gwinfo_data["ContextStatus"] == "RUNNING"
        assert await client.ping() is True
        assert (await client.status_ping())["state"] == "RUNNING"


async def test_wrong_token_says_check_name_secret(gw: SimulatedGateway) -> None:
    for bad in ("igtk:wrong", gw.api_token.split(":", 1)[1]):  # wrong secret; the secret alone (no name:)
        async with GatewayClient(gw.url, api_token=bad) as client:
            with pytest.raises(Unauthorised) as err:
                await client.login()
            assert err.value.status == 401
            assert "check the API token (name:secret) in the credential" in str(err.value)


async def test_bearer_token_is_accepted(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url, api_token=gw.api_token, bearer=True) as client:
        await client.login()
        assert len(await client.list_projects()) >= 1


async def test_https_only_key_over_http_says_so(make_gw) -> None:
    gw = make_gw(require_https_for_tokens=True)
    async with GatewayClient(gw.url, api_token=gw.api_token) as client:
        with pytest.raises(Forbidden) as err:
            await client.login()
    assert err.value.status == 403
    assert "refuses API keys over plain HTTP" in str(err.value) and "https://" in str(err.value)
    assert "Require secure connections for API keys" in str(err.value)


async def test_read_only_key_write_is_forbidden_with_permission_advice(make_gw) -> None:
    gw = make_gw(readonly_tokens={"ro": "read-only-secret"})
    async with GatewayClient(gw.url, api_token="ro:read-only-secret") as client:
        await client.login()
        with pytest.raises(Forbidden) as err:
            await client.restart()
    assert "security level may lack permission" in str(err.value)
    assert gw.state.restart_count == 0


async def test_anonymous_api_call_explains_what_is_missing(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url) as client:
        with pytest.raises(Unauthorised) as err:
            await client.list_modules()
    assert "give api_token (Ignition 8.3) or username/password" in str(err.value)


async def test_unreachable_names_host_port_and_firewall() -> None:
    port = closed_port()
    async with GatewayClient(f"http://127.0.0.1:{port}", retries=1, retry_backoff=0.01) as client:
        with pytest.raises(GatewayUnreachable) as err:
            await client.detect_version()
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "connection refused" in message and "firewall" in message
    assert isinstance(err.value, ServiceUnavailable) and err.value.exit_code == EXIT_UNAVAILABLE


async def test_https_against_a_plain_http_port_explains_the_scheme(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url.replace("http://", "https://"), retries=0) as client:
        with pytest.raises(GatewayUnreachable) as err:
            await client.detect_version()
    assert "TLS" in str(err.value) and "scheme" in str(err.value)


async def test_probe(gw: SimulatedGateway) -> None:
    await probe(gw.url, True, 2.0)
    gw.faults.restart_never_completes = True
    gw.restart()
    await probe(gw.url, True, 2.0)  # a starting gateway is reachable
    with pytest.raises(GatewayUnreachable):
        await probe(f"http://127.0.0.1:{closed_port()}", True, 2.0)
    with pytest.raises(GatewayUnreachable):
        await probe("not a url", True, 2.0)


async def test_tls_opt_out_warns_each_client_in_one_place(gw: SimulatedGateway, caplog: pytest.LogCaptureFixture) -> None:
    """With an execution log the warning goes there (once, not also to the process logger, which
    printed it a second time on stderr); without one, to the logger; a probe says nothing."""
    seen: list[tuple[str, str]] = []
    with caplog.at_level(logging.WARNING, logger="igtk.gateway"):
        for _ in range(2):
            async with GatewayClient(gw.url, verify=False, log=lambda m, level: seen.append((level, m))):
                pass
        assert not [r for r in caplog.records if "verification is OFF" in r.getMessage()]
        async with GatewayClient(gw.url, verify=False):
            pass
        await probe(gw.url, False, 2.0)
        async with GatewayClient(gw.url):
            pass
    warnings = [r for r in caplog.records if "verification is OFF" in r.getMessage()]
    assert len(warnings) == 1
    assert [level for level, m in seen if "verification is OFF" in m] == ["warning", "warning"]


async def test_missing_ca_bundle_is_explained(tmp_path, gw: SimulatedGateway) -> None:
    from igtk_tui.gateway.errors import GatewayError

    with pytest.raises(GatewayError) as err:
        GatewayClient(gw.url.replace("http", "https"), ca_bundle=str(tmp_path / "missing.pem"))
    assert "CA bundle" in str(err.value)


async def test_session_login_on_83_uses_csrf_for_writes(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url, username="admin", password="password") as client:
        await client.login()
        assert client.auth_mode == "session"
        gw.state.trial_expires_at = 0
        trial = await client.reset_trial()  # a POST: needs X-CSRF-Token with the session cookie
        assert trial["seconds_left"] > 7000 and trial["expired"] is False


async def test_wrong_password_and_tokens_on_81(gw81: SimulatedGateway) -> None:
    async with GatewayClient(gw81.url, username="admin", password="nope") as client:
        with pytest.raises(Unauthorised) as err:
            await client.login()
    assert "check the username and password" in str(err.value)
    async with GatewayClient(gw81.url, api_token="igtk:whatever") as client:
        with pytest.raises(Unauthorised) as err:
            await client.login()
    assert "API tokens exist only from 8.3" in str(err.value)
    async with GatewayClient(gw81.url) as client:
        with pytest.raises(Unauthorised) as err:
            await client.list_modules()
        assert "web login" in str(err.value)
        with pytest.raises(NotSupported):
            await client.gateway_info()


async def test_expired_web_session_logs_in_again(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url, username="admin", password="password") as client:
        await client.login()
        gw.state.sessions.clear()  # the gateway forgot every session (as after a restart)
        assert len(await client.list_projects()) >= 1


async def test_tls_verification_ca_bundle_and_opt_out(tmp_path, gw: SimulatedGateway) -> None:
    """An HTTPS front (a TLS-terminating proxy) with a certificate no system CA signed."""
    from tests.support.gateway import CuttingProxy, self_signed_tls

    context, ca_pem = self_signed_tls(tmp_path)
    async with CuttingProxy(gw.port, None, ssl_context=context) as https:
        async with GatewayClient(https.url, api_token=gw.api_token, retries=0) as client:
            with pytest.raises(GatewayUnreachable) as err:
                await client.detect_version()
        assert "not trusted" in str(err.value) and "ca_bundle" in str(err.value)
        async with GatewayClient(https.url, api_token=gw.api_token, ca_bundle=str(ca_pem)) as client:
            await client.login()
            assert len(await client.list_projects()) >= 1
        async with GatewayClient(https.url, api_token=gw.api_token, verify=False) as client:
            assert (await client.status_ping())["state"] == "RUNNING"


async def test_expired_81_session_logs_in_again(gw81: SimulatedGateway) -> None:
    async with GatewayClient(gw81.url, username="admin", password="password") as client:
        await client.login()
        gw81.state.sessions.clear()  # 8.1 pages then redirect to the login instead of answering 401
        assert len(await client.list_modules()) >= 6


async def test_backup_503_of_a_master_whose_backup_is_down_is_not_retried(tmp_path) -> None:
    """Issue 17 item 8: that 503 names its reason and is not a starting gateway's; sent once."""
    from igtk_tui.gateway.errors import RedundancyUnavailable
    from igtk_tui.simulator.testing import RedundantPair

    with RedundantPair(api_tokens={"igtk": "s3cret"}) as pair:
        pair.backup_down()
        async with GatewayClient(pair.master.url, api_token="igtk:s3cret", retries=3,
                                 retry_backoff=0.01) as client:
            with pytest.raises(RedundancyUnavailable) as err:
                await client.download_backup(tmp_path / "b.gwbk")
        assert err.value.status == 503 and "redundant backup node is not connected" in str(err.value)
        assert "bring the other node of the redundant pair back up" in str(err.value)
        assert [r for r in pair.master.requests if r[1] == "/data/api/v1/backup"] == [
            ("GET", "/data/api/v1/backup", 503)]
        assert not (tmp_path / "b.gwbk").exists()


async def test_a_starting_gateways_503_is_still_retried(make_gw) -> None:
    gw = make_gw(restart_seconds=0.5)
    async with GatewayClient(gw.url, api_token=gw.api_token, retries=8, retry_backoff=0.1) as client:
        await client.login()
        gw.restart()
        assert len(await client.list_projects()) >= 1  # 503 while STARTING, retried until RUNNING
    assert ("GET", "/data/api/v1/projects/list", 503) in gw.requests
