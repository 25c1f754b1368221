"""8.3 REST config management: scans, scan locks, deployment modes (IA-83API
"config-management"). Response shapes past the scan status are [UNVERIFIED] (docs/simulator.md)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from igtk_tui.simulator.errors import HttpError, Unprocessable
from igtk_tui.simulator.listing import envelope, result
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.state import now_ms

DEFAULT_HOLD_MS = 60_000


SCANS = ("projects", "config")


def _kind(req: Request) -> str:
    """`projects` or `config`: the last segment of the concrete route's path."""
    return req.path.rstrip("/").rsplit("/", 1)[-1]


def scan_status(state: Any, kind: str) -> dict[str, Any]:
    """The scan's status, finishing a running scan whose time is up (no timer thread)."""
    scan = state.scans[kind]
    until = scan.pop("_until", None)
    if until is not None and time.monotonic() < until:
        scan["_until"] = until
    elif until is not None:
        scan.update(scanActive=False, lastScanTimestamp=now_ms(),
                    lastScanDuration=int(state.config.scan_seconds * 1000))
    return {k: v for k, v in scan.items() if not k.startswith("_")}


def _scan_status(req: Request) -> Response:
    return Response.json(scan_status(req.state, _kind(req)))


def _scan(req: Request) -> Response:
    """Start a scan: `scanActive` is true for `scan_seconds`, then the status shows the new
    `lastScanTimestamp`. The answer is `true` (as a real 8.3 client's test double of the route)."""
    kind = _kind(req)
    scan_status(req.state, kind)
    if not req.state.scans[kind]["scanActive"]:
        req.state.scans[kind].update(scanActive=True, _until=time.monotonic() + req.config.scan_seconds)
    return Response.json(True)


def _lock_info(req: Request) -> dict[str, Any]:
    lock = req.state.scan_locks[_kind(req)]
    if lock["locked"] and lock["expiresAt"] is not None and lock["expiresAt"] <= now_ms():
        lock.update(locked=False, holder=None, acquiredAt=None, expiresAt=None, lockId=None)
    return lock


def _lock_status(req: Request) -> Response:
    return Response.json(_lock_info(req))


def _number(data: dict[str, Any], key: str, default: int) -> int:
    value = data.get(key, "")
    if value in ("", None):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Unprocessable(
            f"Property '{key}' must be a number of milliseconds",
            field_messages=[{"field": key, "messages": ["must be a number"]}],
        ) from None


def _acquire(req: Request) -> Response:
    data = req.json_object()
    _number(data, "acquireTimeout", 0)
    hold = _number(data, "holdTimeout", DEFAULT_HOLD_MS)
    lock = _lock_info(req)
    if lock["locked"]:
        raise HttpError(409, "Scan lock is already held")
    stamp = now_ms()
    holder = req.principal.name if req.principal else None
    lock.update(
        locked=True, holder=holder, acquiredAt=stamp, expiresAt=stamp + hold, lockId=str(uuid.uuid4())
    )
    return Response.json(lock)


def _release(req: Request) -> Response:
    lock = _lock_info(req)
    lock.update(locked=False, holder=None, acquiredAt=None, expiresAt=None, lockId=None)
    return Response.json(lock)


def _with_count(req: Request, mode: dict[str, Any]) -> dict[str, Any]:
    from igtk_tui.simulator.api_resources import mode_resource_count

    return {**mode, "resourceCount": mode_resource_count(req.state, mode["name"])}


def _modes(req: Request) -> Response:
    return envelope(req, [_with_count(req, m) for m in req.state.modes.values()])


def _mode(req: Request) -> dict[str, Any]:
    mode = req.state.modes.get(req.params["name"])
    if mode is None:
        raise HttpError(404, f"Deployment mode '{req.params['name']}' not found")
    return mode


def _create_mode(req: Request) -> Response:
    data = req.json_object()
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Unprocessable("Unable to read required property 'name'")
    if name in req.state.modes:
        return result([], 409, f"Deployment mode '{name}' already exists")
    req.state.modes[name] = {
        "name": name,
        "title": str(data.get("title") or name),
        "description": str(data.get("description") or ""),
    }
    return result([{"name": name}])


def _update_mode(req: Request) -> Response:
    mode = _mode(req)
    data = req.json_object()
    for key in ("title", "description"):
        if isinstance(data.get(key), str) and data[key]:
            mode[key] = data[key]
    new_name = data.get("name")
    if isinstance(new_name, str) and new_name and new_name != mode["name"]:
        if new_name in req.state.modes:
            return result([], 409, f"Deployment mode '{new_name}' already exists")
        req.state.modes[new_name] = req.state.modes.pop(mode["name"])
        for (collection, rtype, rname), record in list(req.state.resources.items()):
            if collection == mode["name"]:  # the mode's overrides follow it
                del req.state.resources[(collection, rtype, rname)]
                record.update(collection=new_name, collections=[new_name])
                req.state.resources[(new_name, rtype, rname)] = record
        mode["name"] = new_name
    return result([{"name": mode["name"]}])


def _delete_mode(req: Request) -> Response:
    name = _mode(req)["name"]
    del req.state.modes[name]
    for key in [k for k in req.state.resources if k[0] == name]:
        del req.state.resources[key]  # its overrides go with it
    return result([{"name": name}])


def register(router: Router) -> None:
    api = router.group("/data/api/v1", auth="token", versions=ONLY_83)
    for kind in SCANS:  # concrete paths, as the real /openapi.json lists them
        api.get(f"/scan/{kind}", _scan_status)
        api.post(f"/scan/{kind}", _scan)
        api.get(f"/scan-lock/{kind}", _lock_status)
        api.post(f"/scan-lock/{kind}", _acquire)
        api.delete(f"/scan-lock/{kind}", _release)
    # IA-83API's paths; `GET /mode/{name}` and a plural `/modes` do not exist on real gateways.
    api.get("/mode", _modes)
    api.post("/mode", _create_mode)
    api.put("/mode/{name}", _update_mode)
    api.delete("/mode/{name}", _delete_mode)
