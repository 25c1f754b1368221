"""ExecutionService: starts executions as App-level workers and coalesces their
events into at most `ui_refresh_hz` (<= 4) UI updates per second.

The bus subscriber runs synchronously on the app's loop (the engine emits from
the worker's task): it only updates plain view models and marks them dirty.
A `set_interval` ticker posts one `ExecutionsUpdated` per tick to subscribed
screens with the changed ids and the batched log lines: never one message per
log line.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.tui.messages import ExecutionEnded, ExecutionsUpdated
from igtk_tui.tui.render import Clock
from igtk_tui.tui.viewmodel import ExecutionView

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump
    from textual.worker import Worker

    from igtk_tui.engine.execution import Execution, ResumeState
    from igtk_tui.engine.launch import RunRequest

MAX_HZ = 4.0


@dataclass
class Launch:
    """What started an execution: kept so `R` can rerun it."""

    request: RunRequest
    playbook_ref: str
    debug: bool = False
    breakpoints: tuple[str, ...] = ()
    rerun_of: str | None = None


class ExecutionService:
    def __init__(self, app: App[Any], runtime: Any, *, clock: Clock | None = None, refresh_hz: float = MAX_HZ,
                 log_max_lines: int = 20000) -> None:
        self.app = app
        self.runtime = runtime
        self.clock = clock or Clock()
        self.interval = 1.0 / max(0.5, min(MAX_HZ, refresh_hz or MAX_HZ))
        self.log_max_lines = log_max_lines
        self.views: dict[str, ExecutionView] = {}
        self.executions: dict[str, Execution] = {}
        self.launches: dict[str, Launch] = {}
        self.workers: dict[str, Worker[Any]] = {}
        # Executions of the agent shown here (tui/agent_feed.py): controlled, never cancelled by our exit.
        self.remote: dict[str, Any] = {}
        self.cancelled_by_operator: set[str] = set()  # the rest of a shutdown's cancels were not chosen
        self.hangup_reason: str | None = None  # set when the terminal went away: runs end `interrupted`
        self._dirty: set[str] = set()
        self._added: list[str] = []
        self._subscribers: list[MessagePump] = []
        self._seq = itertools.count(1)
        # The store's Recorder (one for the process), set once the store is open.
        self.recorder: Any = None
        self.store_ready: asyncio.Event | None = None
        self.ticks = 0

    # -- subscription --------------------------------------------------------------------
    def subscribe(self, node: MessagePump) -> None:
        if node not in self._subscribers:
            self._subscribers.append(node)

    def unsubscribe(self, node: MessagePump) -> None:
        if node in self._subscribers:
            self._subscribers.remove(node)

    def start_ticker(self) -> None:
        self.app.set_interval(self.interval, self.flush, name="ui-tick")

    # -- queries ----------------------------------------------------------------------------
    @property
    def active(self) -> list[ExecutionView]:
        """Running or paused executions (what quit asks about and the status line counts)."""
        return [v for v in self.views.values() if v.live]

    @property
    def owned_active(self) -> list[ExecutionView]:
        """Live executions this process runs (what quitting would stop; the agent's go on)."""
        return [v for v in self.active if v.id not in self.remote]

    def ordered(self) -> list[ExecutionView]:
        return list(self.views.values())

    def execution(self, execution_id: str | None) -> Execution | None:
        view = self.views.get(execution_id or "")
        if view is None or not view.live:
            return None
        return self.executions.get(execution_id or "") or self.remote.get(execution_id or "")

    # -- starting -------------------------------------------------------------------------
    def start(self, launch: Launch, *, credentials: Any = None, resume: ResumeState | None = None,
              trigger: str = "tui") -> ExecutionView:
        from igtk_tui.engine.events import EventBus

        request = launch.request
        bus = EventBus()
        execution = self.runtime.new_execution(
            request.playbook, request.params, bus=bus, trigger=trigger, debug=launch.debug,
            breakpoints=launch.breakpoints, gateway_url=request.gateway_url,
            credential_names=request.credential_names, resume=resume, credentials=credentials,
        )
        view = ExecutionView(execution.id, next(self._seq), request.playbook.name, playbook_ref=launch.playbook_ref,
                             debug=launch.debug, breakpoints=tuple(launch.breakpoints))
        view.logs = type(view.logs)(maxlen=self.log_max_lines)
        self.views[execution.id] = view
        self.executions[execution.id] = execution
        self.launches[execution.id] = launch
        bus.subscribe(partial(self._on_event, view))
        self._added.append(execution.id)
        self._dirty.add(execution.id)
        self.workers[execution.id] = self.app.run_worker(
            self._run(execution, view), name=f"execution {view.seq}: {view.playbook}",
            group=f"exec:{execution.id}", exclusive=False, exit_on_error=False,
            description=f"igtk execution {execution.id}",
        )
        return view

    async def _run(self, execution: Execution, view: ExecutionView) -> None:
        """The worker body: recorder first, then the engine; final state always recorded."""
        recorder = None
        try:
            if self.store_ready is not None and not self.store_ready.is_set():
                try:
                    await asyncio.wait_for(self.store_ready.wait(), timeout=10)
                except TimeoutError:
                    pass
            recorder = self.recorder
            if recorder is not None:
                launch = self.launches[execution.id]
                recorder.expect(execution.id, rerun_of=launch.rerun_of, playbook_rel=launch.playbook_ref or None)
                execution.bus.subscribe(partial(self._record, recorder))
            await execution.run()
        except Exception as exc:  # noqa: BLE001 - shown on the execution, never a crash of the UI
            view.status, view.error = "failed", redact.scrub(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if view.live:
                status = execution.status.value
                view.status = status if status not in ("pending", "running", "paused") else "cancelled"
            view.pause = None
            view.version += 1
            self._dirty.add(view.id)
            if recorder is not None:
                try:  # the final state is committed before the worker ends
                    await asyncio.shield(recorder.flush())
                except Exception:  # noqa: BLE001 - the recorder reports its own failures
                    pass
            self.app.post_message(ExecutionEnded(view.id, view.status, view.playbook))

    # -- events ---------------------------------------------------------------------------
    def _record(self, recorder: Any, event: Any) -> None:
        recorder(self._as_recorded(event))

    def _as_recorded(self, event: Any) -> Any:
        """A run stopped by a hang-up is recorded `interrupted` (resumable) from its first write on."""
        if (self.hangup_reason and event.kind == "execution_finished" and event.status.value == "cancelled"
                and event.execution_id not in self.cancelled_by_operator):
            from dataclasses import replace

            from igtk_tui.engine.events import ExecutionStatus

            return replace(event, status=ExecutionStatus.INTERRUPTED, error=self.hangup_reason)
        return event

    def _on_event(self, view: ExecutionView, event: Any) -> None:
        view.apply(event)
        self._dirty.add(view.id)

    def add_remote(self, view: ExecutionView, execution: Any) -> None:
        """Show an execution of the agent; `execution` (agent/remote.py) takes the controls."""
        view.logs = type(view.logs)(maxlen=self.log_max_lines)
        self.remote[view.id] = execution
        self.add_view(view)

    def apply_remote(self, execution_id: str, event: Any) -> None:
        """An event of an agent's execution, decoded to the engine's type: applied as the bus would."""
        view = self.views.get(execution_id)
        if view is not None:
            self._on_event(view, event)

    def touch(self, execution_id: str) -> None:
        """Something outside the engine changed a view (e.g. a recovered record)."""
        if execution_id in self.views:
            self.views[execution_id].version += 1
            self._dirty.add(execution_id)

    def add_view(self, view: ExecutionView) -> None:
        """Show a non-live execution (an interrupted one found in the store)."""
        view.seq = view.seq or next(self._seq)
        self.views[view.id] = view
        self._added.append(view.id)
        self._dirty.add(view.id)

    def flush(self) -> None:
        """The coalesced tick: one message per subscriber, whatever the event rate."""
        self.ticks += 1
        for view in self.views.values():
            if view.status == "running" and (view.id in self.executions or view.id in self.remote):
                self._dirty.add(view.id)  # elapsed counters move
        if not self._dirty:
            return
        changed, self._dirty = frozenset(self._dirty), set()
        logs = {i: self.views[i].take_pending_logs() for i in changed if i in self.views}
        added, self._added = tuple(self._added), []
        for node in tuple(self._subscribers):
            node.post_message(ExecutionsUpdated(changed, {k: v for k, v in logs.items() if v}, added))

    # -- controls ---------------------------------------------------------------------------
    def control(self, execution_id: str | None, action: str, *args: Any) -> bool:
        execution = self.execution(execution_id)
        if execution is None:
            return False
        if action == "cancel":
            self.cancelled_by_operator.add(execution.id)
        getattr(execution, action)(*args)
        return True

    def cancel_all(self, *, by_operator: bool = True, interrupted: str | None = None) -> int:
        """Stop every live execution: an operator's cancel, or (`interrupted`) recorded `interrupted: REASON`."""
        live = [e for i, e in self.executions.items() if self.views[i].live]
        for execution in live:
            if interrupted:
                execution.interrupt(interrupted)
                continue
            if by_operator:
                self.cancelled_by_operator.add(execution.id)
            execution.cancel()
        return len(live)

    def stopped_unasked(self) -> list[str]:
        """This session's executions that ended cancelled (or never ended) without an operator's cancel."""
        return [i for i in self.executions if i not in self.cancelled_by_operator
                and self.views[i].status in ("cancelled", "pending", "running", "paused")]

    async def wait_all(self, timeout: float = 15.0) -> None:
        """Wait for every execution worker to finish its `finally` (after cancel_all)."""
        pending = [w for w in self.workers.values() if not w.is_finished]
        if not pending:
            return
        try:
            await asyncio.wait_for(self.app.workers.wait_for_complete(pending), timeout)
        except (TimeoutError, Exception):  # noqa: BLE001 - shutting down: never hang the exit
            pass
