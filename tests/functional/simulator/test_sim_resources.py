"""Config resources and deployment modes as real 8.3 gateways serve them (issue 17 items 2, 3, 12)."""

from __future__ import annotations

import httpx

API = "/data/api/v1"
TAGS = f"{API}/resources/ignition/tag-provider"


def _modes(client: httpx.Client) -> dict[str, dict]:
    return {m["name"]: m for m in client.get(f"{API}/mode").json()["items"]}


def test_posting_a_record_with_a_mode_collection_creates_that_modes_override(client: httpx.Client) -> None:
    assert _modes(client)["prod"]["resourceCount"] == 0
    override = [{"name": "default", "collection": "prod", "config": {"profile": {"type": "STANDARD"},
                                                                     "settings": {"maxHistory": 5}}}]
    created = client.post(TAGS, json=override)
    assert created.status_code == 200, created.text
    assert created.json()["changes"][0]["collection"] == "prod"
    assert _modes(client)["prod"]["resourceCount"] == 1

    core = client.get(f"{API}/resources/find/ignition/tag-provider/default").json()
    prod = client.get(f"{API}/resources/find/ignition/tag-provider/default", params={"collection": "prod"}).json()
    assert core["collection"] == "core" and "maxHistory" not in core["config"]["settings"]
    assert prod["collection"] == "prod" and prod["config"]["settings"]["maxHistory"] == 5

    again = client.post(TAGS, json=override)
    assert again.status_code == 409 and again.json()["success"] is False
    assert client.post(TAGS, json=[{"name": "x", "collection": "nowhere"}]).status_code == 400

    deleted = client.delete(f"{TAGS}/default/{prod['signature']}", params={"collection": "prod"})
    assert deleted.status_code == 200
    assert _modes(client)["prod"]["resourceCount"] == 0
    assert client.get(f"{API}/resources/find/ignition/tag-provider/default").status_code == 200  # core kept


def test_singletons_and_find_without_a_name(client: httpx.Client, gw) -> None:
    found = client.get(f"{API}/resources/find/ignition/system-properties")
    assert found.status_code == 200 and found.json()["config"]["systemName"] == gw.state.gateway_name
    singleton = client.get(f"{API}/resources/singleton/ignition/system-properties")
    assert singleton.json() == found.json()

    undefined = f"{API}/resources/singleton/ignition/gateway-network-settings"
    assert client.get(undefined).status_code == 404
    default = client.get(undefined, params={"defaultIfUndefined": "true"})
    assert default.status_code == 200 and default.json()["config"]["port"] == 8060

    renamed = dict(found.json(), config={**found.json()["config"], "systemName": "Plant-7"})
    assert client.put(f"{API}/resources/ignition/system-properties", json=[renamed]).status_code == 200
    assert gw.state.gateway_name == "Plant-7"
    stale = client.put(f"{API}/resources/ignition/system-properties", json=[renamed])
    assert stale.status_code == 409  # the signature changed with the first PUT


def test_mode_routes_are_the_real_ones(client: httpx.Client) -> None:
    """`GET /mode/{name}` and the plural `/modes` do not exist on real gateways."""
    assert client.get(f"{API}/modes").status_code == 404
    assert client.get(f"{API}/mode/dev").status_code == 405  # the path exists for PUT and DELETE only
    assert client.put(f"{API}/mode/dev", json={"title": "Dev"}).status_code == 200
    assert _modes(client)["dev"]["title"] == "Dev"
