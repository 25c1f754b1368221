"""One Playwright driver per process (per event loop, which is one per process
in `igtk run` and the TUI).

Starting the Node driver costs ~0.7 s, so sessions share it: `acquire()`
starts it on first use, `release()` stops it when the last session closes.
A host that runs executions back to back (the TUI) may call `set_linger(True)`:
the driver then stays up between executions and is stopped when the event
loop shuts down (asyncio.run cancels our keeper task, which stops it).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


class _Driver:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.users = 0
        self.start_task: asyncio.Task[Any] = loop.create_task(_start(), name="igtk:playwright-driver")
        self.keeper: asyncio.Task[None] | None = None


_current: _Driver | None = None
_linger = False


async def _start() -> Any:
    from playwright.async_api import async_playwright

    return await async_playwright().start()


def set_linger(on: bool) -> None:
    """Keep the driver between executions (until the event loop ends)."""
    global _linger
    _linger = on


async def acquire() -> Any:
    """The running Playwright instance for this loop, started if needed."""
    global _current
    loop = asyncio.get_running_loop()
    driver = _current
    if driver is None or driver.loop is not loop or driver.loop.is_closed():
        # A driver left by another (finished) loop cannot be used here; its
        # process ends with ours, and our reaper covers any browser it had.
        driver = _current = _Driver(loop)
    driver.users += 1
    try:
        playwright = await asyncio.shield(driver.start_task)
    except BaseException:
        driver.users -= 1
        task = driver.start_task
        if task.done() and not task.cancelled() and task.exception() and _current is driver:
            _current = None
        raise
    if _linger and driver.keeper is None:
        driver.keeper = loop.create_task(_keep(driver), name="igtk:playwright-keeper")
    return playwright


async def release() -> None:
    """One session fewer; the last one stops the driver unless it lingers."""
    global _current
    driver = _current
    if driver is None or driver.loop is not asyncio.get_running_loop():
        return
    driver.users = max(0, driver.users - 1)
    if driver.users or driver.keeper is not None:
        return
    _current = None
    await _stop(driver)


async def shutdown() -> None:
    """Stop the driver now (host application exit)."""
    global _current
    driver, _current = _current, None
    if driver is not None and driver.loop is asyncio.get_running_loop():
        if driver.keeper is not None:
            driver.keeper.cancel()
        await _stop(driver)


async def _stop(driver: _Driver) -> None:
    with contextlib.suppress(BaseException):
        playwright = await asyncio.shield(driver.start_task)
        await asyncio.shield(asyncio.wait_for(playwright.stop(), 10))


async def _keep(driver: _Driver) -> None:
    """Lives as long as the loop; its cancellation at loop shutdown stops the driver."""
    global _current
    try:
        await asyncio.Event().wait()
    finally:
        if _current is driver:
            _current = None
        await _stop(driver)


def running() -> bool:
    return _current is not None
