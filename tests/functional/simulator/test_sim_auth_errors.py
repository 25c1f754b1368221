"""Auth (401/403, Bearer, read-only, https-only, web-UI session + CSRF), Jetty error
formats by Accept, 422/400 shapes, 404/405, and the list envelope."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import http

TOKEN_NAME, TOKEN_SECRET = "igtk", "s3cret"
RO_NAME, RO_SECRET = "ro", "readonly"


API = "/data/api/v1"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Ignition-API-Token": f"{TOKEN_NAME}:wrong"},
        {"X-Ignition-API-Token": TOKEN_SECRET},  # key only, no name
        {"X-Ignition-API-Token": f"nobody:{TOKEN_SECRET}"},
        {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="},  # HTTP Basic is not accepted on /data
        {"Authorization": f"Bearer {TOKEN_SECRET}"},
    ],
)
def test_unauthorized(gw: SimulatedGateway, headers: dict[str, str]) -> None:
    response = http.get(f"{gw.url}{API}/overview", headers={**headers, "Accept": "application/json"})
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized", "url": f"{API}/overview", "status": "401"}


def test_header_and_bearer_both_work(gw: SimulatedGateway) -> None:
    for headers in ({"X-Ignition-API-Token": gw.api_token}, {"Authorization": f"Bearer {gw.api_token}"}):
        assert http.get(f"{gw.url}{API}/overview", headers=headers).status_code == 200


def test_read_only_token_forbidden_to_write(gw: SimulatedGateway) -> None:
    headers = {"X-Ignition-API-Token": f"{RO_NAME}:{RO_SECRET}", "Accept": "application/json"}
    assert http.get(f"{gw.url}{API}/projects/list", headers=headers).status_code == 200
    response = http.post(f"{gw.url}{API}/projects", headers=headers, json={"name": "Nope"})
    assert response.status_code == 403
    assert response.json()["status"] == "403"
    assert "Nope" not in gw.state.projects


def test_https_required_for_tokens(make_gw: Callable[..., SimulatedGateway]) -> None:
    gateway = make_gw(require_https_for_tokens=True)
    token = {"X-Ignition-API-Token": gateway.api_token}
    assert http.get(f"{gateway.url}{API}/overview", headers=token).status_code == 403
    # a TLS-terminating proxy in front counts as a secure channel
    secure = {**token, "X-Forwarded-Proto": "https"}
    assert http.get(f"{gateway.url}{API}/overview", headers=secure).status_code == 200
    # bad credentials are still 401 first
    assert (
        http.get(f"{gateway.url}{API}/overview", headers={"X-Ignition-API-Token": "a:b"}).status_code == 401
    )


def test_gateway_info_auth_is_configurable(make_gw: Callable[..., SimulatedGateway]) -> None:
    open_gw, closed_gw = make_gw(gateway_info_requires_auth=False), make_gw()
    assert http.get(f"{open_gw.url}{API}/gateway-info").status_code == 200
    assert http.get(f"{closed_gw.url}{API}/gateway-info").status_code == 401
    # trial status was captured without auth (§2.9)
    assert http.get(f"{closed_gw.url}{API}/trial").status_code == 200


def test_error_format_follows_accept(gw: SimulatedGateway) -> None:
    url = f"{gw.url}{API}/overview"
    as_json = http.get(url, headers={"Accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["status"] == "401"
    as_html = http.get(url, headers={"Accept": "*/*"})
    assert as_html.headers["content-type"].startswith("text/html")
    assert "<h2>HTTP ERROR 401 Unauthorized</h2>" in as_html.text
    assert f"<tr><th>URI:</th><td>{API}/overview</td></tr>" in as_html.text
    as_browser = http.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert as_browser.headers["content-type"].startswith("text/html")
    as_text = http.get(url, headers={"Accept": "text/plain"})
    assert as_text.headers["content-type"].startswith("text/plain")
    assert as_text.text.startswith("HTTP ERROR 401 Unauthorized")
    weighted = http.get(url, headers={"Accept": "text/html;q=0.5, application/json"})
    assert weighted.headers["content-type"] == "application/json"


def test_unprocessable_bodies(client: httpx.Client) -> None:
    malformed = client.post(
        f"{API}/projects", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    body = malformed.json()
    assert set(body) == {"messages", "fieldMessages"} and body["messages"] and body["fieldMessages"] == []
    empty = client.put(f"{API}/modules/toggle-state")
    assert empty.status_code == 422
    missing_name = client.post(f"{API}/projects", json={"title": "x"})
    assert missing_name.status_code == 422
    assert missing_name.json()["messages"] == ["Unable to read required property 'name'"]


def test_missing_query_param_is_400(client: httpx.Client) -> None:
    response = client.post(f"{API}/modules/upload", content=b"x")
    assert response.status_code == 400
    assert "fileName" in response.json()["message"]
    assert client.post(f"{API}/modules/install").status_code == 400


def test_unknown_route_404_and_wrong_method_405(client: httpx.Client) -> None:
    missing = client.get(f"{API}/foo")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "No route match for path: /v1/foo",
        "url": f"{API}/foo",
        "status": "404",
    }
    assert client.delete(f"{API}/overview").status_code == 405


def test_list_envelope_params(client: httpx.Client) -> None:
    everything = client.get(f"{API}/modules/healthy").json()
    total = everything["metadata"]["total"]
    assert total >= 4 and len(everything["items"]) == total
    assert everything["metadata"] == {"total": total, "matching": total, "limit": -1, "offset": 0}
    page = client.get(f"{API}/modules/healthy", params={"limit": 2, "offset": 1}).json()
    assert [i["id"] for i in page["items"]] == [i["id"] for i in everything["items"][1:3]]
    assert page["metadata"] == {"total": total, "matching": total, "limit": 2, "offset": 1}
    found = client.get(f"{API}/modules/healthy", params={"search": "vision"}).json()
    assert [i["name"] for i in found["items"]] == ["Vision"] and found["metadata"]["matching"] == 1
    filtered = client.get(f"{API}/modules/healthy", params={"filter": "name[sw]=P"}).json()
    assert {i["name"] for i in filtered["items"]} == {"Perspective"}
    ordered = client.get(f"{API}/modules/healthy", params={"sortBy": "desc(name)"}).json()
    names = [i["name"] for i in ordered["items"]]
    assert names == sorted(names, key=str.lower, reverse=True)
    assert client.get(f"{API}/modules/healthy", params={"limit": "lots"}).status_code == 400
    assert client.get(f"{API}/modules/healthy", params={"filter": "name[zz]=x"}).status_code == 400


def test_healthy_item_shape(client: httpx.Client) -> None:
    item = client.get(f"{API}/modules/healthy", params={"search": "perspective"}).json()["items"][0]
    assert set(item) == {
        "id",
        "onStartup",
        "shouldUpgrade",
        "name",
        "version",
        "description",
        "docUrl",
        "vendorId",
        "vendorName",
        "selfSigned",
        "state",
        "faultCause",
        "exception",
        "faultTime",
        "licenseState",
        "startupTime",
        "restrictions",
    }
    assert item["id"] == "com.inductiveautomation.perspective" and item["state"] == "ACTIVE"
    assert re.fullmatch(r"\d+\.\d+\.\d+ \(b\d{10}\)", item["version"])


def test_web_ui_session_needs_csrf_for_writes(gw: SimulatedGateway) -> None:
    with sim_client(gw.url, follow_redirects=True) as browser:
        page = browser.get("/data/app/login")
        token = parse_qs(urlsplit(str(page.url)).query)["token"][0]
        auth_url = next(str(r.url) for r in page.history if "/oidc/auth" in str(r.url))
        step = browser.post("/idp/default/authn/next-challenge", json={"token": token}).json()
        assert step["complete"] is False and step["nextChallenge"][0]["type"] == "basic"
        ok = browser.post(
            "/idp/default/authn/submit-challenge/basic",
            json={
                "token": step["token"],
                "rememberMe": False,
                "challenge": {"username": "admin", "password": "password"},
            },
        ).json()
        assert ok["success"] is True
        done = browser.post("/idp/default/authn/next-challenge", json={"token": ok["token"]}).json()
        assert done["complete"] is True
        landed = browser.get(f"{auth_url}&token={done['token']}")
        assert landed.status_code == 200 and urlsplit(str(landed.url)).path == "/app"
        assert any(name.startswith("webui-sid-") for name in browser.cookies)
        csrf = browser.get("/data/app/session").json()["csrfToken"]
        assert browser.get(f"{API}/projects/names").status_code == 200
        assert browser.post(f"{API}/projects", json={"name": "ViaUi"}).status_code == 403
        assert (
            browser.post(
                f"{API}/projects", json={"name": "ViaUi"}, headers={"X-CSRF-Token": csrf}
            ).status_code
            == 200
        )


def test_openapi_json_requires_auth_and_lists_routes(gw: SimulatedGateway) -> None:
    assert http.get(f"{gw.url}/openapi.json").status_code == 401
    spec = http.get(f"{gw.url}/openapi.json", headers={"X-Ignition-API-Token": gw.api_token}).json()
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"] == "Ignition HTTP API"
    assert "post" in spec["paths"]["/data/api/v1/modules/upload"]
