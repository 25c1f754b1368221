"""The agent process: the `/v1` JSON API (Starlette) served by uvicorn on a Unix socket.

Why these choices:
- A Unix socket in a 0700 folder, itself 0600, and every connection's peer uid
  checked with SO_PEERCRED: only the user who owns the state root can drive it,
  and there is never a TCP port.
- The socket is bound here, not by uvicorn's `uds=` option, because uvicorn
  chmods a socket it creates to 0666.
- The engine and the recorder are the ones `igtk run` uses: an agent's runs are
  recorded the same way and owned by this process, so after a kill -9 the next
  igtk start marks them `interrupted`, resumable.
The API is written down in docs/agent-api.md and docs/agent-openapi.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from igtk_tui import __version__, redact
from igtk_tui.agent import wire
from igtk_tui.agent.hub import CONTROL_VERBS, OVERFLOW, Hub, StartSpec
from igtk_tui.agent.location import API_VERSION, AgentLocation, AgentLock
from igtk_tui.errors import EXIT_UNAVAILABLE, IgtkError, InvalidInput

log = logging.getLogger(__name__)

KEEPALIVE = 15.0  # seconds between SSE comments on a quiet stream (a dead client is noticed)
STREAM_BATCH = 500  # events written to a stream at once when they queue up
VAULT_OPEN_WAIT = 10.0  # seconds a status waits for the vault the agent opens itself (a keyring may hang)


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class PeerCheckedProtocol(H11Protocol):
    """uvicorn's HTTP protocol that hangs up on any peer that is not this user."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        uid = peer_uid(sock) if sock is not None else -1
        if uid != os.getuid():
            log.warning("refused a connection from uid %s (the agent serves uid %s only)", uid, os.getuid())
            transport.close()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Agent:
    def __init__(self, runtime: Any, location: AgentLocation) -> None:
        self.runtime = runtime
        self.location = location
        self.hub = Hub(runtime)
        from igtk_tui.agent.scheduler import Scheduler

        self.scheduler = Scheduler(self.hub)
        from igtk_tui.agent.fleets import FleetCoordinator

        self.queue: Any = None  # agent/queue.py's WorkQueue once a PostgreSQL history is open
        self.relay: Any = None  # agent/controls.py's ControlRelay, likewise
        self.fleets = FleetCoordinator(self.hub)
        self.started = time.time()
        self.server: uvicorn.Server | None = None
        self.vault_detail = ""  # why the vault is locked (never a secret)
        self.vault_opening: asyncio.Task[None] | None = None  # the agent opening its vault itself
        self.app = Starlette(routes=self.routes(), exception_handlers={IgtkError: self._igtk_error})

    def routes(self) -> list[Route]:
        return [
            Route("/v1/agent", self.agent_status, methods=["GET"]),
            Route("/v1/agent/stop", self.agent_stop, methods=["POST"]),
            Route("/v1/vault/unlock", self.vault_unlock, methods=["POST"]),
            Route("/v1/vault/lock", self.vault_lock, methods=["POST"]),
            Route("/v1/executions", self.list_executions, methods=["GET"]),
            Route("/v1/executions", self.start_execution, methods=["POST"]),
            Route("/v1/executions/{id}", self.get_execution, methods=["GET"]),
            Route("/v1/executions/{id}/events", self.stream_events, methods=["GET"]),
            Route("/v1/executions/{id}/debug", self.set_debug, methods=["POST"]),
            Route("/v1/executions/{id}/breakpoints", self.set_breakpoint, methods=["POST"]),
            Route("/v1/executions/{id}/parameters", self.edit_parameters, methods=["POST"]),
            Route("/v1/executions/{id}/{verb}", self.control, methods=["POST"]),
            Route("/v1/fleets", self.list_fleets, methods=["GET"]),
            Route("/v1/fleets", self.start_fleet, methods=["POST"]),
            Route("/v1/schedules", self.schedules_state, methods=["GET"]),
            Route("/v1/schedules/{name}/run", self.run_schedule, methods=["POST"]),
        ]

    # -- handlers ----------------------------------------------------------------
    async def _igtk_error(self, request: Request, exc: Exception) -> Response:
        code = getattr(exc, "exit_code", 0)
        response = _error(503 if code == EXIT_UNAVAILABLE else 400, redact.scrub(str(exc)))
        if getattr(exc, "code", None):  # a reason a client acts on (vault_locked: ask for the passphrase)
            response = JSONResponse({"error": redact.scrub(str(exc)), "code": exc.code},  # type: ignore[attr-defined]
                                    status_code=response.status_code)
        return response

    def status(self) -> dict[str, Any]:
        return {"version": __version__, "api": API_VERSION, "pid": os.getpid(), "started_at": self.started,
                "uptime": time.time() - self.started, "socket": str(self.location.socket),
                "state_root": str(self.runtime.paths.state_dir), "vault": self.vault_status(),
                "running": [e.summary() for e in self.hub.running()],
                "worker": self.queue.state() if self.queue is not None else None}

    def vault_status(self) -> dict[str, Any]:
        return {**self.runtime.vault_state(), "detail": self.vault_detail}

    async def agent_status(self, request: Request) -> Response:
        """While the agent still opens its vault itself (a key derivation takes a second or two),
        the status waits for it: "locked" then would send the TUI to ask for a passphrase its
        operator may not even know (`igtk demo`'s), for a vault about to be open."""
        opening = self.vault_opening
        if opening is not None and not opening.done():
            await asyncio.wait({opening}, timeout=VAULT_OPEN_WAIT)
        return JSONResponse(self.status())

    async def agent_stop(self, request: Request) -> Response:
        body = await _body(request)
        running = self.hub.running()
        fleets = self.fleets.summaries()
        if (running or fleets) and not body.get("cancel_running"):
            what = f"{len(running)} execution(s)" + (f" and {len(fleets)} fleet run(s)" if fleets else "")
            return _error(409, f"{what} running; stop refused (wait for them, or stop with --cancel-running)")
        asyncio.get_running_loop().create_task(self.shutdown(None))
        return JSONResponse({"stopping": True, "cancelled": [e.id for e in running]})

    async def vault_unlock(self, request: Request) -> Response:
        """The passphrase arrives only over this 0600 socket from this user (peer uid checked);
        it is registered with redact before anything could print it, and never logged or kept."""
        body = await _body(request)
        passphrase = body.pop("passphrase", None)
        if passphrase is not None and not isinstance(passphrase, str):
            return _error(400, "`passphrase` must be text")
        redact.register(passphrase)
        try:
            await asyncio.to_thread(self.runtime.unlock_vault, passphrase or None)
        except IgtkError as exc:
            self.vault_detail = redact.scrub(str(exc).splitlines()[0])
            raise
        finally:
            del passphrase
        self.vault_detail = ""
        log.warning("the vault was unlocked (%s)", self.runtime.vault_state()["backend"])
        return JSONResponse(self.vault_status())

    async def vault_lock(self, request: Request) -> Response:
        self.runtime.lock_vault()
        self.vault_detail = "locked by the operator"
        log.warning("the vault was locked")
        return JSONResponse(self.vault_status())

    async def _open_vault_itself(self) -> None:
        """A keyring (or a passphrase in the agent's own environment) opens without anyone."""
        try:
            await asyncio.to_thread(self.runtime.vault)
        except Exception as exc:  # noqa: BLE001 - locked until a client unlocks it; said in the status
            if self.runtime.vault_state()["state"] == "locked":  # no unlock came in meanwhile
                self.vault_detail = redact.scrub(str(exc).splitlines()[0])

    async def list_executions(self, request: Request) -> Response:
        every = request.query_params.get("all") in ("1", "true")
        items = self.hub.executions.values() if every else self.hub.running()
        return JSONResponse({"executions": [e.summary() for e in items]})

    async def start_execution(self, request: Request) -> Response:
        spec = StartSpec.from_json(await _body(request))
        if spec.lock:
            from igtk_tui.agent.gateway_lock import start_locked

            live = await start_locked(self.hub, spec, await self.hub.prepare(spec), wait=spec.lock_wait)
        else:
            live = await self.hub.start(spec)
        return JSONResponse(live.summary(), status_code=201)

    async def get_execution(self, request: Request) -> Response:
        try:
            return JSONResponse(self.hub.find(request.path_params["id"]).snapshot())
        except LookupError as exc:
            return _error(404, str(exc))
        except InvalidInput as exc:
            return _error(409, str(exc))

    async def control(self, request: Request) -> Response:
        verb = request.path_params["verb"]
        if verb not in CONTROL_VERBS:
            return _error(404, f"unknown control {verb!r}; one of {', '.join(CONTROL_VERBS)}")
        return await self._control(request, verb, {})

    async def set_debug(self, request: Request) -> Response:
        return await self._control(request, "debug", await _body(request))

    async def set_breakpoint(self, request: Request) -> Response:
        return await self._control(request, "breakpoints", await _body(request))

    async def edit_parameters(self, request: Request) -> Response:
        return await self._control(request, "parameters", await _body(request))

    async def _control(self, request: Request, verb: str, body: dict[str, Any]) -> Response:
        """Applied here (agent/controls.py); an execution another agent runs (a shared PostgreSQL
        history) gets it relayed through the store, and the answer is that agent's."""
        from igtk_tui.agent.controls import apply

        given = request.path_params["id"]
        status, answer = apply(self.hub, given, verb, body)
        if status == 404 and self.relay is not None:
            status, answer = await self.relay.forward(given, verb, body)
        return JSONResponse(answer, status_code=status)

    async def list_fleets(self, request: Request) -> Response:
        return JSONResponse({"fleets": self.fleets.summaries()})

    async def start_fleet(self, request: Request) -> Response:
        from igtk_tui.agent.fleets import FleetSpec

        run = await self.fleets.start(FleetSpec.from_json(await _body(request)))
        return JSONResponse({"id": run.id, "playbook": run.playbook.name, "total": len(run.members),
                             "batches": len(run.batches), "queued": self.queue is not None}, status_code=201)

    async def schedules_state(self, request: Request) -> Response:
        return JSONResponse(self.scheduler.state())

    async def run_schedule(self, request: Request) -> Response:
        name = request.path_params["name"]
        if self.scheduler.repo is None or await self.scheduler.repo.get(name) is None:
            return _error(404, f"no schedule named {name!r}")
        return JSONResponse(await self.scheduler.run_now(name), status_code=201)

    async def stream_events(self, request: Request) -> Response:
        try:
            live = self.hub.find(request.path_params["id"])
        except LookupError as exc:
            return _error(404, str(exc))
        except InvalidInput as exc:
            return _error(400, str(exc))
        snapshot, queue = live.watch()

        async def events() -> Any:
            try:
                yield f"event: snapshot\ndata: {wire.dumps(snapshot)}\n\n"
                while True:
                    try:
                        data = await asyncio.wait_for(queue.get(), KEEPALIVE)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    chunk = []
                    while data is not None and data is not OVERFLOW:
                        chunk.append(f"event: {data['event']}\ndata: {wire.dumps(data)}\n\n")
                        if queue.empty() or len(chunk) >= STREAM_BATCH:
                            break
                        data = queue.get_nowait()
                    if chunk:  # what is queued goes out in one write
                        yield "".join(chunk)
                    if data is None:
                        yield "event: end\ndata: {}\n\n"
                        return
                    if data is OVERFLOW:  # the client fell too far behind: it reconnects for a fresh snapshot
                        yield "event: overflow\ndata: {}\n\n"
                        return
            finally:
                live.unwatch(queue)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    # -- life ----------------------------------------------------------------------
    async def shutdown(self, reason: str | None) -> None:
        """Stop firing, cancel what runs (recorded `interrupted` when `reason` is given), let the
        fires record their end, then stop serving."""
        await self.scheduler.stop()
        await self.fleets.stop(reason)
        if self.queue is not None:
            await self.queue.stop_taking()
        await self.hub.cancel_all(reason)
        await self.fleets.drain()
        await self.scheduler.drain()
        if self.server is not None:
            self.server.should_exit = True

    async def serve(self) -> None:
        await self.hub.open()
        if self.runtime.store_location().is_postgres:
            from igtk_tui.agent.controls import ControlRelay
            from igtk_tui.agent.queue import WorkQueue

            self.queue = WorkQueue(self.hub)
            await self.queue.open()
            self.fleets.queue = self.queue
            self.relay = ControlRelay(self.hub, await self.runtime.open_store())
            self.relay.start()
        self.vault_opening = vault_task = asyncio.get_running_loop().create_task(self._open_vault_itself())
        await self.scheduler.start()
        sock = bind_socket(self.location)
        config = uvicorn.Config(self.app, http=PeerCheckedProtocol, lifespan="off", log_level="warning",
                                access_log=False, timeout_graceful_shutdown=3)
        self.server = AgentServer(config)
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        def on_signal(sig: signal.Signals) -> None:
            task = loop.create_task(self.shutdown(f"the agent was stopped ({sig.name})"))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, lambda: None)  # a terminal going away is not ours to obey
        try:
            await self.server.serve(sockets=[sock])
        finally:
            await self.scheduler.stop()
            await self.fleets.stop("the agent stopped")
            if self.hub.running():
                await self.hub.cancel_all("the agent stopped")
            await self.fleets.drain()
            await self.scheduler.drain()
            if self.relay is not None:
                await self.relay.stop()
            if self.queue is not None:
                await self.queue.close()
            try:
                self.location.socket.unlink()
            except FileNotFoundError:
                pass
            vault_task.cancel()
            await self.hub.close()


