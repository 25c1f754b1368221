"""Helpers for the TUI tests: a runtime whose library holds the test playbooks only, the file vault
with a test passphrase, and helpers that wait on events (messages, workers, predicates checked once
per UI tick): never on fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igtk_tui.config import load_settings
from igtk_tui.paths import resolve_paths
from igtk_tui.playbook.library import Library
from igtk_tui.runtime import Runtime

PLAYBOOKS = Path(__file__).resolve().parents[1] / "tui" / "playbooks"
PASSPHRASE = "test-passphrase-for-tui"


class FixtureRuntime(Runtime):
    """A runtime whose library holds the test playbooks only (deterministic lists and snapshots)."""

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library([("extra", PLAYBOOKS), ("user", self.paths.user_playbooks_dir)],
                                    metadata=self.metadata)
        return self._library


def make_runtime(home: Path, *, vault: bool = False, **settings: Any) -> FixtureRuntime:
    # The agent this TUI starts gets this env: the file vault, and the test playbooks in its library.
    env = {"IGTK_HOME": str(home), "IGTK_VAULT_BACKEND": "file", "HOME": str(home),
           "IGTK_PLAYBOOK_DIRS": str(PLAYBOOKS)}
    if vault:
        env["IGTK_VAULT_PASSPHRASE"] = PASSPHRASE
    paths = resolve_paths(env)
    base = load_settings(paths, env)
    return FixtureRuntime(paths=paths, settings=base.with_overrides(**settings), env=env)


async def wait_until(pilot: Any, predicate: Callable[[], Any], *, timeout: float = 15.0, what: str = "") -> Any:
    """Re-check `predicate` after each processed batch of messages until true or the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def wait_for_message(pilot: Any, messages: list[Any], kind: type, *, timeout: float = 15.0,
                           where: Callable[[Any], bool] = lambda m: True) -> Any:
    return await wait_until(pilot, lambda: next((m for m in messages if isinstance(m, kind) and where(m)), None),
                            timeout=timeout, what=kind.__name__)


async def wait_for_status(pilot: Any, app: Any, execution_id: str, *statuses: str, timeout: float = 20.0) -> Any:
    return await wait_until(pilot, lambda: app.executions.views[execution_id].status in statuses, timeout=timeout,
                            what=f"execution {execution_id[:8]} to be {'/'.join(statuses)}")


async def library_ready(pilot: Any, app: Any) -> None:
    await wait_until(pilot, lambda: app.library_entries, what="the library")
    await wait_until(pilot, lambda: app.store is not None or not app.open_services, what="the store")
    await pilot.pause()


def entry(app: Any, rel: str) -> Any:
    return next(e for e in app.library_entries if e.rel_path == rel)


async def select_playbook(pilot: Any, app: Any, rel: str) -> None:
    """Move the library cursor to a playbook with the keyboard."""
    from igtk_tui.tui.widgets.playbook_tree import PlaybookTree

    tree = app.screen.query_one(PlaybookTree)
    tree.focus()
    await pilot.pause()
    for _ in range(40):
        selected = tree.selected_entry
        if selected is not None and selected.rel_path == rel:
            return
        await pilot.press("down")
    raise AssertionError(f"{rel} not reachable in the library tree")


async def start_playbook(pilot: Any, app: Any, rel: str, values: dict[str, str] | None = None,
                         *, debug: bool = False, breakpoints: str = "") -> Any:
    """Open the form with enter, fill it, run with ctrl+r; returns the new execution's view."""
    from igtk_tui.tui.screens.params_form import ParamsForm

    await select_playbook(pilot, app, rel)
    before = set(app.executions.views)
    await pilot.press("enter")
    form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen.query("#run")
                            and app.screen, what="the form")
    for name, value in (values or {}).items():
        form.query_one(f"#param-{name}").value = value
    if debug:
        form.query_one("#opt-debug").value = True
    if breakpoints:
        form.query_one("#opt-breakpoints").value = breakpoints
    await pilot.press("ctrl+r")
    new = await wait_until(pilot, lambda: set(app.executions.views) - before, what="a new execution")
    view = app.executions.views[next(iter(new))]
    await wait_until(pilot, lambda: app.main_screen.selected_id == view.id, what="the execution to be selected")
    return view


async def wait_step(pilot: Any, view: Any, path: str, *statuses: str, timeout: float = 20.0) -> None:
    await wait_until(pilot, lambda: view.steps.get(path) is not None and view.steps[path].status in statuses,
                     timeout=timeout, what=f"step {path} to be {'/'.join(statuses)}")


async def cancel_and_wait(pilot: Any, app: Any, view: Any) -> None:
    """End a test's long run cleanly (cancel in the agent, wait until the TUI shows its end)."""
    app.executions.control(view.id, "cancel")
    await wait_until(pilot, lambda: not view.live, what="the run to end")
