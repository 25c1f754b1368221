"""One request, start to finish: faults, then gates (commissioning, restart), routing, auth.

Kept apart from the socket layer so the policy order is readable in one place:

1. route lookup (path only; the body has not been read yet)
2. latency fault (sleep), drop fault (read part of the body, then no response)
3. read the body; finish a due restart; error fault (Jetty 500/503)
4. commissioning: everything but the commissioning routes -> 302 /welcome
5. STARTING: everything but StatusPing/gwinfo -> Jetty 503
6. 404 / 405, auth policy, the handler; HttpError/Unprocessable become Jetty/422 bodies.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
from collections.abc import Callable
from email.message import Message
from urllib.parse import unquote, urlsplit

from igtk_tui.simulator.auth import authorize
from igtk_tui.simulator.errors import HttpError, Unprocessable, jetty_error
from igtk_tui.simulator.faults import Faults
from igtk_tui.simulator.routes import Request, Response, Router
from igtk_tui.simulator.state import STARTING, GatewayState

log = logging.getLogger("igtk.simulator")
API_PREFIX = "/data/api"
# How much of an upload body is read before a dropped connection is closed.
DROP_AFTER_BYTES = 64 * 1024


class BodyReader:
    """Reads the request body lazily so a drop can happen mid-upload."""

    def __init__(self, read_all: Callable[[], bytes], read_some: Callable[[int], bytes]) -> None:
        self.read_all = read_all
        self.read_some = read_some


class Dispatcher:
    def __init__(
        self, router: Router, state: GatewayState, faults: Callable[[], Faults], stop: threading.Event
    ) -> None:
        self.router = router
        self.state = state
        self._faults = faults
        self._stop = stop
        self._rng = random.Random()
        self._seed: int | None = None
        self.log: collections.deque[tuple[str, str, int | None]] = collections.deque(maxlen=2000)

    def _chance(self, faults: Faults, rate: float) -> bool:
        if rate <= 0:
            return False
        if faults.seed != self._seed:
            self._seed = faults.seed
            self._rng.seed(faults.seed)
        return self._rng.random() < rate

    def handle(self, method: str, target: str, headers: Message, body: BodyReader) -> Response | None:
        """The response to send, or None to drop the connection without one."""
        url = urlsplit(target)
        path = unquote(url.path) or "/"
        segments = [unquote(part) for part in url.path.split("/") if part]
        config = self.state.config
        route, params, path_known = self.router.resolve(method, segments, config.line)
        faults = self._faults()
        exempt = route is not None and route.ping and not faults.ping_errors
        if faults.latency > 0:
            self._stop.wait(faults.latency)
        if not exempt and self._chance(faults, faults.drop_rate):
            body.read_some(DROP_AFTER_BYTES)
            self.log.append((method, path, None))
            return None
        data = body.read_all()
        accept = headers.get("Accept")
        with self.state.lock:
            self.state.tick()
            if not exempt and self._chance(faults, faults.error_rate):
                status = self._rng.choice((500, 503))
                response = jetty_error(status, "Simulated fault", path, accept)
            else:
                request = Request(
                    method.upper(),
                    path,
                    Request.parse_query(url.query),
                    headers,
                    data,
                    self.state,
                    config,
                    params,
                    router=self.router,
                )
                response = self._route(request, route, path_known, accept)
        self.log.append((method, path, response.status))
        return response

    def _route(self, req: Request, route: object, path_known: bool, accept: str | None) -> Response:
        from igtk_tui.simulator.routes import Route

        state = self.state
        commissioning_route = isinstance(route, Route) and route.commissioning
        if state.commissioning and not commissioning_route and state.phase != STARTING:
            return Response.redirect("/welcome")
        if state.phase == STARTING and not (isinstance(route, Route) and route.always):
            return jetty_error(503, "Service Unavailable", req.path, accept)
        if not isinstance(route, Route):
            if path_known:
                return jetty_error(405, "Method Not Allowed", req.path, accept)
            message = "Not Found"
            if req.path.startswith(API_PREFIX + "/") and req.config.line == "8.3":
                message = f"No route match for path: {req.path[len(API_PREFIX) :]}"  # as a real 8.3 answers (docs/simulator.md)
            return jetty_error(404, message, req.path, accept)
        try:
            redirect = authorize(req, route)
            if redirect is not None:
                return redirect
            return route.handler(req)
        except HttpError as exc:
            return jetty_error(exc.status, exc.message, req.path, accept)
        except Unprocessable as exc:
            return exc.response()
        except Exception:  # a simulator bug must still look like a gateway 500
            log.exception("simulator handler failed for %s %s", req.method, req.path)
            return jetty_error(500, "Server Error", req.path, accept)
