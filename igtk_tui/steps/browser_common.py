"""Shared plumbing for browser.* and perspective.* handlers: getting the page,
turning Playwright errors into plain messages, and saving what the page showed
when a step fails in debug mode."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from igtk_tui import redact
from igtk_tui.browser.discovery import BrowserUnavailable
from igtk_tui.browser.session import BrowserSession, first_line, get_session
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.registry import Param, Prelude, with_prelude
from igtk_tui.steptypes import Handler

EXCERPT_CHARS = 500
CAPTURE_TIMEOUT_S = 5.0


def timeout_param(what: str = "wait") -> Param:
    """Browser timeouts are milliseconds; `min` rejects a seconds-sized value at load time."""
    return Param("timeout", "integer", unit="ms", min=100, max=600_000, description=f"Milliseconds to {what} (not seconds)")


SELECTOR = Param("selector", "string",
                 description="Playwright selector: CSS (#id, [data-component=...]), text=..., :has-text()")


def browser_step(fn: Handler) -> Handler:
    """Wrap `fn(ctx, page, **params)`: start/reuse the session, plain errors, debug capture
    (the prelude passes the execution's page after ctx)."""

    @functools.wraps(fn)
    async def handler(ctx: StepContext, **params: Any) -> dict[str, Any]:
        try:
            session = await get_session(ctx)
        except BrowserUnavailable as exc:
            raise StepFailure(f"browser unavailable: {exc}") from None
        try:
            page = await session.page()
            return await fn(ctx, page, **params)
        except asyncio.CancelledError:
            session.interrupted()  # skip/cancel/step timeout: leave the page usable
            raise
        except StepFailure:
            await capture_failure(ctx, session)
            raise
        except Exception as exc:  # noqa: BLE001 - Playwright errors become plain step failures
            if not _is_playwright_error(exc):
                raise
            await capture_failure(ctx, session)
            raise StepFailure(plain_error(exc, params.get("selector"))) from None

    return with_prelude(handler, Prelude(injects=("page",)))


def _is_playwright_error(exc: BaseException) -> bool:
    from playwright.async_api import Error as PlaywrightError

    return isinstance(exc, PlaywrightError)


def plain_error(exc: BaseException, selector: str | None = None) -> str:
    """A Playwright error as one line an operator can act on."""
    line = first_line(exc)
    lowered = line.lower()
    if "target page, context or browser has been closed" in lowered or "browser has been closed" in lowered:
        return "the browser page was closed (did Chromium crash or a script close the window?)"
    if selector and ("unexpected token" in lowered or "is not a valid selector" in lowered
                     or "unknown engine" in lowered):
        return f"invalid selector {selector!r}: {line}"
    return line


def is_timeout(exc: BaseException) -> bool:
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    return isinstance(exc, PlaywrightTimeout)


async def require(page: Any, selector: str, timeout: int) -> Any:
    """The first element matching `selector`, waiting up to `timeout` ms for it to exist."""
    locator = page.locator(selector).first
    try:
        await locator.wait_for(state="attached", timeout=timeout)
    except Exception as exc:
        if is_timeout(exc):
            raise StepFailure(f"no element matches {selector!r} after {timeout} ms") from None
        raise
    return locator


async def why_not(page: Any, selector: str, timeout: int, action: str) -> str:
    """After an action timed out: say whether the element is missing, hidden or disabled."""
    locator = page.locator(selector)
    try:
        count = await locator.count()
        if count == 0:
            return f"no element matches {selector!r} after {timeout} ms"
        first = locator.first
        if not await first.is_visible():
            return f"could not {action} {selector!r} within {timeout} ms: the element is hidden"
        if action != "read" and not await first.is_enabled():
            return f"could not {action} {selector!r} within {timeout} ms: the element is disabled"
        if action == "fill" and not await first.is_editable():
            return f"could not {action} {selector!r} within {timeout} ms: the element is not editable"
    except Exception as exc:  # noqa: BLE001 - the explanation must not hide the failure
        if not _is_playwright_error(exc):
            raise
    return f"could not {action} {selector!r} within {timeout} ms (covered by another element or still moving)"


async def act(page: Any, selector: str, timeout: int, action: str,
              call: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `call(locator)`; a Playwright timeout becomes a plain 'why' message."""
    locator = page.locator(selector).first
    try:
        return await call(locator)
    except Exception as exc:
        if is_timeout(exc):
            raise StepFailure(await why_not(page, selector, timeout, action)) from None
        raise


async def visible_text(page: Any) -> str:
    return str(await page.evaluate("() => document.body ? document.body.innerText : ''") or "")


async def capture_failure(ctx: StepContext, session: BrowserSession) -> None:
    """Debug mode: save a screenshot and the page's visible text as artifacts and in the failure context."""
    page = session._page
    if page is None or page.is_closed():
        return
    with _suppress():
        ctx.failure_context["url"] = page.url
    if not ctx.debug:
        return
    try:
        async with asyncio.timeout(CAPTURE_TIMEOUT_S):
            shot = ctx.artifact_path("failure", ".png")
            await page.screenshot(path=str(shot), timeout=int(CAPTURE_TIMEOUT_S * 1000))
            ctx.add_artifact(shot, "screenshot")
            ctx.failure_context["screenshot"] = str(shot)
            text = redact.scrub(await visible_text(page))
            text_path = ctx.artifact_path("failure-page", ".txt")
            text_path.write_text(text, encoding="utf-8")
            ctx.add_artifact(text_path, "page-text")
            ctx.failure_context["page_text"] = str(text_path)
            excerpt = re.sub(r"\s+", " ", text).strip()
            ctx.failure_context["page_text_excerpt"] = (
                excerpt if len(excerpt) <= EXCERPT_CHARS else excerpt[:EXCERPT_CHARS] + "…")
            ctx.failure_context["title"] = await page.title()
    except Exception as exc:  # noqa: BLE001 - capture is best effort; the step's own error wins
        ctx.log(f"could not capture the page after the failure: {first_line(exc)}", "warning")


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return exc[0] is not None and issubclass(exc[0], Exception)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


async def wait_for_text(page: Any, selector: str, expected: str, how: str, timeout: int) -> str:
    """Wait until the element's text (an input's value) matches; return it, or fail with expected vs actual.

    `expect` re-resolves the selector on every poll, so a view that re-renders
    the element is still followed.
    """
    from playwright.async_api import expect

    locator = await require(page, selector, timeout)
    if how == "regex":
        try:
            pattern: Any = re.compile(expected)
        except re.error as exc:
            raise StepFailure(f"invalid regular expression {expected!r}: {exc}") from None
    elif how == "contains":
        pattern = re.compile(re.escape(_norm(expected)).replace(r"\ ", r"\s+"))
    else:
        pattern = expected
    is_input = await locator.evaluate("el => ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)")
    try:
        if is_input:
            exact = re.compile("^" + re.escape(expected) + "$") if how == "exact" else pattern
            await expect(locator).to_have_value(exact, timeout=timeout)
        elif how == "contains":
            await expect(locator).to_contain_text(expected, timeout=timeout)
        else:
            await expect(locator).to_have_text(pattern, timeout=timeout)
    except AssertionError:
        actual = await read_text(locator)
        raise StepFailure(f"text of {selector!r} did not match after {timeout} ms: "
                          f"expected {expected!r} ({how}), actual {actual!r}") from None
    return await read_text(locator)


async def read_text(locator: Any) -> str:
    """text_content, or the value of an input/textarea/select."""
    tag = await locator.evaluate("el => el.tagName")
    if tag in ("INPUT", "TEXTAREA", "SELECT"):
        return str(await locator.input_value())
    return _norm(str(await locator.text_content() or ""))
