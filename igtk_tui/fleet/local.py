"""`igtk run --on`: each gateway's execution in this process, with the engine and recorder of `igtk run`.

For each gateway, once the coordinator (runner.py) gave it a fork: a quick probe (a playbook
with gateway steps: nothing answering fails that gateway at once, exit 3's rule for one run),
the execution built from the inventory entry (its URL and credential through the run's one
gateway rule, engine/launch.py), the gateway's lock (store/locks.py; busy fails that gateway
unless `--lock-wait` lets it wait), the run, the lock released.
"""

from __future__ import annotations

import asyncio
from typing import Any

from igtk_tui.fleet.runner import FleetRun, Member


class InProcessLauncher:
    def __init__(self, credentials: Any) -> None:
        self.credentials = credentials
        self.run: FleetRun | None = None
        self._recorder: Any = None
        self._by_execution: dict[str, Member] = {}

    async def open(self, run: FleetRun) -> Any:
        from igtk_tui.errors import ServiceUnavailable
        from igtk_tui.store import StoreError

        self.run = run
        try:
            store = await run.runtime.open_store(retention=True)
        except (StoreError, OSError) as exc:
            await run.runtime.close()
            raise ServiceUnavailable(f"fleet runs are recorded and locked in the history database, which is "
                                     f"unavailable: {exc}") from None
        for item in store.recovered:
            run.warn(f"execution {item.id} was left running by a process that died; marked interrupted")
        self._recorder = store.recorder(playbook_rel=run.rel, on_warning=run.warn)
        self._recorder.add_listener(self._on_event)
        return store

    async def close(self) -> None:
        assert self.run is not None
        try:
            if self._recorder is not None:
                await self._recorder.close()
        finally:
            await self.run.runtime.close()

    async def launch(self, run: FleetRun, m: Member) -> None:
        from igtk_tui.engine.events import EventBus
        from igtk_tui.sinks.process_log import ExecutionLogCopy
        from igtk_tui.store.locks import GatewayBusy

        if not await self._reachable(run, m):
            return
        request = m.request
        bus = EventBus()
        bus.subscribe(ExecutionLogCopy())
        execution = run.runtime.new_execution(
            request.playbook, request.params, bus=bus, trigger="fleet", gateway_url=request.gateway_url,
            gateway_override=m.gateway.url, credential_names=request.credential_names, credentials=self.credentials)
        self._by_execution[execution.id] = m
        path = request.playbook.path
        self._recorder.expect(execution.id, playbook_rel=run.rel(str(path)) if path else None, fleet_run_id=run.id,
                              state=execution.state)
        bus.subscribe(self._recorder)
        wait = run.options.lock_wait
        try:
            lock = await run.store.locks.acquire(
                m.gateway.url, execution.id, playbook=request.playbook.name, fleet_run_id=run.id, wait=wait,
                on_wait=lambda holder: run.warn(f"gateway {m.name} is busy: waiting up to {wait:g}s for "
                                                f"{holder.describe()}"))
        except GatewayBusy as exc:
            await run.finish_member(m, "failed", error=str(exc), reason="busy")
            return
        try:
            await run.started_member(m, execution.id, execution)
            if run.ending == "cancelled":
                execution.cancel()
            result = await execution.run()
            await self._recorder.flush()  # the execution's last rows before the member's
        finally:
            await asyncio.shield(release(lock, run.warn))
        await run.finish_member(m, result.status.value, error=result.error, failed_step=execution.state.failed_top)

    async def _reachable(self, run: FleetRun, m: Member) -> bool:
        """A playbook with gateway steps first checks something answers (what exit 3 is for one run)."""
        from igtk_tui.gateway.probe import GatewayUnreachable, probe, uses_gateway

        if not uses_gateway(run.playbook):
            return True
        settings = run.runtime.settings
        try:
            await probe(m.gateway.url, bool(settings.verify_tls), float(settings.connect_timeout or 10.0),
                        ca_bundle=settings.ca_bundle)
        except GatewayUnreachable as exc:
            await run.finish_member(m, "failed", error=f"unreachable: {exc}", reason="unreachable")
            return False
        return True

    def _on_event(self, event: Any) -> None:
        """Post-commit engine events (the recorder's listener): the JSON lines."""
        m = self._by_execution.get(event.execution_id)
        if m is None or self.run is None:
            return
        self.run.output.engine_event(self.run, m, event)


async def release(lock: Any, warn: Any) -> None:
    """Release a gateway lock; a failure is a warning (crash recovery frees it once the holder has gone)."""
    try:
        await lock.release()
    except Exception as exc:  # noqa: BLE001
        warn(f"the lock of {lock.url} was not released: {exc}")
