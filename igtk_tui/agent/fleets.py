"""Fleet runs the agent coordinates (`igtk run --on ... --detach`, the TUI's fleet form).

Why the agent coordinates with fleet/runner.py: batches, forks and the stop rule have one
source of truth, whoever runs the gateways. This module only decides where they run:

- SQLite (one host): each gateway's execution runs here, through the hub (agent/jobs.py), so it
  is in `igtk ps`, `attach` and the TUI like any run of the agent.
- PostgreSQL (`store_url`): each gateway is a job in the queue (agent/queue.py) that any
  agent's worker may take; the coordinator keeps at most `--forks` of them queued or running,
  reads their outcomes from the fleet record in the store (written by the worker that ran
  them, or by the reaper when that worker died), applies the stop rule, and queues the next.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from igtk_tui.agent.hub import Hub, LiveExecution
from igtk_tui.agent.jobs import ExecutionJob, Outcome, run_job
from igtk_tui.errors import InvalidInput
from igtk_tui.fleet.runner import FleetRun, Member

log = logging.getLogger(__name__)

POLL = 0.25  # seconds between reads of a queued fleet's outcomes (one query for all its gateways)
_FINISHED = frozenset({"completed", "failed", "cancelled", "interrupted", "skipped"})


@dataclass(frozen=True)
class FleetSpec:
    """What a client asks for (the agent reads the inventory and checks everything again)."""

    playbook: str
    targets: tuple[str, ...]
    params: dict[str, Any]
    forks: int | None = None
    serial: str | None = None
    max_fail: str | None = None
    lock_wait: float = 0.0

    @classmethod
    def from_json(cls, data: Any) -> FleetSpec:
        if not isinstance(data, dict) or not isinstance(data.get("playbook"), str) or not data["playbook"]:
            raise InvalidInput("a fleet run needs a `playbook` (a file or a library path)")
        targets = data.get("targets")
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) and t for t in targets):
            raise InvalidInput("`targets` must name inventory gateways, groups, tag:X or all")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise InvalidInput("`params` must be an object of parameter names to values")
        forks = data.get("forks")
        if forks is not None and (not isinstance(forks, int) or isinstance(forks, bool) or forks < 1):
            raise InvalidInput(f"`forks` must be a whole number of at least 1, got {forks!r}")
        lock_wait = data.get("lock_wait") or 0.0
        if not isinstance(lock_wait, (int, float)) or lock_wait < 0:
            raise InvalidInput(f"`lock_wait` must be a number of seconds (0 or more), got {lock_wait!r}")
        serial, max_fail = data.get("serial"), data.get("max_fail")
        return cls(data["playbook"], tuple(targets), params, forks, None if serial is None else str(serial),
                   None if max_fail is None else str(max_fail), float(lock_wait))

    def options(self) -> Any:
        from igtk_tui.fleet.plan import DEFAULT_FORKS, FleetOptions, percent_spec, serial_spec

        try:
            serial = serial_spec(self.serial) if self.serial else None
        except argparse.ArgumentTypeError as exc:
            raise InvalidInput(f"`serial`: {exc}") from None
        try:
            max_fail = percent_spec(self.max_fail) if self.max_fail else None
        except argparse.ArgumentTypeError as exc:
            raise InvalidInput(f"`max_fail`: {exc}") from None
        return FleetOptions(forks=self.forks or DEFAULT_FORKS, serial=serial, max_fail=max_fail,
                            lock_wait=self.lock_wait)


class CoordinatorReporter:
    """A gateway run on this agent reports straight to its coordinator (SQLite)."""

    def __init__(self, run: FleetRun, member: Member) -> None:
        self.run = run
        self.member = member

    async def started(self, live: LiveExecution) -> None:
        await self.run.started_member(self.member, live.id, live.execution)

    async def finished(self, outcome: Outcome) -> None:
        await self.run.finish_member(self.member, outcome.status, error=outcome.error, reason=outcome.reason,
                                     failed_step=outcome.failed_step)


class AgentLauncher:
    """Runs a fleet's gateways on this agent's hub, or queues them when `queue` is given."""

    def __init__(self, hub: Hub, queue: Any, playbook: Any, params: dict[str, Any]) -> None:
        self.hub = hub
        self.queue = queue
        self.params = params
        self.ref = _reference(hub, playbook)
        self.hash = playbook.content_hash
        self.run: FleetRun | None = None
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def open(self, run: FleetRun) -> Any:
        self.run = run
        return await self.hub.runtime.open_store()

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)

    def job(self, run: FleetRun, m: Member) -> ExecutionJob:
        return ExecutionJob(playbook=self.ref, playbook_hash=self.hash, params=self.params,
                            credential=m.gateway.credential, gateway_url=m.gateway.url, trigger="fleet",
                            fleet_run_id=run.id, position=m.position, lock=True, lock_wait=run.options.lock_wait)

    async def launch(self, run: FleetRun, m: Member) -> None:
        job = self.job(run, m)
        if self.queue is None:
            await run_job(self.hub, job, CoordinatorReporter(run, m))
            return
        job_id = await self.queue.enqueue(job)
        waiting = asyncio.get_running_loop().create_future()
        self._waiting[m.position] = waiting
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll(run), name=f"fleet-poll:{run.id[:8]}")
        try:
            state = await waiting
        except asyncio.CancelledError:
            if not await self.queue.cancel(job_id):
                log.warning("fleet run %s: gateway %s was already taken by a worker; it runs to its end there",
                            run.id[:8], m.name)
            raise
        finally:
            self._waiting.pop(m.position, None)
        if state.execution_id and m.execution_id is None:
            m.execution_id = state.execution_id
            run.output.gateway_started(run, m)
        if state.status in _FINISHED:  # the worker (or a reaper) recorded the outcome
            await run.finish_member(m, state.status, error=state.error, reason=state.reason, record=False)
        else:  # the execution ended but its worker could not say so (it died): the coordinator records it
            await run.finish_member(m, state.execution_status, error=state.execution_error)

    async def _poll(self, run: FleetRun) -> None:
        """One read of every gateway's state per POLL while any is waiting; resolves the finished ones."""
        store = run.store
        while True:
            if self._waiting:
                try:
                    states = await store.fleets.member_states(run.id)
                except Exception as exc:  # noqa: BLE001 - the server may be briefly away: keep waiting
                    log.warning("fleet run %s: could not read its gateways: %s", run.id[:8], exc)
                    states = {}
                for position, waiting in list(self._waiting.items()):
                    state = states.get(position)
                    if state is None or waiting.done():
                        continue
                    m = run.members[position]
                    if state.execution_id and m.execution_id is None:
                        m.execution_id = state.execution_id
                        run.output.gateway_started(run, m)
                    if state.status in _FINISHED or (state.execution_status in _FINISHED
                                                     and state.execution_status != "skipped"):
                        waiting.set_result(state)
            await asyncio.sleep(POLL)  # the coordinator's poll of the store (a product behaviour)


