"""Recording one CLI execution: open the store, subscribe the recorder, close on exit.

Why a context manager shared by run, rerun and resume: every `igtk run` is
recorded the same way, the progress/JSON sink always reaches the terminal
through the recorder's post-commit delivery (a printed "step finished" is in
the database), and the store is closed in every outcome so the aiosqlite
thread never keeps the process alive. A local SQLite file that cannot be opened
costs a warning, never the run; a configured `store_url` that cannot be used
stops the run before its first step (exit 3): a team relying on a shared history
must not get runs that silently went unrecorded.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from igtk_tui.store.db import StoreConfigError, StoreError
from igtk_tui.store.recorder import Listener, Recorder


def warn_stderr(text: str) -> None:
    from igtk_tui.redact import scrub

    print(f"igtk: warning: {scrub(text)}", file=sys.stderr, flush=True)


@asynccontextmanager
async def recorded(runtime: Any, bus: Any, execution_id: str, sink: Listener, *,
                   rerun_of: str | None = None, resumed_from: str | None = None, state: Any = None,
                   warn: Callable[[str], None] = warn_stderr) -> AsyncIterator[Recorder | None]:
    """Subscribe `sink` through the recorder (or directly when there is no usable store);
    `state`: the execution's ExecutionState, which the recorder reads for its step rows.
    A resume of a fleet gateway's execution stays in its fleet run (store/fleet_resume.py)."""
    recorder: Recorder | None = None
    fleet_run_id: str | None = None
    try:
        try:
            store = await runtime.open_store(retention=True)
        except StoreConfigError:
            raise
        except (StoreError, sqlite3.Error, OSError) as exc:
            warn(f"this run is not recorded in the history: {exc}")
            store = None
        if store is not None:
            for item in store.recovered:
                warn(f"execution {item.id} was left running by a process that died; marked interrupted "
                     f"(resume it with `igtk resume {item.id[:8]}`)")
            library = getattr(runtime, "library", None)
            rel = (lambda p: library.relative(Path(p))) if library is not None else None
            recorder = store.recorder(playbook_rel=rel, on_warning=warn)
            if resumed_from:
                try:
                    fleet_run_id = await store.fleets.resumed(resumed_from, execution_id)
                except (StoreError, sqlite3.Error, OSError) as exc:
                    warn(f"the fleet run record could not be updated: {exc}")
            recorder.expect(execution_id, rerun_of=rerun_of, fleet_run_id=fleet_run_id, state=state)
            recorder.add_listener(sink)
            bus.subscribe(recorder)
        else:
            bus.subscribe(sink)
        yield recorder
    finally:
        try:
            if recorder is not None:
                await recorder.close()
                if fleet_run_id is not None and recorder.failed is None:
                    await _follow_fleet(store, execution_id, warn)
        finally:
            await runtime.close()


async def _follow_fleet(store: Any, execution_id: str, warn: Callable[[str], None]) -> None:
    try:
        await store.fleets.follow(execution_id)
    except (StoreError, sqlite3.Error, OSError) as exc:
        warn(f"the fleet run record could not be updated: {exc}")


async def open_for_command(runtime: Any) -> Any:
    """The store for history/show/delete/resume/rerun; an unusable database is exit 3."""
    from igtk_tui.errors import ServiceUnavailable

    try:
        return await runtime.open_store()
    except (StoreError, sqlite3.Error, OSError) as exc:
        raise ServiceUnavailable(f"the execution history is unavailable: {exc}") from None


def with_store(runtime: Any, fn: Callable[[Any], Any]) -> Any:
    """Run `await fn(store)` in a fresh event loop; the store is closed whatever happens."""
    import asyncio

    async def main() -> Any:
        try:
            store = await open_for_command(runtime)
            return await fn(store)
        finally:
            await runtime.close()

    return asyncio.run(main())
