"""8.3 REST gateway network: the connected gateways and incoming-connection approval
(paths from the 8.3.8 spec's `gateway-network` section: `GET /gateway-network/gateways`,
`PUT /gateway-network-incoming/toggleApproval/{remoteId}/{approve}`). The item shape and
the toggle's answer are [UNVERIFIED]."""

from __future__ import annotations

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.listing import envelope
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router


def _gateways(req: Request) -> Response:
    return envelope(req, list(req.state.gan_connections.values()))


def _toggle(req: Request) -> Response:
    remote = req.params["remoteId"]
    connection = req.state.gan_connections.get(remote)
    if connection is None or connection["direction"] != "incoming":
        raise HttpError(404, f"No incoming gateway network connection from '{remote}'")
    approve = req.params["approve"].lower()
    if approve not in ("true", "false"):
        raise HttpError(400, f"approve must be true or false, got '{req.params['approve']}'")
    connection["approved"] = approve == "true"
    connection["status"] = "Connected" if connection["approved"] else "Pending Approval"
    return Response.json({"success": True})


def register(router: Router) -> None:
    api = router.group("/data/api/v1", auth="token", versions=ONLY_83)
    api.get("/gateway-network/gateways", _gateways)
    api.put("/gateway-network-incoming/toggleApproval/{remoteId}/{approve}", _toggle)
