"""8.3 REST config resources: list/names/find/create/modify/delete, singletons, copy and move
(sources: docs/simulator.md; issue 17 items 2-3). A stale `signature` answers 409 [UNVERIFIED].

Collections: `core`, `local` and one per deployment mode. A record posted with
`"collection": "<mode>"` (or `?collection=`) is that mode's override of the
core resource of the same name, not a conflict; find/list/delete take
`?collection=`. Singletons (e.g. `ignition/system-properties`, which holds
`systemName`) have no name: `GET /singleton/{module}/{type}` and
`GET /find/{module}/{type}`; `defaultIfUndefined=true` answers the type's
default record when the collection has none.
"""

from __future__ import annotations

import copy
from typing import Any

from igtk_tui.simulator.errors import HttpError, Unprocessable
from igtk_tui.simulator.listing import envelope, filter_items, result
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.seed import SYSTEM_PROPERTIES, resource_record, signature
from igtk_tui.simulator.state import GatewayState

Key = tuple[str, str, str]


def _type(req: Request) -> str:
    return f"{req.params['module']}/{req.params['type']}"


SINGLETON_DEFAULTS: dict[str, dict[str, Any]] = {
    # [UNVERIFIED] default configs: only systemName is known (8.3.2 .gwbk, issue 17 item 5).
    SYSTEM_PROPERTIES: {"systemName": "Ignition", "launchpadAutoStart": True},
    "ignition/gateway-network-settings": {"enabled": True, "port": 8060, "requireSSL": True,
                                          "allowIncoming": True, "requireApproval": True},
}
SINGLETON = ""  # the key name of a singleton record


def _collection(req: Request, name: str = "collection") -> str:
    return req.arg(name) or "core"


def _known_collection(state: GatewayState, collection: str) -> bool:
    return collection in ("core", "local") or collection in state.modes


def mode_resource_count(state: GatewayState, mode: str) -> int:
    """How many resources the mode's collection overrides (deployment mode `resourceCount`)."""
    return sum(1 for (c, _, _) in state.resources if c == mode)


def _records(state: GatewayState, rtype: str, collection: str) -> list[dict[str, Any]]:
    return [r for (c, t, _), r in state.resources.items() if t == rtype and c == collection]


def _find_record(state: GatewayState, key: Key) -> dict[str, Any]:
    record = state.resources.get(key)
    if record is None:
        raise HttpError(404, f"Resource '{key[2]}' of type '{key[1]}' not found in collection '{key[0]}'")
    return record


def _change(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": record["name"],
        "type": record["type"],
        "collection": record["collection"],
        "newSignature": record["signature"],
    }


def _resign(record: dict[str, Any]) -> None:
    record["signature"] = signature(
        {"name": record["name"], "config": record["config"], "v": record["version"]}
    )
    record["attributes"]["lastModificationSignature"] = record["signature"]


def _list(req: Request) -> Response:
    return envelope(req, _records(req.state, _type(req), _collection(req)))


def _names(req: Request) -> Response:
    return Response.json(
        filter_items(req, [r["name"] for r in _records(req.state, _type(req), _collection(req))])
    )


def _find(req: Request) -> Response:
    return Response.json(_find_record(req.state, (_collection(req), _type(req), req.params["name"])))


def _singleton(req: Request) -> Response:
    """A singleton's record; with defaultIfUndefined=true the type's default when none is stored."""
    rtype, collection = _type(req), _collection(req)
    record = req.state.resources.get((collection, rtype, SINGLETON))
    if record is not None:
        return Response.json(record)
    if req.flag("defaultIfUndefined") and rtype in SINGLETON_DEFAULTS:
        return Response.json(resource_record(collection, rtype, SINGLETON, copy.deepcopy(SINGLETON_DEFAULTS[rtype])))
    raise HttpError(404, f"Singleton resource of type '{rtype}' not found in collection '{collection}'")


def _body_records(req: Request) -> list[dict[str, Any]]:
    data = req.json()
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise Unprocessable("Request body must be a JSON array of resource records")
    singleton = _type(req) in SINGLETON_DEFAULTS
    for record in data:
        if singleton and record.get("name") in (None, ""):
            record["name"] = SINGLETON
        elif not isinstance(record.get("name"), str) or not record["name"]:
            raise Unprocessable("Unable to read required property 'name'")
    return data


