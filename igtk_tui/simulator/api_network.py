"""8.3 REST gateway network: gateways, connections and incoming-connection approval.

Paths and item fields from the 8.3.8 spec's `gateway-network` section:
`GET /gateway-network/gateways` (serverId, name, outgoingTp, incomingTp, route,
status, remoteVersion, pending, active), `GET /gateway-network/connections`
(remoteGateway, internalId, networkAddr, redundantRole, direction, lastComm,
faultCount, lastError, status, pingTime) and
`PUT /gateway-network-incoming/toggleApproval/{remoteId}/{approve}` (remote id
like `test1|<uuid>`; 403 on a backup node; 404 for an unknown id).
[UNVERIFIED]: the status words (`PendingApproval`, `Running`), the toggle's
answer body, and that connections carry `remoteId` (how a client learns the id).
"""

from __future__ import annotations

from typing import Any

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.listing import envelope
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.seed import PENDING_APPROVAL


def _gateway_item(connection: dict[str, Any]) -> dict[str, Any]:
    name = connection["remoteGateway"]
    return {"serverId": f"_0:0:{name}", "name": name, "outgoingTp": 0, "incomingTp": 0, "route": name,
            "status": connection["status"], "remoteVersion": connection["remoteVersion"], "pending": 0,
            "active": 0}


def _gateways(req: Request) -> Response:
    return envelope(req, [_gateway_item(c) for c in req.state.gan_connections.values()])


def _connections(req: Request) -> Response:
    items = [{k: v for k, v in c.items() if k != "remoteVersion"} for c in req.state.gan_connections.values()]
    return envelope(req, items)


def _toggle(req: Request) -> Response:
    if req.config.redundancy_role == "Backup":
        raise HttpError(403, "Approval status toggle forbidden on backup node.")
    remote = req.params["remoteId"]
    connection = req.state.gan_connections.get(remote)
    if connection is None or connection["direction"] != "incoming":
        raise HttpError(404, "Incoming connection matching provided id not found.")
    approve = req.params["approve"].lower()
    if approve not in ("true", "false"):
        raise HttpError(400, f"approve must be true or false, got '{req.params['approve']}'")
    connection["status"] = "Running" if approve == "true" else PENDING_APPROVAL
    return Response.json({"success": True})


def register(router: Router) -> None:
    api = router.group("/data/api/v1", auth="token", versions=ONLY_83)
    api.get("/gateway-network/gateways", _gateways)
    api.get("/gateway-network/connections", _connections)
    api.put("/gateway-network-incoming/toggleApproval/{remoteId}/{approve}", _toggle)
