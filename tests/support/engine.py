"""Helpers for engine tests: write and load playbooks, record events and wait on them.

Waiting is always on events (an asyncio.Future completed by a bus subscriber),
never on sleeps. A few tiny step types are registered here through the public
`@step` API, the same way a plugin pack registers its steps, in a private registry
(`STEPS`: the built-ins and these) that `load` and `make` use, so they never reach the
global one.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igtk_tui import redact
from igtk_tui.config import Settings
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.engine.events import Event, EventBus
from igtk_tui.engine.execution import Execution
from igtk_tui.engine.nesting import PlaybookResolver
from igtk_tui.playbook.loader import load_file
from igtk_tui.playbook.model import Playbook
from igtk_tui.steps.registry import Output, Param, step
from igtk_tui.steptypes import REGISTRY, Registry
from tests.support.playbooks import write_playbook

WAIT = 15.0  # seconds before a wait gives up (a failing test, not a synchronisation)
# `finish` gives up only when a run stops making progress: no engine event for this long. A
# whole-run deadline failed slow but healthy runs (Chromium under a loaded CPU), a hang still fails.
IDLE = 60.0
_LAST_EVENT = [time.monotonic()]  # when any Recorder last saw an engine event

# -- test step types (a private registry) ---------------------------------------------------
STEPS = Registry(base=REGISTRY)
FLAKY_CALLS: dict[str, int] = {}


@step("test.flaky", description="Fail the first `failures` attempts for `key`, then succeed.",
      params=[Param("key", "string"), Param("failures", "integer")], outputs=[Output("calls", "integer")],
      registry=STEPS)
async def _flaky(ctx: StepContext, key: str, failures: int = 0) -> dict[str, Any]:
    FLAKY_CALLS[key] = FLAKY_CALLS.get(key, 0) + 1
    if FLAKY_CALLS[key] <= failures:
        raise StepFailure(f"planned failure {FLAKY_CALLS[key]} of {failures}")
    return {"calls": FLAKY_CALLS[key]}


@step("test.raise", description="Raise the named exception type with a message.",
      params=[Param("kind", "string", choices=("timeout", "value")), Param("message", "string")], registry=STEPS)
async def _raise(ctx: StepContext, kind: str, message: str = "") -> dict[str, Any]:
    raise (TimeoutError if kind == "timeout" else ValueError)(message)


@step("test.poll_forever", description="ctx.poll a probe that never succeeds.",
      params=[Param("timeout", "number", unit="s")], registry=STEPS)
async def _poll_forever(ctx: StepContext, timeout: float = 3600.0) -> dict[str, Any]:
    async def probe() -> None:
        return None

    await ctx.poll(probe, timeout=timeout, interval=0.05, what="nothing")
    return {}


# -- playbooks ----------------------------------------------------------------------------
def load(folder: Path, text: str, name: str = "pb.yaml") -> Playbook:
    return load_file(write_playbook(folder, text, name), registry=STEPS)


# -- events -------------------------------------------------------------------------------
Predicate = Callable[[Event], bool]


def matcher(kind: str | None = None, **fields: Any) -> Predicate:
    def match(event: Event) -> bool:
        if kind is not None and event.kind != kind:
            return False
        return all(getattr(event, k, object()) == v for k, v in fields.items())

    return match


class Recorder:
    """Subscribes to a bus, keeps every event, and lets a test await the n-th match."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self._waiters: list[tuple[Predicate, int, asyncio.Future[Event]]] = []
        self._hooks: list[tuple[Predicate, Callable[[Event], Any]]] = []
        bus.subscribe(self)

    def on(self, kind: str, action: Callable[[Event], Any], **fields: Any) -> None:
        """Call `action(event)` once, synchronously, when the first matching event is emitted."""
        self._hooks.append((matcher(kind, **fields), action))

    def __call__(self, event: Event) -> None:
        _LAST_EVENT[0] = time.monotonic()
        self.events.append(event)
        for hook in list(self._hooks):
            if hook[0](event):
                self._hooks.remove(hook)
                hook[1](event)
        for waiter in list(self._waiters):
            pred, n, fut = waiter
            if not fut.done() and self._nth(pred, n) is not None:
                fut.set_result(self._nth(pred, n))  # type: ignore[arg-type]
                self._waiters.remove(waiter)

    def _nth(self, pred: Predicate, n: int) -> Event | None:
        hits = [e for e in self.events if pred(e)]
        return hits[n - 1] if len(hits) >= n else None

    async def wait(self, kind: str | None = None, n: int = 1, **fields: Any) -> Event:
        return await self.wait_for(matcher(kind, **fields), n)

    async def wait_for(self, pred: Predicate, n: int = 1) -> Event:
        found = self._nth(pred, n)
        if found is not None:
            return found
        fut: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiters.append((pred, n, fut))
        async with asyncio.timeout(WAIT):
            return await fut

    def of(self, kind: str, **fields: Any) -> list[Event]:
        pred = matcher(kind, **fields)
        return [e for e in self.events if pred(e)]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def finished(self) -> list[tuple[str, str]]:
        """(step_id, status) of every StepFinished, in order."""
        return [(e.step_id, e.status.value) for e in self.of("step_finished")]  # type: ignore[attr-defined]

    def step(self, step_id: str) -> Any:
        """The last StepFinished of a step."""
        hits = self.of("step_finished", step_id=step_id)
        assert hits, f"step {step_id!r} never finished; finished: {self.finished()}"
        return hits[-1]

    def logs(self, step_id: str | None = None) -> list[str]:
        return [e.message for e in self.of("log") if step_id is None or e.step_id == step_id]  # type: ignore[attr-defined]


