"""The executions an agent owns: started, followed, controlled, and watched.

Why a backlog per execution: a client that attaches late must see what an early
one saw. Every event is kept (logs capped to the newest LOG_BACKLOG lines) and a
watcher gets, in one synchronous step, the snapshot so far and a queue of what
follows, so nothing is missed or shown twice between the two.

Events reach the hub through the store's recorder (post-commit delivery, as for
`igtk run`): what a client is shown finished is already in the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from igtk_tui import redact
from igtk_tui.agent import wire
from igtk_tui.engine.events import Event, ExecutionStatus
from igtk_tui.engine.state import ExecutionState
from igtk_tui.errors import InvalidInput, ServiceUnavailable

log = logging.getLogger(__name__)

LOG_BACKLOG = 2000      # log lines kept per execution for late clients
KEEP_FINISHED = 50      # finished executions kept for `attach` after their end
WATCH_QUEUE = 100_000   # events buffered per watcher (references only); one that falls this far behind is dropped
CONTROL_VERBS = ("pause", "resume", "skip", "back", "cancel")
# Ends a watcher's queue that overflowed (None ends one whose execution finished).
OVERFLOW: dict[str, Any] = {"event": "overflow"}


@dataclass
class StartSpec:
    """What a client asks the agent to run (the agent loads and validates it again).

    `resume_of` / `rerun_of` name a recorded execution to run again: the agent reads the
    record and replays it with engine/replay.py, as `igtk resume` / `igtk rerun` do
    (`params` are then given values over the recorded ones; `playbook` is not needed).
    """

    playbook: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    credential: str | None = None
    gateway_url: str | None = None
    debug: bool = False
    breakpoints: tuple[str, ...] = ()
    trigger: str = "agent"
    resume_of: str | None = None
    rerun_of: str | None = None
    fleet_run_id: str | None = None  # set by the agent for a fleet's gateway (never from a request body)
    lock: bool = False  # take the gateway's lock first (`igtk run --detach --lock`)
    lock_wait: float = 0.0

    @property
    def replay_of(self) -> str | None:
        return self.resume_of or self.rerun_of

    @classmethod
    def from_json(cls, data: Any) -> StartSpec:
        if not isinstance(data, dict):
            raise InvalidInput("the request must be a JSON object")
        again = {k: data.get(k) or None for k in ("resume_of", "rerun_of")}
        if any(v is not None and not isinstance(v, str) for v in again.values()):
            raise InvalidInput("`resume_of` and `rerun_of` are execution ids (text)")
        if again["resume_of"] and again["rerun_of"]:
            raise InvalidInput("give one of `resume_of` and `rerun_of`, not both")
        if not isinstance(data.get("playbook"), str) and not any(again.values()):
            raise InvalidInput("the request needs a `playbook` (a file or a library path), "
                               "or `resume_of` / `rerun_of` (an execution id)")
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise InvalidInput("`params` must be an object of parameter names to values")
        breakpoints = data.get("breakpoints") or []
        if not isinstance(breakpoints, list) or not all(isinstance(b, str) for b in breakpoints):
            raise InvalidInput("`breakpoints` must be a list of step ids")
        lock_wait = data.get("lock_wait") or 0.0
        if not isinstance(lock_wait, (int, float)) or isinstance(lock_wait, bool) or lock_wait < 0:
            raise InvalidInput(f"`lock_wait` must be a number of seconds (0 or more), got {lock_wait!r}")
        return cls(playbook=str(data.get("playbook") or ""), params=params,
                   lock=bool(data.get("lock")) or bool(lock_wait), lock_wait=float(lock_wait),
                   credential=data.get("credential") or None, gateway_url=data.get("gateway_url") or None,
                   debug=bool(data.get("debug", False)), breakpoints=tuple(breakpoints),
                   trigger=str(data.get("trigger") or "agent"), **again)


class VaultNeeded(ServiceUnavailable):
    """The run reads credentials and the agent's vault is locked (a client asks for the passphrase)."""

    code = "vault_locked"


