"""The real HTTP server (stdlib, threads) and `SimulatedGateway`, its controller.

`ThreadingHTTPServer` on a daemon thread, HTTP/1.1 keep-alive with exact
Content-Length on every response, so sync and async clients (and a browser)
talk to it exactly as to a gateway. The controller owns the listening socket:
the `refuse_during_restart` fault closes it for the restart window and binds
the same port again afterwards (SO_REUSEADDR).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import Any

from igtk_tui.simulator.dispatch import BodyReader, Dispatcher
from igtk_tui.simulator.faults import Faults
from igtk_tui.simulator.routes import Router, build_router
from igtk_tui.simulator.seed import seed_state
from igtk_tui.simulator.state import REDUNDANCY_ROLES, STARTING, GatewayState, SimConfig

log = logging.getLogger("igtk.simulator")
POLL_INTERVAL = 0.05  # how fast shutdown() is noticed by serve_forever


class InFlight:
    """Requests being answered right now and the most ever at once; one counter may be shared by
    many gateways (SimulatedFleet), so a benchmark reads what a whole fleet saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.total = 0

    def __enter__(self) -> InFlight:
        with self._lock:
            self.now += 1
            self.total += 1
            self.peak = max(self.peak, self.now)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1

    def reset(self) -> None:
        with self._lock:
            self.peak = self.now
            self.total = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], controller: SimulatedGateway) -> None:
        self.controller = controller
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(10.0.x)"  # [UNVERIFIED] the real Server header is not captured
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.controller._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.controller._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), format % args)

    # -- body reading (Content-Length or chunked) -------------------------------
    def _read_exact(self, size: int) -> bytes:
        chunks, left = [], size
        while left > 0:
            chunk = self.rfile.read(left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _read_chunked(self, limit: int | None = None) -> bytes:
        out = bytearray()
        while limit is None or len(out) < limit:
            line = self.rfile.readline(65537)
            if not line:
                break
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                break
            out += self._read_exact(size)
            self.rfile.readline(65537)
        return bytes(out)

    def _body(self) -> BodyReader:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return BodyReader(self._read_chunked, lambda limit: self._read_chunked(limit))
        length = int(self.headers.get("Content-Length") or 0)
        return BodyReader(
            lambda: self._read_exact(length), lambda limit: self._read_exact(min(limit, length))
        )

    # -- one request --------------------------------------------------------------
    def _handle(self) -> None:
        controller = self.server.controller
        with controller.in_flight:
            self._answer(controller)

    def _answer(self, controller: SimulatedGateway) -> None:
        response = controller.dispatcher.handle(self.command, self.path, self.headers, self._body())
        if response is None:  # dropped: no status line at all
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        # One write for head + body: separate small writes stall ~40 ms on Nagle + delayed ACK.
        buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]  # stdlib internal
        buffer.append(b"\r\n")
        if self.command != "HEAD" and response.body:
            buffer.append(response.body)
        self.flush_headers()
        controller._after_response()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class SimulatedGateway:
    """A simulated Ignition gateway on a real 127.0.0.1 port.

    >>> with SimulatedGateway(version="8.3", api_tokens={"igtk": "s3cret"}) as gw:
    ...     gw.url, gw.api_token
    """

    def __init__(
        self,
        version: str = "8.3",
        api_tokens: dict[str, str] | None = None,
        restart_seconds: float = 2.0,
        commissioning: bool = False,
        require_https_for_tokens: bool = False,
        gateway_info_requires_auth: bool = True,
        admin_username: str = "admin",
        admin_password: str = "password",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        readonly_tokens: dict[str, str] | None = None,
        faults: Faults | None = None,
        trial_seconds: float = 7200.0,
        session_cookie_name: str = "JSESSIONID",
        gateway_name: str = "Ignition-igtk-sim",
        allow_unsigned_modules: bool = False,
        edition: str = "standard",
        redundancy_role: str = "Independent",
        redundant_peer: str = "",
        project_scan_module: bool = False,
        extra_route_modules: Iterable[ModuleType] = (),
        in_flight: InFlight | None = None,
        poll_interval: float = POLL_INTERVAL,
        router: Router | None = None,
    ) -> None:
        if not version.startswith(("8.3", "8.1")):
            raise ValueError(f"version must be 8.3 or 8.1 (or 8.3.x / 8.1.x), got {version!r}")
        if redundancy_role not in REDUNDANCY_ROLES:
            raise ValueError(f"redundancy_role must be one of {', '.join(REDUNDANCY_ROLES)}, got {redundancy_role!r}")
        tokens = dict(api_tokens or {})
        if not tokens:
            tokens["igtk"] = secrets.token_urlsafe(24)
        self.config = SimConfig(
            version=version,
            api_tokens=tokens,
            readonly_tokens=dict(readonly_tokens or {}),
            restart_seconds=restart_seconds,
            require_https_for_tokens=require_https_for_tokens,
            gateway_info_requires_auth=gateway_info_requires_auth,
            admin_username=admin_username,
            admin_password=admin_password,
            session_cookie_name=session_cookie_name,
            gateway_name=gateway_name,
            edition=edition,
            trial_seconds=trial_seconds,
            allow_unsigned_modules=allow_unsigned_modules,
            redundancy_role=redundancy_role,
            redundant_peer=redundant_peer,
            project_scan_module=project_scan_module,
        )
        self._faults = faults or Faults()
        self.state = GatewayState(self.config, self._faults, commissioning=commissioning)
        seed_state(self.state)
        self.host, self.port = host, port
        self.in_flight = in_flight or InFlight()
        self.poll_interval = poll_interval
        self._stopping = threading.Event()
        self.dispatcher = Dispatcher(
            router or build_router(extra_route_modules), self.state, lambda: self._faults, self._stopping
        )
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()
        self._refused_restart = 0
        self._started = False

    # -- public surface -------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._faults = value
        self.state.faults = value

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_token(self) -> str:
        """`name:secret` of the first full-permission token (X-Ignition-API-Token value)."""
        name, secret = next(iter(self.config.api_tokens.items()))
        return f"{name}:{secret}"

    @property
    def requests(self) -> list[tuple[str, str, int | None]]:
        """(method, path, status) of recent requests; status None = dropped."""
        return list(self.dispatcher.log)

    @property
    def phase(self) -> str:
        self.state.tick()
        return self.state.phase

    def start(self) -> SimulatedGateway:
        if self._started:
            return self
        self._started = True
        self._serve(self._bind(self.port))
        self.config.url = self.url
        return self

    def stop(self) -> None:
        """Close the port and every open connection; safe to call twice."""
        self._stopping.set()
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self._close_connections()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(timeout=5)

    def restart(self, seconds: float | None = None) -> None:
        """Start a restart cycle as if the gateway had been asked to restart."""
        self.state.begin_restart(seconds)
        self._after_response()

    def __enter__(self) -> SimulatedGateway:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SimulatedGateway {self.config.line} {self.url} {self.state.phase}>"

    # -- listener management -----------------------------------------------------------
    def _bind(self, port: int, wait: float = 0.0) -> _Server:
        deadline = time.monotonic() + wait
        while True:
            try:
                server = _Server((self.host, port), self)
                break
            except OSError:
                if time.monotonic() >= deadline or self._stopping.is_set():
                    raise
                self._stopping.wait(0.05)
        self.port = server.server_address[1]
        return server

    def _serve(self, server: _Server) -> None:
        with self._lock:
            if self._stopping.is_set():  # stop() won a race with a re-bind
                server.server_close()
                return
            self._server = server
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=f"igtk-sim-{self.port}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def _track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _close_connections(self) -> None:
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _after_response(self) -> None:
        """Start the refused window once per restart when that fault is on."""
        if not self._faults.refuse_during_restart or self.state.phase != STARTING:
            return
        with self._lock:
            if self._refused_restart == self.state.restart_count or self._server is None:
                return
            self._refused_restart = self.state.restart_count
        thread = threading.Thread(target=self._refuse_window, name="igtk-sim-refuse", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _refuse_window(self) -> None:
        """Process restart: port closed (connection refused) until the window ends, then re-bound."""
        with self._lock:
            server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._close_connections()
        while not self._stopping.is_set():
            remaining = self.state.restart_remaining()
            if remaining <= 0:
                break
            self._stopping.wait(remaining)
        if self._stopping.is_set():
            return
        try:
            self._serve(self._bind(self.port, wait=5.0))
        except OSError:
            log.exception("simulator could not re-bind port %s after a restart", self.port)