def _record_collection(req: Request, body: dict[str, Any]) -> str:
    """The record's own `collection`, else `?collection=`, else core; an unknown one is 400."""
    collection = body.get("collection") or _collection(req)
    if not isinstance(collection, str) or not _known_collection(req.state, collection):
        raise HttpError(400, f"Collection '{collection}' does not exist")
    return collection


def _create(req: Request) -> Response:
    rtype = _type(req)
    changes = []
    for body in _body_records(req):
        collection = _record_collection(req, body)
        key = (collection, rtype, body["name"])
        if key in req.state.resources:
            return result([], 409, f"Resource '{body['name']}' already exists in collection '{collection}'")
        record = resource_record(
            collection, rtype, body["name"], body.get("config") or {}, body.get("description", "")
        )
        record["enabled"] = bool(body.get("enabled", True))
        req.state.resources[key] = record
        changes.append(_change(record))
    return result(changes)


def _modify(req: Request) -> Response:
    rtype = _type(req)
    changes = []
    for body in _body_records(req):
        collection = _record_collection(req, body)
        record = _find_record(req.state, (collection, rtype, body["name"]))
        if body.get("signature") != record["signature"]:
            return result(
                [], 409, f"Resource '{body['name']}' was modified by someone else (stale signature)"
            )
        record["config"] = body.get("config", record["config"])
        record["enabled"] = bool(body.get("enabled", record["enabled"]))
        record["description"] = str(body.get("description", record["description"]))
        record["version"] += 1
        _resign(record)
        if (collection, rtype) == ("core", SYSTEM_PROPERTIES) and record["config"].get("systemName"):
            req.state.gateway_name = str(record["config"]["systemName"])
        changes.append(_change(record))
    return result(changes)


def _delete(req: Request) -> Response:
    key = (_collection(req), _type(req), req.params["name"])
    record = _find_record(req.state, key)
    if req.params["signature"] != record["signature"]:
        return result([], 409, f"Resource '{key[2]}' was modified by someone else (stale signature)")
    del req.state.resources[key]
    return result([_change(record)])


def _delete_singleton(req: Request) -> Response:
    """`DELETE /resources/{module}/{type}/{signature}`: a singleton has no name (8.3.8 spec)."""
    key = (_collection(req), _type(req), SINGLETON)
    record = _find_record(req.state, key)
    if req.params["signature"] != record["signature"]:
        return result([], 409, f"Singleton '{key[1]}' was modified by someone else (stale signature)")
    del req.state.resources[key]
    return result([_change(record)])


def _source(req: Request) -> tuple[Key, dict[str, Any]]:
    rtype = req.require_arg("resourceType")
    sig = req.require_arg("signature")
    name = req.require_arg("fromName")
    key = (req.arg("fromCollection") or "core", rtype, name)
    record = _find_record(req.state, key)
    if sig != record["signature"]:
        raise HttpError(409, f"Resource '{name}' signature does not match (stale signature)")
    return key, record


def _copy(req: Request) -> Response:
    key, record = _source(req)
    target = (req.arg("toCollection") or key[0], key[1], req.arg("toName") or key[2])
    if target in req.state.resources:
        return result([], 409, f"Resource '{target[2]}' already exists in collection '{target[0]}'")
    new = copy.deepcopy(record)
    new.update(name=target[2], collection=target[0], collections=[target[0]], version=1)
    _resign(new)
    req.state.resources[target] = new
    return result([_change(new)])


def _move(req: Request) -> Response:
    to_collection = req.require_arg("toCollection")
    key, record = _source(req)
    target = (to_collection, key[1], key[2])
    if target in req.state.resources and target != key:
        return result([], 409, f"Resource '{key[2]}' already exists in collection '{to_collection}'")
    del req.state.resources[key]
    record.update(collection=to_collection, collections=[to_collection])
    _resign(record)
    req.state.resources[target] = record
    return result([_change(record)])


def register(router: Router) -> None:
    api = router.group("/data/api/v1/resources", auth="token", versions=ONLY_83)
    api.post("/copy", _copy)
    api.post("/move", _move)
    api.get("/list/{module}/{type}", _list)
    api.get("/names/{module}/{type}", _names)
    api.get("/find/{module}/{type}/{name}", _find)
    api.get("/find/{module}/{type}", _singleton)
    api.get("/singleton/{module}/{type}", _singleton)
    api.post("/{module}/{type}", _create)
    api.put("/{module}/{type}", _modify)
    api.delete("/{module}/{type}/{name}/{signature}", _delete)
    api.delete("/{module}/{type}/{signature}", _delete_singleton)