class LiveExecution:
    """One execution in the agent: the engine object, its backlog and its watchers."""

    def __init__(self, execution: Any) -> None:
        self.execution = execution
        self.id: str = execution.id
        self.playbook: str = execution.playbook.name
        self.playbook_path = str(execution.playbook.path) if execution.playbook.path else None
        self.trigger: str = execution.trigger
        self.started_at = time.time()
        self.finished_at: float | None = None
        self.final: dict[str, Any] | None = None
        self.task: asyncio.Task[Any] | None = None
        self.state: ExecutionState = execution.state  # the engine's fold of its events (engine/state.py): read, not folded again
        self.lock_task: asyncio.Task[Any] | None = None  # releases the gateway lock at the end (agent/gateway_lock.py)
        self.resumes_fleet_gateway = False  # its end becomes a fleet gateway's outcome (store/fleet_resume.py)
        self._seq = 0
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._logs: deque[tuple[int, dict[str, Any]]] = deque(maxlen=LOG_BACKLOG)
        self._watchers: set[asyncio.Queue[dict[str, Any] | None]] = set()

    # -- events in ------------------------------------------------------------
    def add(self, event: Event) -> None:
        data = wire.encode(event)
        self._seq += 1
        (self._logs if event.kind == "log" else self._events).append((self._seq, data))
        self._fold(event, data)
        for queue in tuple(self._watchers):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:  # far behind: drop it; it reconnects and gets a fresh snapshot
                self._watchers.discard(queue)
                queue.get_nowait()
                queue.put_nowait(OVERFLOW)
        if event.kind == "execution_finished":
            for queue in tuple(self._watchers):
                self._close_watcher(queue)

    def _fold(self, event: Event, data: dict[str, Any]) -> None:
        if event.kind == "execution_finished":  # as recorded (a run the agent stopped is interrupted)
            self.final, self.finished_at = data, time.time()

    # -- state out ------------------------------------------------------------
    @property
    def current_step(self) -> str | None:
        return None if self.final is not None else self.state.current

    @property
    def pause(self) -> dict[str, Any] | None:
        pause = self.state.pause
        return None if pause is None or self.final is not None else {"step_id": pause.step, "reason": pause.reason}

    @property
    def steps_total(self) -> int:
        return len(self.state.roots)

    @property
    def steps_done(self) -> int:
        return self.state.done

    @property
    def failed_step(self) -> tuple[str, str | None] | None:
        """The first step that failed, and its error."""
        return self.state.failed

    @property
    def status(self) -> str:
        if self.final is not None:
            return str(self.final["status"])
        if self.state.pause is not None:
            return ExecutionStatus.PAUSED.value
        status = self.execution.status.value
        return "running" if status == "pending" else status

    @property
    def live(self) -> bool:
        return self.final is None

    def summary(self) -> dict[str, Any]:
        controls = self.execution.controls
        return {
            "id": self.id, "playbook": self.playbook, "playbook_path": self.playbook_path,
            "status": self.status, "trigger": self.trigger, "started_at": self.started_at,
            "finished_at": self.finished_at, "current_step": self.current_step, "pause": self.pause,
            "steps_total": self.steps_total, "steps_done": self.steps_done, "debug": controls.debug,
            "breakpoints": sorted(controls.breakpoints), "watchers": len(self._watchers),
            "error": self.final.get("error") if self.final else None,
        }

    def backlog(self) -> list[dict[str, Any]]:
        """Every event so far in order (only the newest LOG_BACKLOG log lines)."""
        merged = sorted(chain(self._events, self._logs), key=lambda item: item[0])
        return [data for _, data in merged]

    def snapshot(self) -> dict[str, Any]:
        return {"execution": self.summary(), "events": self.backlog()}

    def watch(self) -> tuple[dict[str, Any], asyncio.Queue[dict[str, Any] | None]]:
        """The snapshot and a queue of every later event (None ends it), taken together."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=WATCH_QUEUE)
        if self.live:
            self._watchers.add(queue)
        else:
            queue.put_nowait(None)
        return self.snapshot(), queue

    def unwatch(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._watchers.discard(queue)

    def _close_watcher(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._watchers.discard(queue)
        try:
            queue.put_nowait(None)
        except asyncio.QueueFull:
            queue.get_nowait()
            queue.put_nowait(None)

    # -- controls -------------------------------------------------------------
    def control(self, verb: str) -> None:
        if not self.live:
            raise InvalidInput(f"execution {self.id[:8]} has finished ({self.status}); nothing to {verb}")
        ex = self.execution
        {"pause": ex.pause, "resume": ex.resume, "skip": ex.skip, "back": ex.step_back, "cancel": ex.cancel}[verb]()

    def set_debug(self, on: bool) -> None:
        self.execution.set_debug(on)

    def set_breakpoint(self, step: str, on: bool | None) -> bool:
        """Set, clear (on given) or toggle (on None) a breakpoint; returns whether it is set now."""
        if on is None or (step in self.execution.controls.breakpoints) != on:
            return bool(self.execution.toggle_breakpoint(step))
        return on

    def edit_parameters(self, step: str, params: dict[str, Any]) -> None:
        """Parameter edits for a step, taken only at a debug pause (applied on the step's next run)."""
        if self.state.pause is None:
            raise InvalidInput("parameters can be edited only while the execution is paused")
        self.execution.controls.set_step_parameters(step, params)


@dataclass
class Prepared:
    """A request loaded, bound and preflighted (Hub.prepare), ready for Hub.start."""

    request: Any  # engine.launch.RunRequest
    credentials: Any
    replay: Any = None  # engine.replay's prepared resume/rerun; None for a fresh run


class Hub:
    """Every execution the agent owns; events arrive through the recorder listener."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.recorder: Any = None
        self.executions: dict[str, LiveExecution] = {}
        self.stopping = False
        self.stop_reason: str | None = None  # set when the agent itself stops runs (SIGTERM)

    async def open(self) -> None:
        """Open the store (recovery marks a dead agent's runs interrupted) and the recorder."""
        store = await self.runtime.open_store(retention=True)
        for item in store.recovered:
            log.warning("execution %s was left running by a process that died; marked interrupted", item.id)
        library = self.runtime.library
        from pathlib import Path

        self.recorder = store.recorder(playbook_rel=lambda p: library.relative(Path(p)),
                                       on_warning=lambda text: log.warning("%s", text))
        self.recorder.add_listener(self._deliver)

    async def close(self) -> None:
        if self.recorder is not None:
            await self.recorder.close()
        await self.runtime.close()

    def _deliver(self, event: Event) -> None:
        live = self.executions.get(event.execution_id)
        if live is not None:
            live.add(event)

    # -- starting ---------------------------------------------------------------
    def _prepare(self, spec: StartSpec, detail: Any) -> tuple[Any, Any, Any]:
        """Load (or replay `detail`), bind and preflight, exactly as `igtk run` / `resume` / `rerun`
        do (runs in a thread: probes block). Returns the request, the credentials source and the
        replay (None for a fresh run)."""
        from igtk_tui.engine import replay
        from igtk_tui.engine.launch import build_request
        from igtk_tui.playbook.loader import load_file
        from igtk_tui.vault.errors import VaultLocked, VaultUnavailable

        try:
            credential = self.runtime.vault().get(spec.credential) if spec.credential else None
            again = None
            if detail is not None:
                again = replay.prepare(detail, spec.params, resume=bool(spec.resume_of), credential=credential,
                                       gateway_url=spec.gateway_url)
                playbook, params = again.playbook, again.params
            else:
                playbook, params = load_file(self.runtime.library.find(spec.playbook)), spec.params
            request = build_request(playbook, params, credential=credential, gateway_url=spec.gateway_url)
            return request, self.runtime.preflight(request), again
        except (VaultUnavailable, VaultLocked) as exc:
            raise VaultNeeded(f"the agent's vault is locked ({str(exc).splitlines()[0]}): unlock it with "
                              "`igtk agent unlock`, or in the TUI") from None

    async def _record_of(self, given: str) -> Any:
        store = await self.runtime.open_store()
        detail = await store.executions.get(await store.executions.resolve_id(given), logs=0)
        if detail is None:
            raise InvalidInput(f"no recorded execution {given!r}")
        return detail

    async def prepare(self, spec: StartSpec) -> Prepared:
        """Every check `igtk run` makes before its first step (the scheduler looks at the
        request's gateway before it starts it); raises as `igtk run` would."""
        if self.stopping:
            raise InvalidInput("the agent is stopping; start the run again once it has stopped")
        detail = await self._record_of(spec.replay_of) if spec.replay_of else None
        request, credentials, again = await asyncio.to_thread(self._prepare, spec, detail)
        return Prepared(request, credentials, again)

    async def start(self, spec: StartSpec, prepared: Prepared | None = None) -> LiveExecution:
        from igtk_tui.engine.events import EventBus
        from igtk_tui.sinks.process_log import ExecutionLogCopy

        if self.stopping:
            raise InvalidInput("the agent is stopping; start the run again once it has stopped")
        if prepared is None:
            prepared = await self.prepare(spec)
        request, credentials, again = prepared.request, prepared.credentials, prepared.replay
        bus = EventBus()
        bus.subscribe(ExecutionLogCopy())
        execution = self.runtime.new_execution(
            request.playbook, request.params, bus=bus, trigger=spec.trigger, debug=spec.debug,
            breakpoints=spec.breakpoints, gateway_url=request.gateway_url, gateway_override=spec.gateway_url,
            credential_names=request.credential_names, credentials=credentials,
            resume=again.resume if again is not None else None,
        )
        live = LiveExecution(execution)
        fleet_run_id = spec.fleet_run_id
        if again is not None and again.resume is not None:  # a fleet gateway resumed stays in its fleet run
            store = await self.runtime.open_store()
            linked = await store.fleets.resumed(again.resume.resumed_from, execution.id)
            live.resumes_fleet_gateway = linked is not None
            fleet_run_id = linked or fleet_run_id
        self.executions[execution.id] = live
        self.recorder.expect(execution.id, rerun_of=again.rerun_of if again is not None else None,
                             playbook_rel=self.runtime.library.relative(request.playbook.path)
                             if request.playbook.path else None, fleet_run_id=fleet_run_id,
                             state=execution.state)
        bus.subscribe(lambda event: self.recorder(self._as_recorded(event)))
        live.task = asyncio.create_task(self._run(live), name=f"agent-execution:{execution.id}")
        self._prune()
        return live

    async def _run(self, live: LiveExecution) -> None:
        try:
            await live.execution.run()
        except Exception:  # noqa: BLE001 - one broken run never takes the agent (and the others) down
            log.exception("execution %s ended with an internal error", live.id)
        finally:
            await asyncio.shield(self.recorder.flush())
            if live.resumes_fleet_gateway:
                await asyncio.shield(self._follow_fleet(live.id))

    async def _follow_fleet(self, execution_id: str) -> None:
        try:
            store = await self.runtime.open_store()
            await store.fleets.follow(execution_id)
        except Exception as exc:  # noqa: BLE001 - the execution's own record is committed; say what was not
            log.warning("execution %s: its fleet gateway's outcome could not be recorded: %s", execution_id, exc)

    def _as_recorded(self, event: Event) -> Event:
        """Runs the agent itself stopped (SIGTERM) are `interrupted`, resumable, not operator-cancelled."""
        if (self.stop_reason and event.kind == "execution_finished"
                and getattr(event, "status", None) == ExecutionStatus.CANCELLED):
            from dataclasses import replace

            return replace(event, status=ExecutionStatus.INTERRUPTED,  # type: ignore[call-arg]
                           error=redact.scrub(f"interrupted: {self.stop_reason}"))
        return event

    def _prune(self) -> None:
        done = [e for e in self.executions.values() if not e.live]
        for old in sorted(done, key=lambda e: e.finished_at or 0)[:-KEEP_FINISHED or None]:
            del self.executions[old.id]

    # -- finding ---------------------------------------------------------------
    def find(self, given: str) -> LiveExecution:
        """By id or a unique prefix; InvalidInput (HTTP 404/400) otherwise."""
        if given in self.executions:
            return self.executions[given]
        hits = [e for key, e in self.executions.items() if key.startswith(given)] if len(given) >= 4 else []
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise InvalidInput(f"execution id {given!r} is ambiguous: {', '.join(h.id[:8] for h in hits)}")
        raise LookupError(f"no live execution {given!r} in the agent")

    def running(self) -> list[LiveExecution]:
        return [e for e in self.executions.values() if e.live]

    async def cancel_all(self, reason: str | None = None) -> None:
        """Cancel every live run and wait for their last rows to be committed."""
        self.stopping, self.stop_reason = True, reason
        tasks = [e.task for e in self.running() if e.task is not None]
        for live in self.running():
            live.execution.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        if self.recorder is not None:
            await self.recorder.flush()
