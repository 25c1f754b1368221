"""Every request of Inductive Automation's 8.3 Bruno collection is answered on its method and
path (never 404/405). The requests are vendored in tests/data/ia83_requests.json, generated
once from Inductive Automation's 8.3 Bruno collection (*.bru; sample path/query values filled in)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.gateway.modl import build_modl
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client

REQUESTS = json.loads((Path(__file__).parents[2] / "data" / "ia83_requests.json").read_text())


def test_collection_is_complete() -> None:
    assert len(REQUESTS) == 53
    assert {r["method"] for r in REQUESTS} == {"GET", "POST", "PUT", "DELETE"}


@pytest.mark.parametrize("request_spec", REQUESTS, ids=[r["name"] for r in REQUESTS])
def test_request_is_routed(make_gw: Callable[..., SimulatedGateway], request_spec: dict[str, Any]) -> None:
    gw = make_gw()
    headers = {"X-Ignition-API-Token": gw.api_token, "Accept": "application/json"}
    with sim_client(gw.url, headers=headers) as c:
        # the sample module the module requests name sits in quarantine
        sample = build_modl("com.example.sample", "Sample", "1.0.0", license_text="<p>EULA</p>")
        assert (
            c.post(
                "/data/api/v1/modules/upload", params={"fileName": "Sample.modl"}, content=sample
            ).status_code
            == 200
        )
        kwargs: dict[str, Any] = {"params": request_spec["query"]}
        if request_spec["body"] is not None:
            kwargs["json"] = request_spec["body"]
        response = c.request(request_spec["method"], request_spec["path"], **kwargs)
    assert response.status_code not in (404, 405), (response.status_code, response.text[:300])
    assert response.status_code != 500, response.text[:300]
