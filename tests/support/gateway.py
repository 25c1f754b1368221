"""Run a playbook (YAML text) through the real engine and read what happened."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui.config import Settings
from igtk_tui.engine.events import Event, EventBus, ExecutionStatus, StepFinished
from igtk_tui.engine.execution import Execution, ExecutionResult
from igtk_tui.playbook.loader import load_text
from igtk_tui.playbook.params import bind_parameters

WAIT = 20.0  # a failing test's limit, not a synchronisation


@dataclass
class Run:
    result: ExecutionResult
    events: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result.status == ExecutionStatus.COMPLETED

    def finished(self, step_id: str) -> StepFinished:
        found = [e for e in self.events if isinstance(e, StepFinished) and e.step_id == step_id]
        assert found, f"step {step_id!r} never finished; error: {self.result.error}"
        return found[-1]

    def output(self, step_id: str) -> dict[str, Any]:
        event = self.finished(step_id)
        assert event.status.value == "completed", f"{step_id}: {event.status.value}: {event.error}"
        return event.output

    def error(self, step_id: str) -> str:
        event = self.finished(step_id)
        assert event.status.value == "failed", f"{step_id} did not fail: {event.status.value} {event.output}"
        return event.error or ""

    def logs(self, level: str | None = None) -> list[str]:
        return [e.message for e in self.events if e.kind == "log" and (level is None or e.level == level)]


def make_execution(folder: Path, text: str, params: dict[str, Any] | None = None, *,
                   credentials: Any = None, settings: Settings | None = None,
                   events: list[Event] | None = None,
                   on_event: Callable[[Event, Execution], None] | None = None) -> Execution:
    playbook = load_text(textwrap.dedent(text), path=folder / "playbook.yaml")
    bound = bind_parameters(playbook, params or {}, check_files=False)
    bus = EventBus()
    execution = Execution(playbook, bound, bus=bus, settings=settings or Settings(),
                          artifacts_root=folder / "artifacts", credentials=credentials)
    if events is not None:
        bus.subscribe(events.append)
    if on_event is not None:
        bus.subscribe(lambda e: on_event(e, execution))
    return execution


async def run_playbook(folder: Path, text: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Run:
    events: list[Event] = []
    execution = make_execution(folder, text, params, events=events, **kwargs)
    result = await asyncio.wait_for(execution.run(), 60)
    return Run(result, events)


def header(params: str = "") -> str:
    """The playbook preamble; `params` is an indented YAML list of parameter entries."""
    head = "name: gateway test\nversion: '1.0'\n"
    if params:
        head += "parameters:\n" + textwrap.dedent(params)
    return head + "steps:\n"


class CuttingProxy:
    """A TCP proxy in front of a simulator that breaks the response to one kind of request.

    Everything is forwarded byte for byte until a request whose first line
    contains `trigger` passes; that response is cut after `keep` bytes and the
    connection then either closes (`mode="drop"`, a dropped download) or goes
    silent (`mode="stall"`, a download stuck mid-way). `cut` is set once it
    happened, so tests wait on it rather than on time.
    """

    def __init__(self, target_port: int, trigger: bytes | None, keep: int = 1500, mode: str = "drop",
                 ssl_context: Any = None) -> None:
        self.target_port, self.trigger, self.keep, self.mode = target_port, trigger, keep, mode
        self.ssl_context = ssl_context
        self.cut = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    async def __aenter__(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        armed = asyncio.Event()

        async def upstream() -> None:
            while data := await reader.read(65536):
                if self.trigger is not None and self.trigger in data:
                    armed.set()
                up_writer.write(data)
                await up_writer.drain()

        async def downstream() -> None:
            sent = 0
            while data := await up_reader.read(65536):
                if armed.is_set():
                    room = max(0, self.keep - sent)
                    if len(data) > room:
                        writer.write(data[:room])
                        await writer.drain()
                        self.cut.set()
                        if self.mode == "stall":
                            await asyncio.Event().wait()
                        return
                    sent += len(data)
                writer.write(data)
                await writer.drain()

        pump = asyncio.create_task(upstream())
        try:
            await downstream()
        finally:
            pump.cancel()
            for w in (writer, up_writer):
                w.close()
            self._tasks.discard(task)


def self_signed_tls(folder: Path) -> tuple[Any, Path]:
    """A server SSL context for 127.0.0.1 and the PEM file a client must trust (its own CA)."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "igtk test gateway")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "gateway-ca.pem", folder / "gateway-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path
