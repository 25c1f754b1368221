"""Talking to the agent: httpx over its Unix socket, started on demand.

Why the handshake on every connect: an agent left running by an older igtk
would otherwise get requests it does not understand; the client names both
versions and says how to replace it. Errors carry the CLI's exit codes
(400 -> 2 invalid input, 503 or no agent -> 3 unavailable, 404 -> 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from igtk_tui import __version__
from igtk_tui.agent.location import API_VERSION, AgentLocation
from igtk_tui.errors import IgtkError, InvalidInput, ServiceUnavailable
from igtk_tui.paths import Paths

BASE = "http://igtk-agent"
START_TIMEOUT = 20.0


class AgentGone(ServiceUnavailable):
    """The agent stopped answering (killed, stopped, or its socket went away)."""


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    code = None
    try:
        body = response.json()
        message, code = str(body.get("error") or response.text), body.get("code")
    except ValueError:
        message = response.text or f"HTTP {response.status_code}"
    if response.status_code == 503:
        if code == "vault_locked":
            raise AgentVaultLocked(message)
        raise ServiceUnavailable(message)
    if response.status_code == 404:
        raise InvalidInput(message)
    if response.status_code == 409:
        raise Refused(message)
    raise InvalidInput(message)


class AgentVaultLocked(ServiceUnavailable):
    """The run reads credentials and the agent's vault is locked: unlock it, then start again."""


class Refused(IgtkError):
    """The agent refused an action in the execution's present state (exit 1)."""


def check_version(status: dict[str, Any], location: AgentLocation) -> None:
    if status.get("api") != API_VERSION or status.get("version") != __version__:
        raise ServiceUnavailable(
            f"the running agent (pid {status.get('pid', '?')}) is igtk {status.get('version', 'of an older version')}, "
            f"this is igtk {__version__}: stop it with `igtk agent stop` once its runs are done "
            f"(or `igtk agent stop --cancel-running`), then try again; its socket is {location.socket}")