def make(
    playbook: Playbook,
    params: dict[str, Any] | None = None,
    *,
    tmp_path: Path,
    settings: Settings | None = None,
    roots: tuple[Path, ...] = (),
    **kwargs: Any,
) -> tuple[Execution, Recorder]:
    from igtk_tui.playbook.params import bind_parameters

    bus = EventBus()
    recorder = Recorder(bus)
    bound = bind_parameters(playbook, params or {})
    kwargs.setdefault("resolver", PlaybookResolver(roots, registry=STEPS))
    execution = Execution(
        playbook, bound, bus=bus, settings=settings or Settings(), artifacts_root=tmp_path / "artifacts",
        registry=STEPS, **kwargs,
    )
    return execution, recorder


def start(execution: Execution) -> asyncio.Task[Any]:
    return asyncio.create_task(execution.run())


async def finish(task: asyncio.Task[Any], *, idle: float = IDLE) -> Any:
    """The run's result, waited for on its end; a run with no engine event for `idle` s is hung."""
    while True:
        done, _ = await asyncio.wait({task}, timeout=idle)
        if done:
            return task.result()
        if time.monotonic() - _LAST_EVENT[0] >= idle:
            task.cancel()
            await asyncio.wait({task})
            raise AssertionError(f"the execution made no progress for {idle:g} s (hung)")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def script_pid(recorder: Recorder, step_id: str) -> int:
    """The pid a utility.python script printed as `PID=<pid>` (a log line of its stdout)."""
    event = await recorder.wait_for(
        lambda e: e.kind == "log" and e.step_id == step_id and e.message.startswith("PID="))  # type: ignore[attr-defined]
    return int(event.message.split("=", 1)[1])  # type: ignore[attr-defined]


# -- credentials: test data shaped like the vault (which is built elsewhere) ---------------------
class TinyCredential:
    """Test data shaped like a vault credential: `.field(name)` gives a value."""

    def __init__(self, name: str, username: str, password: str) -> None:
        self.name = name
        self._fields = {"username": username, "password": password, "gateway_url": "http://gw:8088"}

    def field(self, name: str) -> str:
        if name not in self._fields:
            raise KeyError(f"credential {self.name!r} has no field {name!r}")
        return self._fields[name]


class TinyProvider:
    """Test data shaped like the vault: `.get(name)`; registers secrets like the vault does."""

    def __init__(self, *creds: TinyCredential) -> None:
        self.creds = {c.name: c for c in creds}
        self.asked: list[str] = []

    def get(self, name: str) -> TinyCredential:
        self.asked.append(name)
        cred = self.creds[name]
        redact.register(cred.field("password"))
        return cred
