"""Fixtures for the simulated-gateway tests: real servers on real ports, no mocks (the gateways
themselves: `gw`, `gw81`, `make_gw` in tests/support/simulator.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from igtk_tui.gateway.modl import build_modl
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client

LICENSE = "<html><body><h1>Example EULA</h1><p>Do good things.</p></body></html>"


@pytest.fixture
def client(gw: SimulatedGateway) -> Iterator[httpx.Client]:
    """An API client with a valid token that asks for JSON errors."""
    headers = {"X-Ignition-API-Token": gw.api_token, "Accept": "application/json"}
    with sim_client(gw.url, headers=headers, timeout=10.0) as c:
        yield c


def login_81(browser: httpx.Client, username: str = "admin", password: str = "password") -> httpx.Response:
    """The 8.1 IdP login over plain HTTP (§3.1): follow to the page, JSON challenge, back with a cookie."""
    from urllib.parse import parse_qs, urlsplit

    page = browser.get("/web/login", follow_redirects=True)
    token = parse_qs(urlsplit(str(page.url)).query)["token"][0]
    auth_url = next(str(r.url) for r in page.history if "/oidc/auth" in str(r.url))
    step = browser.post(
        "/idp/default/authn/submit-username-password-challenge",
        json={"username": username, "password": password, "token": token, "rememberMe": False},
    )
    assert step.json()["success"] is True, step.text
    done = browser.post("/idp/default/authn/next-challenge", json={"token": step.json()["token"]})
    return browser.get(f"{auth_url}&token={done.json()['token']}", follow_redirects=True)


@pytest.fixture
def login81() -> Callable[..., httpx.Response]:
    return login_81


@pytest.fixture
def modl() -> Callable[..., bytes]:
    """Build a real signed .modl with a EULA (any build_modl argument can be overridden)."""

    def build(
        module_id: str = "com.example.widget", version: str = "1.0.0.2026010112", **kwargs: Any
    ) -> bytes:
        kwargs.setdefault("license_text", LICENSE)
        return build_modl(module_id, kwargs.pop("name", "Widget"), version, **kwargs)

    return build
