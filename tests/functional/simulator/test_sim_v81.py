"""8.1 mode: no REST API, web pages, the IdP login flow and session cookie, /data/status
trial and permissions, and the (stand-in) config pages for modules and restart."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import http, wait_running


def test_no_rest_api(gw81: SimulatedGateway) -> None:
    headers = {"X-Ignition-API-Token": gw81.api_token, "Accept": "application/json"}
    for path in ("/data/api/v1/gateway-info", "/data/api/v1/modules/healthy", "/data/api/v1/trial"):
        assert http.get(f"{gw81.url}{path}", headers=headers).status_code == 404
    assert http.get(f"{gw81.url}/StatusPing").json() == {"state": "RUNNING"}


def test_pages_when_signed_out(gw81: SimulatedGateway) -> None:
    with sim_client(gw81.url) as browser:
        home = browser.get("/web/home")
        assert (
            home.status_code == 200
            and 'id="sign-in-anchor"' in home.text
            and "reset-trial-anchor" not in home.text
        )
        assert browser.get("/web/status").status_code == 200
        assert browser.get("/").headers["location"] == "/web/home"
        licenses = browser.get("/web/status/licenses")
        assert licenses.status_code == 302 and licenses.headers["location"].startswith("/web/login?token=")


def test_login_page_two_steps_and_json_flow(gw81: SimulatedGateway) -> None:
    with sim_client(gw81.url, follow_redirects=True) as browser:
        page = browser.get("/web/status/licenses")
        assert urlsplit(str(page.url)).path == "/idp/default/authn/login"
        hops = [str(r.url) for r in page.history]
        auth_url = next(h for h in hops if "/idp/default/oidc/auth" in h)
        query = parse_qs(urlsplit(auth_url).query)
        assert query["client_id"] == ["ignition"] and query["redirect_uri"] == [
            "/data/federate/callback/ignition"
        ]
        for marker in (
            'class="username-field"',
            'class="password-field"',
            'class="submit-button"',
            ">CONTINUE<",
        ):
            assert marker in page.text
        token = parse_qs(urlsplit(str(page.url)).query)["token"][0]

        wrong = browser.post(
            "/idp/default/authn/submit-username-password-challenge",
            json={"username": "admin", "password": "nope", "token": token, "rememberMe": False},
        )
        assert wrong.json()["success"] is False
        replay = browser.post(
            "/idp/default/authn/submit-username-password-challenge",
            json={"username": "admin", "password": "password", "token": token},
        )
        assert replay.status_code == 400  # tokens rotate; replay is a Jetty 400
        right = browser.post(
            "/idp/default/authn/submit-username-password-challenge",
            json={"username": "admin", "password": "password", "token": wrong.json()["token"]},
        )
        assert right.json()["success"] is True
        done = browser.post("/idp/default/authn/next-challenge", json={"token": right.json()["token"]}).json()
        assert done["complete"] is True
        back = browser.get(f"{auth_url}&token={done['token']}")
        assert back.status_code == 200 and urlsplit(str(back.url)).path == "/web/status/licenses"
        assert "JSESSIONID" in browser.cookies
        assert 'id="reset-trial-anchor"' in browser.get("/web/status").text


def test_form_login_and_configurable_cookie(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(version="8.1", session_cookie_name="IGNSESSION", admin_password="Secr3t!")
    with sim_client(gw.url, follow_redirects=True) as browser:
        page = browser.get("/web/login")
        token = re.search(r'name="token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        bad = browser.post(
            "/idp/default/authn/login", data={"token": token, "username": "admin", "password": "x"}
        )
        assert "Invalid username or password." in bad.text
        token = re.search(r'name="token" value="([^"]+)"', bad.text)[1]  # type: ignore[index]
        ok = browser.post(
            "/idp/default/authn/login", data={"token": token, "username": "admin", "password": "Secr3t!"}
        )
        assert urlsplit(str(ok.url)).path == "/web/home"
        assert "IGNSESSION" in browser.cookies and "JSESSIONID" not in browser.cookies


def test_trial_status_and_reset(
    gw81: SimulatedGateway, login81: Callable[[httpx.Client], httpx.Response]
) -> None:
    with sim_client(gw81.url) as browser:
        status = browser.get("/data/status/trial").json()
        assert status["expired"] is False and 7190 <= status["remainingSeconds"] <= 7200
        assert re.fullmatch(r"\d+:\d\d:\d\d", status["remainingDisplay"])
        gw81.state.trial_expires_at = time.time() - 5
        assert browser.get("/data/status/trial").json() | {"remainingDisplay": ""} == {
            "trialState": "NoneInDemo",
            "remainingSeconds": 0,
            "remainingDisplay": "",
            "expired": True,
        }
        assert browser.put("/data/status/trial").status_code == 401
        assert browser.get("/data/status/permissions").json()["config"] is False
        login81(browser)
        assert browser.get("/data/status/permissions").json()["config"] is True
        reset = browser.put(
            "/data/status/trial", headers={"Origin": gw81.url, "Referer": f"{gw81.url}/web/status/"}
        )
        assert reset.status_code == 200 and reset.json()["expired"] is False
        assert browser.get("/data/status/trial").json()["remainingSeconds"] >= 7190


def test_module_install_through_web_pages(
    gw81: SimulatedGateway, login81: Callable[[httpx.Client], httpx.Response], modl: Callable[..., bytes]
) -> None:
    with sim_client(gw81.url) as browser:
        login81(browser)
        assert 'id="install-module"' in browser.get("/web/config/system.modules").text
        upload = browser.post(
            "/web/config/system.modules/upload",
            files={"file": ("Widget.modl", modl(), "application/octet-stream")},
        )
        assert upload.status_code == 302
        cert_url = upload.headers["location"]
        assert cert_url.startswith("/web/config/system.modules/certificate?moduleId=com.example.widget")
        assert 'id="accept-certificate"' in browser.get(cert_url).text
        eula = browser.post(cert_url)
        eula_url = eula.headers["location"]
        assert "/system.modules/eula" in eula_url and "Example EULA" in browser.get(eula_url).text
        done = browser.post(eula_url)
        assert done.status_code == 302
        listing = browser.get(done.headers["location"]).text
        row = re.search(r'data-module-id="com.example.widget">.*?</tr>', listing, re.S)
        assert row and "Running" in row[0]  # 8.1 hot-loads: no restart needed
        assert gw81.state.modules["com.example.widget"].state == "ACTIVE"
        gone = browser.post("/web/config/system.modules/uninstall", params={"moduleId": "com.example.widget"})
        assert gone.status_code == 302 and "com.example.widget" not in gw81.state.modules


def test_restart_through_web_page(
    gw81: SimulatedGateway, login81: Callable[[httpx.Client], httpx.Response]
) -> None:
    with sim_client(gw81.url) as browser:
        assert browser.post("/web/config/system.restart").status_code == 302  # signed out: to the login
        login81(browser)
        assert browser.post("/web/config/system.restart", data={"confirm": "true"}).status_code == 200
        starting = browser.get("/web/status")
        assert starting.status_code == 503 and "HTTP ERROR 503" in starting.text
    wait_running(gw81)
