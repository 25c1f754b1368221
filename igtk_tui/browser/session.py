"""One browser per execution, started lazily by the first step that needs it.

The session lives in the execution's `ctx.resources` (key "browser"), so
nested `playbook.run` children share it and a login carries over. Its closer
is registered before the launch starts, and the launch runs in its own task:
a cancel or skip in the middle of a launch cannot leave a browser nobody
closes. The closer runs shielded when the execution ends (completed, failed,
cancelled, timed out); the reaper kills the process group if Playwright could
not close it.

Chromium runs with the flags that work as root on a closed network (no sandbox
as root, no first-run or update checks, no GPU), Playwright's own temporary profile (never --user-data-dir),
and a temporary HOME so nothing is written to ~/.config/chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import tempfile
import time
from typing import TYPE_CHECKING, Any

from igtk_tui.browser import driver, reaper
from igtk_tui.browser.discovery import BrowserBinary, BrowserUnavailable, find_browser

if TYPE_CHECKING:
    from igtk_tui.engine.context import StepContext

RESOURCE_KEY = "browser"
VERSION_KEY = "browser_version"
FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1920, "height": 1080}
LAUNCH_TIMEOUT_MS = 30_000
CLOSE_TIMEOUT_S = 10.0
SHORT_TMP_MAX = 40  # TMPDIR + "/igtk-browser-XXXXXXXX/.org.chromium.Chromium.XXXXXX/SingletonSocket" < 108


class BrowserSession:
    """A launched Chromium with one context and one page, plus what it takes to end it."""

    def __init__(self, binary: BrowserBinary, *, headless: bool = True) -> None:
        self.binary = binary
        self.headless = headless
        self.token = secrets.token_hex(8)
        self.home = tempfile.mkdtemp(prefix="igtk-browser-", dir=_short_tmp())
        self.browser: Any = None
        self.context: Any = None
        self._page: Any = None
        self.version = ""
        self.launch_seconds = 0.0
        self._ctx: StepContext | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._downloads: set[asyncio.Task[None]] = set()
        self._settling: asyncio.Task[None] | None = None
        self._closed = False
        self._driver_held = False
        self._tracked = reaper.track(self.token, self.home)

    # -- lifecycle ------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The browser's main process id (its process-group id too)."""
        return self._tracked.pid

    @property
    def profile(self) -> str | None:
        """Playwright's temporary profile folder (removed with the session)."""
        return self._tracked.profile

    @property
    def connected(self) -> bool:
        return bool(self.browser is not None and self.browser.is_connected() and reaper.alive(self.pid))

    def bind(self, ctx: StepContext) -> None:
        """The step now using the browser: downloads become its artifacts."""
        self._ctx = ctx

    async def ensure_started(self) -> None:
        if self._start_task is None:
            self._start_task = asyncio.get_running_loop().create_task(self._start(), name="igtk:browser-launch")
        await asyncio.shield(self._start_task)

    async def _start(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        started = time.monotonic()
        playwright = await driver.acquire()
        self._driver_held = True
        env = {**os.environ, "HOME": self.home, "TMPDIR": self.home,
               "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
               "XDG_CACHE_HOME": os.path.join(self.home, ".cache")}
        try:
            self.browser = await playwright.chromium.launch(
                executable_path=self.binary.path, headless=self.headless,
                args=[*FLAGS, f"{reaper.MARKER}{self.token}"], env=env,
                downloads_path=os.path.join(self.home, "downloads"), timeout=LAUNCH_TIMEOUT_MS,
            )
        except PlaywrightError as exc:
            raise BrowserUnavailable(
                f"could not start the browser {self.binary.path} (found via {self.binary.source}): "
                f"{first_line(exc)}"
            ) from None
        self._tracked.pid = await asyncio.to_thread(reaper.find_browser_pid, self.token)
        if self._tracked.pid is not None:
            self._tracked.profile = reaper.user_data_dir(self._tracked.pid)
        self.version = self.browser.version
        self.context = await self.browser.new_context(viewport=VIEWPORT, ignore_https_errors=True,
                                                      accept_downloads=True)
        self.launch_seconds = time.monotonic() - started

    async def page(self) -> Any:
        """The session's page (a new one if a script closed it)."""
        await self.ensure_started()
        if self._settling is not None:
            settling, self._settling = self._settling, None
            with contextlib.suppress(Exception):
                await settling
        if self._page is None or self._page.is_closed():
            self._page = await self.context.new_page()
            self._page.on("download", self._on_download)
        return self._page

    async def close(self) -> None:
        """Close everything; idempotent, bounded in time, never raises."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._start_task is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(asyncio.shield(self._start_task), LAUNCH_TIMEOUT_MS / 1000)
            if self._settling is not None:
                self._settling.cancel()
            if self._downloads:
                await asyncio.wait(self._downloads, timeout=CLOSE_TIMEOUT_S)
            if self.browser is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(self.browser.close(), CLOSE_TIMEOUT_S)
        finally:
            with contextlib.suppress(Exception):  # kill is a no-op when it already exited; rmtree off the loop
                await asyncio.to_thread(reaper.retire, self._tracked)
            if self._driver_held:
                self._driver_held = False
                await driver.release()

    def interrupted(self) -> None:
        """A step was cancelled/skipped mid-action: stop any load it left pending.

        A navigation to a page that never answers leaves Chromium "loading", and
        every script call on the page then waits; Page.stopLoading brings the
        previous document back. Runs in the background (we are being
        cancelled); the next `page()` waits for it.
        """
        page = self._page
        if page is None or page.is_closed() or self._closed or self._settling is not None:
            return
        self._settling = asyncio.get_running_loop().create_task(self._stop_loading(page))

    async def _stop_loading(self, page: Any) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                cdp = await self.context.new_cdp_session(page)
                await cdp.send("Page.stopLoading")
                await cdp.detach()

    # -- downloads -------------------------------------------------------------
    def _on_download(self, download: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._save_download(download))
        self._downloads.add(task)
        task.add_done_callback(self._downloads.discard)

    async def _save_download(self, download: Any) -> None:
        ctx = self._ctx
        if ctx is None:
            return
        target = ctx.artifact_path(download.suggested_filename or "download")
        try:
            await download.save_as(target)
        except Exception as exc:  # noqa: BLE001 - a failed download is logged, not fatal
            ctx.log(f"download {download.suggested_filename!r} failed: {first_line(exc)}", "warning")
            return
        ctx.add_artifact(target, "download")
        ctx.log(f"downloaded {download.suggested_filename!r} to {target}")


async def get_session(ctx: StepContext) -> BrowserSession:
    """The execution's browser session, launched on first use and shared with nested playbooks."""
    session: BrowserSession | None = ctx.resources.get(RESOURCE_KEY)
    if session is not None and session._start_task is not None and session._start_task.done():
        failed = session._start_task.cancelled() or session._start_task.exception() is not None
        if failed or not session.connected:
            ctx.log("the browser is gone (crashed or failed to start); starting a new one", "warning")
            await session.close()
            session = None
    if session is None:
        binary = find_browser(ctx.settings)
        session = BrowserSession(binary, headless=bool(getattr(ctx.settings, "browser_headless", True)))
        ctx.resources.put(RESOURCE_KEY, session, closer=session.close)
        session.bind(ctx)
        await session.ensure_started()
        ctx.log(f"browser: Chromium {session.version} ({binary.path}, via {binary.source}), "
                f"started in {session.launch_seconds:.2f} s")
        ctx.note(VERSION_KEY, session.version)
    session.bind(ctx)
    await session.ensure_started()
    return session


def _short_tmp() -> str:
    """A temp folder short enough for Chromium's singleton socket path (108 bytes).

    With a long TMPDIR (CI sandboxes, pytest folders) Chromium exits at start
    with nothing but "browser has been closed".
    """
    base = tempfile.gettempdir()
    if len(base) <= SHORT_TMP_MAX or not os.access("/tmp", os.W_OK | os.X_OK):
        return base
    return "/tmp"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    text = text.split("Call log:")[0].strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    line = lines[0] if lines else type(exc).__name__
    return re.sub(r"^[A-Z]\w*\.\w+: ", "", line)  # Playwright's "Page.goto: " call prefix