class AgentClient:
    """A synchronous client; `connect()` checks the agent's version first."""

    def __init__(self, location: AgentLocation, *, timeout: float = 30.0) -> None:
        self.location = location
        self._http = httpx.Client(transport=httpx.HTTPTransport(uds=str(location.socket)), base_url=BASE,
                                  timeout=timeout)

    @classmethod
    def connect(cls, paths: Paths, *, start: bool = False, env: dict[str, str] | None = None) -> AgentClient:
        """A client to this root's agent; with `start`, one is started when none runs (with `env`)."""
        location = AgentLocation.of(paths)
        if not location.alive():
            if not start:
                raise ServiceUnavailable(f"no agent is running for {paths.state_dir} "
                                         "(start one with `igtk agent start`)")
            spawn(location, env=env)
        client = cls(location)
        try:
            check_version(client.status(), location)
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, *,
                timeout: float | None = None) -> Any:
        try:
            if timeout is None:
                response = self._http.request(method, path, json=body)
            else:
                response = self._http.request(method, path, json=body, timeout=timeout)
        except httpx.TransportError as exc:
            raise AgentGone(f"the agent does not answer on {self.location.socket}: {exc}") from None
        _raise_for(response)
        return response.json()

    def status(self) -> dict[str, Any]:
        return dict(self.request("GET", "/v1/agent"))

    def executions(self, *, every: bool = False) -> list[dict[str, Any]]:
        return list(self.request("GET", "/v1/executions" + ("?all=1" if every else ""))["executions"])

    def start(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Start a run; one that waits for its gateway's lock (`lock_wait`) answers once it has it."""
        wait = float(spec.get("lock_wait") or 0.0)
        return dict(self.request("POST", "/v1/executions", spec, timeout=wait + 30.0 if wait else None))

    def start_fleet(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A fleet run the agent coordinates: `{id, playbook, total, batches, queued}`."""
        return dict(self.request("POST", "/v1/fleets", spec))

    def get(self, execution_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/v1/executions/{execution_id}"))

    def control(self, execution_id: str, verb: str) -> dict[str, Any]:
        return dict(self.request("POST", f"/v1/executions/{execution_id}/{verb}"))

    def unlock_vault(self, passphrase: str | None) -> dict[str, Any]:
        """Hand the agent the vault passphrase (None: it opens its keyring or environment's)."""
        return dict(self.request("POST", "/v1/vault/unlock", {"passphrase": passphrase}))

    def lock_vault(self) -> dict[str, Any]:
        return dict(self.request("POST", "/v1/vault/lock"))

    def stop(self, *, cancel_running: bool = False) -> dict[str, Any]:
        return dict(self.request("POST", "/v1/agent/stop", {"cancel_running": cancel_running}))

    def events(self, execution_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The execution's SSE stream: ("snapshot", {...}) first, then (kind, event), then ("end", {})."""
        try:
            with self._http.stream("GET", f"/v1/executions/{execution_id}/events", timeout=None) as response:
                if response.status_code >= 400:
                    response.read()
                    _raise_for(response)
                yield from parse_sse(response.iter_lines())
        except httpx.TransportError as exc:
            raise AgentGone(f"lost the agent: {exc}") from None


class AsyncAgentClient:
    """The same API for asyncio callers (`igtk attach` reads stdin controls on its loop)."""

    def __init__(self, location: AgentLocation, *, timeout: float = 30.0) -> None:
        self.location = location
        self._http = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(location.socket)), base_url=BASE,
                                       timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise AgentGone(f"the agent does not answer on {self.location.socket}: {exc}") from None
        _raise_for(response)
        return response.json()

    async def control(self, execution_id: str, verb: str, body: dict[str, Any] | None = None) -> Any:
        return await self.request("POST", f"/v1/executions/{execution_id}/{verb}", body)

    async def events(self, execution_id: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        try:
            async with self._http.stream("GET", f"/v1/executions/{execution_id}/events", timeout=None) as response:
                if response.status_code >= 400:
                    await response.aread()
                    _raise_for(response)
                parser = SseParser()
                async for line in response.aiter_lines():
                    item = parser.feed(line)
                    if item is not None:
                        yield item
        except httpx.TransportError as exc:
            raise AgentGone(f"lost the agent: {exc}") from None


class SseParser:
    """Server-sent events, one line at a time: `feed` returns a finished (event, data) or None."""

    def __init__(self) -> None:
        self.kind = "message"
        self.data: list[str] = []

    def feed(self, line: str) -> tuple[str, dict[str, Any]] | None:
        if not line:
            if not self.data:
                return None
            done = (self.kind, json.loads("\n".join(self.data)))
            self.kind, self.data = "message", []
            return done
        if line.startswith(":"):  # a comment (keep-alive)
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self.kind = value
        elif name == "data":
            self.data.append(value)
        return None


def parse_sse(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    parser = SseParser()
    for line in lines:
        item = parser.feed(line)
        if item is not None:
            yield item


def spawn(location: AgentLocation, *, timeout: float = START_TIMEOUT, env: dict[str, str] | None = None) -> int:
    """Start a detached agent (own session, stdio to its log, so a terminal's SIGHUP never
    reaches it) and wait until it answers; returns its pid. `env` is the starting client's
    (the TUI's runtime env: its IGTK_HOME, vault backend and settings), else this process's."""
    location.prepare()
    with open(location.log, "ab") as log, open(os.devnull, "rb") as devnull:
        os.chmod(location.log, 0o600)
        proc = subprocess.Popen([sys.executable, "-m", "igtk_tui", "agent", "run"], stdin=devnull, stdout=log,
                                stderr=log, start_new_session=True, close_fds=True, cwd=str(location.folder),
                                env=None if env is None else {**os.environ, **env})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            if location.alive():  # another client started one first: use that
                return location.holder_pid() or 0
            raise ServiceUnavailable(f"the agent exited at start (status {code}); see {location.log}")
        if location.socket.exists() and _answers(location):
            return proc.pid
        time.sleep(0.02)  # readiness poll of a process we started (not a test synchronisation)
    raise ServiceUnavailable(f"the agent did not answer within {timeout:g} s; see {location.log}")


def _answers(location: AgentLocation) -> bool:
    try:
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(location.socket)), base_url=BASE, timeout=2) as c:
            return c.get("/v1/agent").status_code == 200
    except httpx.TransportError:
        return False