class AgentServer(uvicorn.Server):
    """uvicorn without its own signal handling: SIGTERM/SIGINT first stop the runs
    (recorded `interrupted`), then the server (Agent.serve installs those handlers)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_socket(location: AgentLocation) -> socket.socket:
    """The listening socket, 0600 from its first moment (umask), stale file replaced."""
    location.prepare()
    path = location.socket
    try:
        path.unlink()  # we hold the lock: a socket file left here belongs to a dead agent
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidInput("the request body is not JSON") from None
    return data if isinstance(data, dict) else {}


def run_foreground(runtime: Any) -> int:
    """`igtk agent run`: hold the lock, serve until stopped; exit 3 when another agent holds it."""
    from igtk_tui import logfile

    location = AgentLocation.of(runtime.paths)
    lock = AgentLock(location)
    if not lock.acquire():
        from igtk_tui.errors import ServiceUnavailable

        raise ServiceUnavailable(f"an agent already runs for {runtime.paths.state_dir} "
                                 f"(pid {location.holder_pid() or '?'}); see `igtk agent status`")
    logfile.setup(runtime.paths.logs_dir)
    logging.getLogger("igtk_tui").addHandler(_stderr_handler())
    try:
        asyncio.run(Agent(runtime, location).serve())
    finally:
        lock.release()
    return 0


def _stderr_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s igtk-agent %(levelname)s %(message)s"))
    handler.setLevel(logging.WARNING)
    return handler