def _reference(hub: Hub, playbook: Any) -> str:
    """The playbook as every host names it: its library path, else its file."""
    path = playbook.path
    rel = hub.runtime.library.relative(path) if path else None
    return str(rel or path)


class FleetCoordinator:
    """The fleet runs this agent coordinates."""

    def __init__(self, hub: Hub, queue: Any = None) -> None:
        self.hub = hub
        self.queue = queue
        self.runs: dict[str, FleetRun] = {}
        self.tasks: dict[str, asyncio.Task[str]] = {}
        self.stopping = False

    async def start(self, spec: FleetSpec) -> FleetRun:
        if self.stopping or self.hub.stopping:
            raise InvalidInput("the agent is stopping; start the fleet run again once it has stopped")
        run = await asyncio.to_thread(self._prepare, spec)
        task = asyncio.create_task(self._run(run), name=f"fleet:{run.id[:8]}")
        self.runs[run.id], self.tasks[run.id] = run, task
        created = asyncio.ensure_future(run.created.wait())
        await asyncio.wait([created, task], return_when=asyncio.FIRST_COMPLETED)
        if task.done() and not run.created.is_set():
            created.cancel()
            task.result()  # raises why it could not start
        return run

    def _prepare(self, spec: FleetSpec) -> FleetRun:
        """Every check `igtk run --on` makes before its first gateway (in a thread: the vault, files)."""
        from igtk_tui.fleet.members import masked, prepare_members
        from igtk_tui.fleet.output import LogFleetOutput
        from igtk_tui.inventory import read_inventory, select, split_targets
        from igtk_tui.playbook.loader import load_file

        runtime = self.hub.runtime
        options = spec.options()
        playbook = load_file(runtime.library.find(spec.playbook))
        inventory = read_inventory(runtime.paths.inventory_file)
        gateways = select(inventory, list(spec.targets))
        for name in ("gateway_url", "url"):
            if spec.params.get(name) not in (None, ""):
                raise InvalidInput(f"-p {name}: with --on each gateway's URL comes from the inventory; leave it out")
        if self.queue is not None:
            _refuse_secrets(playbook, spec.params)
        try:
            members, _credentials, warnings = prepare_members(runtime, playbook, gateways, spec.params)
        except Exception as exc:
            from igtk_tui.agent.hub import VaultNeeded
            from igtk_tui.vault.errors import VaultLocked, VaultUnavailable

            if isinstance(exc, (VaultLocked, VaultUnavailable)):
                raise VaultNeeded(f"the agent's vault is locked ({str(exc).splitlines()[0]}): unlock it with "
                                  "`igtk agent unlock`, or in the TUI") from None
            raise
        for warning in warnings:
            log.warning("%s", warning)
        for m in members:
            m.request = None  # each gateway is prepared again where it runs (agent/jobs.py)
        launcher = AgentLauncher(self.hub, self.queue, playbook, spec.params)
        return FleetRun(runtime, playbook, members, targets=split_targets(list(spec.targets)), options=options,
                        output=LogFleetOutput(log), params=masked(playbook, spec.params),
                        warn=lambda text: log.warning("%s", text), launcher=launcher)

    async def _run(self, run: FleetRun) -> str:
        try:
            return await run.run()
        except Exception:
            log.exception("fleet run %s ended with an internal error", run.id)
            raise
        finally:
            self.runs.pop(run.id, None)
            self.tasks.pop(run.id, None)

    def summaries(self) -> list[dict[str, Any]]:
        return [{"id": r.id, "playbook": r.playbook.name, "status": r.status, "counts": r.counts(),
                 "queued": self.queue is not None, "started_at": r.started_at} for r in self.runs.values()]

    async def stop(self, reason: str | None) -> None:
        """Start nothing more; runs in flight end as the hub stops them (or on their workers)."""
        self.stopping = True
        for run in list(self.runs.values()):
            run.interrupt(reason or "the agent stopped")

    async def drain(self, timeout: float = 30.0) -> None:
        tasks = list(self.tasks.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _refuse_secrets(playbook: Any, params: dict[str, Any]) -> None:
    """Queued requests travel through the database: a secret parameter value may not."""
    from igtk_tui.playbook.params import SECRET_NAME_RE, secret_parameter_names

    secret = set(secret_parameter_names(playbook))
    named = sorted(k for k, v in params.items() if (k in secret or SECRET_NAME_RE.search(k)) and v not in (None, ""))
    if named:
        raise InvalidInput(f"-p {named[0]}: a secret parameter cannot be queued for the workers (the queue is in "
                           "the shared database); each gateway's credential in the inventory fills it")
