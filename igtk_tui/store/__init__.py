"""Execution history in SQLite (default) or PostgreSQL (`store_url`): the process's store,
opened once and closed on exit.

`Store.open()` opens the database (db.py: one connection or a small pool, migrations), marks executions
of dead processes `interrupted` (recovery.py), and offers the repositories
and a Recorder (the EventBus subscriber). Retention runs as a background task
started with `start_retention()`, one small tick at a time, and is cancelled by
`close()` without waiting: it never delays start-up or exit.

Nothing here imports aiosqlite or psycopg at module scope; `Database.open` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from igtk_tui.paths import Paths
from igtk_tui.store.db import Database, StoreBusy, StoreConfigError, StoreError
from igtk_tui.store.location import StoreLocation, StoreUrlError, location_for, set_active
from igtk_tui.store.owner import ProcessIdentity
from igtk_tui.store.recorder import Recorder
from igtk_tui.store.recovery import Recovered, recover

if TYPE_CHECKING:
    from igtk_tui.store.checks import CheckRepository
    from igtk_tui.store.controls import ControlRepository
    from igtk_tui.store.executions import ExecutionRepository
    from igtk_tui.store.fleets import FleetRepository
    from igtk_tui.store.locks import LockRepository
    from igtk_tui.store.presets import PresetRepository
    from igtk_tui.store.schedules import ScheduleRepository

log = logging.getLogger(__name__)

__all__ = ["Store", "StoreError", "StoreBusy", "StoreConfigError", "StoreLocation", "Recorder"]


class Store:
    def __init__(self, db: Database, paths: Paths, settings: Any = None) -> None:
        self.db = db
        self.paths = paths
        self.settings = settings
        self._executions: ExecutionRepository | None = None
        self._presets: PresetRepository | None = None
        self._fleets: FleetRepository | None = None
        self._locks: LockRepository | None = None
        self._checks: CheckRepository | None = None
        self._schedules: ScheduleRepository | None = None
        self._controls: ControlRepository | None = None
        self.recovered: list[Recovered] = []
        self._retention: asyncio.Task[int] | None = None

    @classmethod
    async def open(cls, paths: Paths, settings: Any = None, *, recover_dead: bool = True,
                   busy_timeout_ms: int | None = None, location: StoreLocation | None = None) -> Store:
        """`location` defaults to what `settings.store_url` names (the state root's SQLite file
        when unset); the runtime passes one carrying a vault credential's password."""
        if location is None:
            try:
                location = location_for(paths.db_file, settings)
            except StoreUrlError as exc:
                raise StoreConfigError(str(exc)) from None
        if busy_timeout_ms is None:
            db = await Database.open(location)
        else:
            db = await Database.open(location, busy_timeout_ms=busy_timeout_ms)
        set_active(location)
        store = cls(db, paths, settings)
        if recover_dead:
            try:
                store.recovered = await recover(db)
            except BaseException:
                await db.close()
                raise
        return store

    @property
    def executions(self) -> ExecutionRepository:
        """History queries (imported on first use: `igtk run` only records)."""
        if self._executions is None:
            from igtk_tui.store.executions import ExecutionRepository

            self._executions = ExecutionRepository(self.db, self.paths)
        return self._executions

    @property
    def presets(self) -> PresetRepository:
        if self._presets is None:
            from igtk_tui.store.presets import PresetRepository

            self._presets = PresetRepository(self.db)
        return self._presets

    @property
    def fleets(self) -> FleetRepository:
        """Fleet runs and the gateways each planned (imported on first use)."""
        if self._fleets is None:
            from igtk_tui.store.fleets import FleetRepository

            self._fleets = FleetRepository(self.db)
        return self._fleets

    @property
    def locks(self) -> LockRepository:
        """Gateway locks: `await store.locks.acquire(url, execution_id, wait=...)` (store/locks.py)."""
        if self._locks is None:
            from igtk_tui.store.locks import LockRepository

            self._locks = LockRepository(self.db)
        return self._locks

    @property
    def checks(self) -> CheckRepository:
        """The last `igtk inventory check` answer of each gateway."""
        if self._checks is None:
            from igtk_tui.store.checks import CheckRepository

            self._checks = CheckRepository(self.db)
        return self._checks

    @property
    def schedules(self) -> ScheduleRepository:
        """Schedules and their fires (imported on first use)."""
        if self._schedules is None:
            from igtk_tui.store.schedules import ScheduleRepository

            self._schedules = ScheduleRepository(self.db)
        return self._schedules

    @property
    def controls(self) -> ControlRepository:
        """Controls relayed between agents sharing a PostgreSQL history (imported on first use)."""
        if self._controls is None:
            from igtk_tui.store.controls import ControlRepository

            self._controls = ControlRepository(self.db)
        return self._controls

    def recorder(self, *, playbook_rel: Callable[[str], str | None] | None = None,
                 on_warning: Callable[[str], None] | None = None, **kwargs: Any) -> Recorder:
        return Recorder(self.db, artifacts_root=self.paths.artifacts_dir, owner=ProcessIdentity.current(),
                        playbook_rel=playbook_rel, on_warning=on_warning, **kwargs)

    def start_retention(self) -> asyncio.Task[int] | None:
        """Apply Settings.retention_days / retention_count in the background."""
        days = getattr(self.settings, "retention_days", None)
        count = getattr(self.settings, "retention_count", None)
        if not days and count is None:
            return None
        if self._retention is None:
            from igtk_tui.store.retention import TICK_PAUSE, apply_retention

            self._retention = asyncio.get_running_loop().create_task(
                apply_retention(self.db, self.paths, days=days, count=count, pause=TICK_PAUSE),
                name="igtk-retention")
            self._retention.add_done_callback(_log_retention)
        return self._retention

    async def close(self) -> None:
        """Stop retention where it is, never waiting for it (the next start continues
        where it left off: at most the tick in flight finishes), and close the connection."""
        task, self._retention = self._retention, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _log_retention(task: asyncio.Task[int]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.warning("retention failed: %s", exc)
    elif task.result():
        log.info("retention removed %d executions", task.result())
