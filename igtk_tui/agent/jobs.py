"""One execution request as a job, and how an agent runs one through its hub.

Why a job holds names and values only: with a PostgreSQL history the request travels through
the database to whichever agent's worker takes it (agent/queue.py), so it holds the playbook's
reference (its library path, else its file) and content hash, the parameter values (the
requester refused secret ones), the credential's NAME (each worker reads its own vault), the
gateway, the trigger and the fleet run link: never a secret.

Why one `run_job` for both backends: an agent on SQLite runs a fleet's gateways itself and an
agent on PostgreSQL runs the jobs its worker takes; both go through `Hub.prepare` and
`Hub.start` exactly as a local start does (the same checks, recorder, store, events, `igtk ps`,
`attach`, controls), take the store's gateway lock (which holds across hosts on PostgreSQL),
and report to a `Reporter`: the coordinator itself (SQLite) or the fleet record (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from igtk_tui import redact
from igtk_tui.agent.hub import Hub, LiveExecution, StartSpec
from igtk_tui.errors import IgtkError, InvalidInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutionJob:
    playbook: str
    playbook_hash: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    credential: str | None = None
    gateway_url: str | None = None
    trigger: str = "fleet"
    fleet_run_id: str | None = None
    position: int | None = None
    lock: bool = False
    lock_wait: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> ExecutionJob:
        if not isinstance(data, dict) or not isinstance(data.get("playbook"), str):
            raise InvalidInput("a job needs a `playbook`")
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True)
class Outcome:
    """How a job's execution ended (or why it never started)."""

    status: str
    execution_id: str | None = None
    error: str | None = None
    reason: str | None = None
    failed_step: str | None = None


class Reporter(Protocol):
    async def started(self, live: LiveExecution) -> None: ...

    async def finished(self, outcome: Outcome) -> None: ...


async def run_job(hub: Hub, job: ExecutionJob, reporter: Reporter) -> Outcome:
    """Prepare, lock, start and follow one job's execution on this agent; report and return its outcome."""
    outcome = await _run(hub, job, reporter)
    await reporter.finished(outcome)
    return outcome


async def _run(hub: Hub, job: ExecutionJob, reporter: Reporter) -> Outcome:
    from igtk_tui.store.locks import GatewayBusy

    spec = StartSpec(playbook=job.playbook, params=dict(job.params), credential=job.credential,
                     gateway_url=job.gateway_url, trigger=job.trigger, fleet_run_id=job.fleet_run_id)
    try:
        prepared = await hub.prepare(spec)
    except Exception as exc:  # noqa: BLE001 - every reason not to start is the gateway's outcome
        return _not_started(hub, exc)
    playbook = prepared.request.playbook
    if job.playbook_hash and playbook.content_hash != job.playbook_hash:
        return Outcome("failed", error=f"the playbook {job.playbook} on host {_host()} differs from the one the "
                                       "fleet run was started with; make the copies equal", reason="playbook differs")
    try:
        if job.lock and prepared.request.gateway_url:
            from igtk_tui.agent.gateway_lock import start_locked

            live = await start_locked(hub, spec, prepared, wait=job.lock_wait, fleet_run_id=job.fleet_run_id)
        else:
            live = await hub.start(spec, prepared)
    except GatewayBusy as exc:
        return Outcome("failed", error=str(exc), reason="busy")
    except Exception as exc:  # noqa: BLE001 - the agent stopping meanwhile: the gateway's outcome too
        return _not_started(hub, exc)
    await reporter.started(live)
    for task in (live.task, live.lock_task):  # the run, then its lock released
        if task is not None:
            await asyncio.wait([task])
    final = live.final or {}
    step = live.state.failed_top  # the first top-level step that failed, as an in-process fleet names it
    return Outcome(str(final.get("status") or live.status), live.id, final.get("error"), None, step)


def _not_started(hub: Hub, exc: BaseException) -> Outcome:
    from igtk_tui.agent.hub import VaultNeeded
    from igtk_tui.gateway.probe import GatewayUnreachable

    if isinstance(exc, GatewayUnreachable):
        return Outcome("failed", error=redact.scrub(f"unreachable: {exc}"), reason="unreachable")
    if isinstance(exc, VaultNeeded):
        return Outcome("failed", error=redact.scrub(f"on host {_host()}: {exc}"), reason="vault locked")
    if not isinstance(exc, IgtkError):
        log.error("a job could not start", exc_info=exc)
    return Outcome("failed", error=redact.scrub(f"could not start on host {_host()}: {exc}"))


def _host() -> str:
    import socket

    return socket.gethostname()
