"""Leaving the TUI. `q` with runs going asks: detach (they go on), cancel them, or stay; SIGHUP,
SIGTERM and `quit-now` just leave. The runs are the agent's, so leaving never touches them. The
services close once, whoever asks first (quit, a signal, or the unmount after Textual's own exit).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp

CANCEL_WAIT = 30.0  # seconds `q` → "cancel them" waits for the agent to record the ends


class Leaving:
    def __init__(self, app: IgtkApp) -> None:
        self.app = app
        self.quitting = False
        self._close_task: asyncio.Future[None] | None = None

    def ask(self) -> None:
        """Leave at once when nothing runs; else ask: detach (the runs go on), cancel them, or stay."""
        from igtk_tui.tui.screens.quit import CANCEL, DETACH, QuitScreen

        app = self.app
        running = [v.id for v in app.executions.active]
        if not running:
            self.shutdown()
            return
        if isinstance(app.screen, QuitScreen):
            return

        def answered(choice: str | None) -> None:
            if choice == DETACH:
                self.shutdown()
            elif choice == CANCEL:
                app.run_worker(self._cancel_then_quit(running), group="shutdown", exit_on_error=False,
                               name="cancel and quit")

        app.push_screen(QuitScreen(len(running), can_detach=app.demo is None), answered)

    async def _cancel_then_quit(self, execution_ids: list[str]) -> None:
        """The operator's cancel of each run (recorded `cancelled` by the agent), then leave."""
        app = self.app
        app.notify(f"cancelling {len(execution_ids)} execution(s)…", markup=False)
        await app.agent.cancel(execution_ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_WAIT
        while any(v.live for i in execution_ids if (v := app.executions.views.get(i)) is not None):
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.05)  # the feed applies the ends as the agent records them
        self.shutdown()

    def shutdown(self) -> None:
        if not self.quitting:
            self.quitting = True
            self.app.run_worker(self._quit_cleanly(), group="leave", exit_on_error=False, name="shutdown")

    async def _quit_cleanly(self) -> None:
        try:
            await self.close_services()
        finally:
            self.app.exit(0)

    def close_services(self) -> Awaitable[None]:
        if self._close_task is None:
            self._close_task = asyncio.ensure_future(self._close_services_once())
        return asyncio.shield(self._close_task)

    async def _close_services_once(self) -> None:
        """Remember this visit (with what still runs), stop following the agent, close the store."""
        from igtk_tui.tui import visits

        app = self.app
        if app.open_services:
            live = [v.id for v in app.executions.active]
            await asyncio.to_thread(visits.write_visit, app.runtime.paths.state_dir, live)
        await app.agent.close()
        app.store = None
        await app.runtime.close()
        gc.unfreeze()
