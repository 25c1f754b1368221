"""A faithful simulated Ignition gateway: a real HTTP server on a real 127.0.0.1 port.

Used by tests, benchmarks and `igtk demo` (its contract: docs/cli.md). The real
source of each behaviour is listed in docs/simulator.md; [UNVERIFIED] behaviour is
marked there and in the code, and kept configurable.

    from igtk_tui.simulator import SimulatedGateway, Faults

    with SimulatedGateway(version="8.3", api_tokens={"igtk": "s3cret"}) as gw:
        gw.url          # "http://127.0.0.1:PORT"
        gw.api_token    # "igtk:s3cret" (X-Ignition-API-Token / Bearer value)
        gw.faults.error_rate = 0.5      # switch faults at any time
        gw.state.trial_expires_at = 0   # inspect or adjust the gateway state
        gw.restart()                    # as if a restart was requested

Layout (one job per module):

    server.py        sockets, keep-alive, the SimulatedGateway controller, InFlight (requests at once)
    fleet.py         SimulatedFleet: N gateways on N ports in one process, each with its own faults
    dispatch.py      per-request pipeline: faults, commissioning/restart gates, 404/405, auth
    routes.py        the route registry, Request/Response, module discovery
    errors.py        Jetty error bodies (by Accept), HttpError, 422 Unprocessable
    state.py         GatewayState (+ SimConfig): modules, projects, trial, restart machine
    seed.py          what a fresh gateway starts with
    faults.py        Faults (+ Faults.parse for the CLI)
    auth.py, idp.py  API tokens, sessions; the IdP login flow and page
    status.py        /StatusPing, /system/gwinfo
    api_*.py         the 8.3 REST areas (system, modules, projects, backup, config, resources, logs,
                     tags, network, perspective); docs/simulator.md names each one's real source
    web81*.py        8.1 web pages and /data/status routes
    web83.py         8.3 /app shell and /openapi(.json)
    commissioning.py /welcome, /bootstrap, /get-step, /post-step
    lifecycle.py, projects.py, listing.py             shared logic, no routes
    perspective.py, perspective_views.py              Perspective client pages (routes + views as data)
    (the .gwbk and .modl formats live in igtk_tui/gateway: the client needs them too)
    testing.py       wait_for / ping / wait_running / RedundantPair for tests that drive a simulator

Adding a route module (e.g. `perspective.py` for Perspective client pages):

1. Create `igtk_tui/simulator/<area>.py` with a `register(router: Router)`
   function. Every module of this package that defines `register` is found
   and called by `routes.build_router()`; nothing else needs editing.
2. Register handlers by method + pattern with a policy::

       from igtk_tui.simulator.routes import BOTH, Request, Response, Router

       def _page(req: Request) -> Response:
           project = req.params["project"]          # path placeholders
           req.state.projects                        # GatewayState, under its lock
           return Response.html("<div data-component='ia.container.flex'>...</div>")

       def register(router: Router) -> None:
           router.get("/data/perspective/client/{project}/{page:path}", _page, versions=BOTH)

   Policy keywords (see `routes.Route`): `auth` ("none" | "token" | "session" |
   "login" | callable), `versions` (BOTH / ONLY_83 / ONLY_81), `always`
   (served while STARTING), `commissioning` (served before commissioning),
   `ping` (exempt from faults), `write` (needs a writable token).
   `router.group(prefix, **policy)` shares a prefix and policy.
3. Raise `errors.HttpError(status, message)` for Jetty error pages (format by
   Accept) or `errors.Unprocessable(...)` for Ignition's 422; return
   `Response.json/html/text/redirect/download`.
4. A login for a page: redirect to `idp.start_flow(req.state, client,
   return_to)`; the flow ends at `/data/federate/callback/<client>` which
   sets the session cookie (`auth.session_cookie_name`) and redirects back;
   `auth.find_session(req, client)` reads it.

Handlers run on server threads while the dispatcher holds `state.lock`;
keep them quick and never sleep in them (latency is a fault, applied before).
"""

from igtk_tui.simulator.faults import Faults
from igtk_tui.simulator.fleet import SimulatedFleet
from igtk_tui.simulator.server import InFlight, SimulatedGateway
from igtk_tui.simulator.state import GatewayState, SimConfig

__all__ = ["Faults", "GatewayState", "InFlight", "SimConfig", "SimulatedFleet", "SimulatedGateway"]
