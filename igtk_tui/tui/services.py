"""ExecutionService: the executions the TUI shows (every one runs in the agent) and
their view models, coalesced into at most `ui_refresh_hz` (<= 4) UI updates per second.

The TUI runs nothing itself: tui/agent_feed.py turns the agent's event stream back
into engine events and applies them here, as the in-process bus once did. A
`set_interval` ticker posts one `ExecutionsUpdated` per tick to subscribed screens
with the changed ids and the batched log lines: never one message per log line.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from igtk_tui.tui.messages import ExecutionEnded, ExecutionsUpdated
from igtk_tui.tui.render import Clock
from igtk_tui.tui.viewmodel import ExecutionView

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

MAX_HZ = 4.0


class ExecutionService:
    def __init__(self, app: App[Any], *, clock: Clock | None = None, refresh_hz: float = MAX_HZ,
                 log_max_lines: int = 20000) -> None:
        self.app = app
        self.clock = clock or Clock()
        self.interval = 1.0 / max(0.5, min(MAX_HZ, refresh_hz or MAX_HZ))
        self.log_max_lines = log_max_lines
        self.views: dict[str, ExecutionView] = {}
        # The agent's executions shown here, each an agent/remote.py RemoteExecution that takes the controls.
        self.remote: dict[str, Any] = {}
        self.started_here: set[str] = set()  # started from this TUI: selected as they appear
        self._dirty: set[str] = set()
        self._added: list[str] = []
        self._subscribers: list[MessagePump] = []
        self._seq = itertools.count(1)
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

    def ordered(self) -> list[ExecutionView]:
        return list(self.views.values())

    def execution(self, execution_id: str | None) -> Any:
        """The live execution's controls (a RemoteExecution), or None."""
        view = self.views.get(execution_id or "")
        if view is None or not view.live:
            return None
        return self.remote.get(execution_id or "")

    # -- events ---------------------------------------------------------------------------
    def add_remote(self, view: ExecutionView, execution: Any) -> None:
        """Show an execution of the agent; `execution` (agent/remote.py) takes the controls."""
        view.logs = type(view.logs)(maxlen=self.log_max_lines)
        self.remote[view.id] = execution
        self.add_view(view)

    def apply_remote(self, execution_id: str, event: Any) -> None:
        """An event of an agent's execution, decoded to the engine's type: applied as the bus would."""
        view = self.views.get(execution_id)
        if view is None:
            return
        was_live = view.live or view.status == "pending"
        view.apply(event)
        self._dirty.add(view.id)
        if was_live and event.kind == "execution_finished":
            view.pause = None
            self.app.post_message(ExecutionEnded(view.id, view.status, view.playbook))

    def agent_lost(self) -> None:
        """The agent died (kill -9, OOM): its runs are no longer live. The next store open records
        them `interrupted` (resumable); shown so here now, so `q` does not ask about ghosts."""
        for view in self.active:
            if view.id in self.remote:
                view.status, view.pause = "interrupted", None
                view.error = view.error or "the agent stopped while it ran; r resumes it"
                for step in view.steps.values():  # as the record has them once recovered
                    if step.status == "running":
                        step.status, step.waiting = "interrupted", None
                        step.error = step.error or "the agent stopped during this step"
                view.version += 1
                self._dirty.add(view.id)
                self.app.post_message(ExecutionEnded(view.id, view.status, view.playbook))

    def touch(self, execution_id: str) -> None:
        """Something outside the engine changed a view (e.g. a recovered record)."""
        if execution_id in self.views:
            self.views[execution_id].version += 1
            self._dirty.add(execution_id)

    def add_view(self, view: ExecutionView) -> None:
        """Show an execution (the agent's, or a stored one such as an interrupted run)."""
        view.seq = view.seq or next(self._seq)
        self.views[view.id] = view
        self._added.append(view.id)
        self._dirty.add(view.id)

    def flush(self) -> None:
        """The coalesced tick: one message per subscriber, whatever the event rate."""
        self.ticks += 1
        for view in self.views.values():
            if view.status == "running" and view.id in self.remote:
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
        getattr(execution, action)(*args)
        return True
