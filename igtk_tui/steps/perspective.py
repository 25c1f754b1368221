"""perspective.* steps: Perspective sessions driven like an operator would.

Components are found by `component_id` (meta.domId, the element id) or by
`component` type (`data-component`), the locators Inductive Automation's own
test tools recommend; navigation stays inside the SPA after the first load; the login
is the IdP two-step form. FAT helpers (discover_page, extract_component_metadata,
execute_test_manifest) live in perspective_fat.py.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps import perspective_common as psp
from igtk_tui.steps.browser import CHECK_STATES, MATCHES, VERIFY_MS, check_state
from igtk_tui.steps.browser_common import (
    act,
    browser_step,
    is_timeout,
    read_text,
    require,
    timeout_param,
    wait_for_text,
)
from igtk_tui.steps.registry import Output, Param, step

LOGIN_FIELD = "input.username-field"
PASSWORD_FIELD = "input.password-field"
SUBMIT = "div.submit-button"
LOGIN_ERROR = ".error-message"
COMPONENT_OUTS = (Output("selector", "string", "The selector the component was found by"),
                  Output("component_id", "string", "As given", nullable=True))
URL_OUT = Output("url", "string", "The session's URL now")


@step(
    "perspective.navigate",
    description="Open a Perspective page: the first visit loads the session URL, later ones navigate inside the app.",
    params=[
        Param("url", "string", description="Gateway URL, or a full /data/perspective/client/<project>/<page> URL"),
        Param("project", "string", description="Project name (default: the open session's)"),
        Param("page", "string", description="Page URL inside the project, e.g. / or /overview"),
        Param("reload", "boolean",
              description="Load the URL even if the app is open (resets page state)"),
        Param("wait_for", "string", description="Selector the new view must show"),
        timeout_param("wait for the page"),
    ],
    outputs=[URL_OUT, Output("title", "string", "The page's title"),
             Output("method", "string", "goto (a page load), link or history (inside the app), already there"),
             Output("project", "string", "The project shown", nullable=True),
             Output("page", "string", "The page shown", nullable=True), Output("status", "string", "navigated")],
)
@browser_step
async def navigate(ctx: StepContext, tab: Any, url: str | None = None, project: str | None = None, page: str = "/",
                   reload: bool = False, wait_for: str | None = None, timeout: int = 30_000) -> dict[str, Any]:
    target = psp.target_url(tab.url, url, project, page)
    try:
        method = await psp.navigate(tab, target, timeout, reload)
    except Exception as exc:
        if is_timeout(exc):
            raise StepFailure(f"{target} did not finish loading within {timeout} ms") from None
        raise
    await psp.wait_ready(tab, timeout)
    await _check_landed(tab, target)
    if wait_for:
        await act(tab, wait_for, timeout, "find", lambda loc: loc.wait_for(state="visible", timeout=timeout))
    where = psp.parse_client_url(tab.url)
    ctx.log(f"perspective: {tab.url} ({method})")
    return {"url": tab.url, "title": await tab.title(), "method": method,
            "project": where[1] if where else None, "page": where[2] if where else None, "status": "navigated"}


async def _check_landed(page: Any, target: str) -> None:
    state = await psp.terminal_state(page)
    if state:
        raise StepFailure(f"Perspective shows {state!r} at {page.url}")
    if await page.locator(LOGIN_FIELD).count():
        raise StepFailure(f"{target} requires a sign-in (the IdP login page is shown); run perspective.login first")


@step(
    "perspective.login",
    description="Sign in through the Perspective/IdP two-step form (username, CONTINUE, password, sign in).",
    params=[
        Param("url", "string", description="Page to open first (a secured Perspective page or the login URL)"),
        Param("username", "string", description="The IdP user"),
        Param("password", "string", secret=True, description="The IdP user's password"),
        timeout_param("wait for each stage"),
    ],
    outputs=[Output("status", "string", "logged_in or already_logged_in"), URL_OUT,
             Output("username", "string", "As given")],
)
@browser_step
async def login(ctx: StepContext, page: Any, username: str, password: str, url: str | None = None,
                timeout: int = 30_000) -> dict[str, Any]:
    if url:
        try:
            await page.goto(url, wait_until="load", timeout=timeout)
        except Exception as exc:
            if is_timeout(exc):
                raise StepFailure(f"{url} did not finish loading within {timeout} ms") from None
            raise
    await psp.wait_ready(page, timeout)
    if not await page.locator(LOGIN_FIELD).count():
        ctx.log("perspective.login: no login form shown; already signed in")
        return {"status": "already_logged_in", "url": page.url, "username": username}
    user_field = page.locator(LOGIN_FIELD).first
    if await user_field.is_visible():
        await act(page, LOGIN_FIELD, timeout, "fill", lambda loc: loc.fill(username, timeout=timeout))
        await act(page, SUBMIT, timeout, "click", lambda loc: loc.click(timeout=timeout))
    elif await user_field.input_value() != username:  # a failed try left the form at the password stage
        raise StepFailure("the login form is waiting for another user's password; give url to start a new sign-in")
    await act(page, PASSWORD_FIELD, timeout, "fill", lambda loc: loc.fill(password, timeout=timeout))
    await _submit_password(page, timeout)
    await psp.wait_ready(page, timeout)
    ctx.log(f"perspective.login: signed in as {username}")
    return {"status": "logged_in", "url": page.url, "username": username}


async def _submit_password(page: Any, timeout: int) -> None:
    """Submit, then read the IdP's verdict from its answer (`{"success": true|false, ...}`).

    The answer decides, not the page: after a failed try the form still shows
    the previous error while a new attempt is under way.
    """
    def is_challenge(response: Any) -> bool:
        return response.request.method == "POST" and "/authn/" in response.url

    async with page.expect_response(is_challenge, timeout=timeout) as answer:
        await act(page, SUBMIT, timeout, "click", lambda loc: loc.click(timeout=timeout))
    response = await answer.value
    try:
        data = await response.json()
    except Exception:  # noqa: BLE001 - the no-script form answers HTML or a redirect
        data = None
    verdict = data.get("success") if isinstance(data, dict) else None
    if verdict is False:
        raise StepFailure(f"login rejected: {data.get('message') or 'the IdP refused the username or password'}")
    if verdict is True:
        try:
            await page.wait_for_url(lambda u: "/idp/" not in u, timeout=timeout)
        except Exception as exc:
            if not is_timeout(exc):
                raise
            raise StepFailure(f"login did not complete within {timeout} ms (still at {page.url})") from None
        return
    await _await_login(page, timeout)


async def _await_login(page: Any, timeout: int) -> None:
    """Either the browser leaves the IdP (signed in) or the form shows its error."""
    left = asyncio.ensure_future(page.wait_for_url(lambda u: "/idp/" not in u, timeout=timeout))
    error = asyncio.ensure_future(page.locator(LOGIN_ERROR).first.wait_for(state="visible", timeout=timeout))
    try:
        done, _ = await asyncio.wait({left, error}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (left, error):
            if not task.done():
                task.cancel()
        await asyncio.gather(left, error, return_exceptions=True)
    if error in done and not error.exception():
        message = (await page.locator(LOGIN_ERROR).first.text_content() or "").strip()
        raise StepFailure(f"login rejected: {message or 'the IdP refused the credentials'}")
    exc = left.exception() if left.done() and not left.cancelled() else None
    if exc is not None:
        if is_timeout(exc):
            raise StepFailure(f"login did not complete within {timeout} ms (still at {page.url})")
        raise exc


@step(
    "perspective.click",
    description="Click a Perspective component by domId or type.",
    params=[*psp.locator_params(), timeout_param("wait for the component"),
            Param("force", "boolean", description="Skip the actionability checks")],
    outputs=[*COMPONENT_OUTS, Output("status", "string", "clicked")],
)
@browser_step
async def click(ctx: StepContext, page: Any, timeout: int = 30_000, force: bool = False,
                **where: Any) -> dict[str, Any]:
    selector = psp.component_selector(**where)
    await act(page, selector, timeout, "click", lambda loc: loc.click(timeout=timeout, force=force))
    return {"selector": selector, "component_id": where.get("component_id"), "status": "clicked"}


@step(
    "perspective.fill",
    description="Enter a value in a Perspective input (the component itself or the <input> inside it).",
    params=[*psp.locator_params(), Param("value", "string", secret=True, description="Text to enter"),
            Param("commit", "boolean",
                  description="Leave the field afterwards so the value is committed"),
            timeout_param("wait for the component")],
    outputs=[*COMPONENT_OUTS, Output("status", "string", "filled")],
)
@browser_step
async def fill(ctx: StepContext, page: Any, value: str, commit: bool = True, timeout: int = 30_000,
               **where: Any) -> dict[str, Any]:
    selector = await editable_selector(page, psp.component_selector(**where), timeout)
    await act(page, selector, timeout, "fill", lambda loc: loc.fill(value, timeout=timeout))
    if commit:
        await page.locator(selector).first.blur(timeout=timeout)
    return {"selector": selector, "component_id": where.get("component_id"), "status": "filled"}


async def editable_selector(page: Any, selector: str, timeout: int) -> str:
    """The component if it is an input, else the first input/textarea inside it."""
    locator = await require(page, selector, timeout)
    editable = await locator.evaluate(
        "el => ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.isContentEditable")
    return selector if editable else f"{selector} >> input, textarea"


@step(
    "perspective.verify",
    description="Check a Perspective component: exists (or not), its text and/or its state; waits for it.",
    params=[*psp.locator_params(), Param("exists", "boolean", description="false: check that it is not there"),
            Param("expected", "string", description="Expected text (an input's value)"),
            Param("match", "string", choices=MATCHES, description="How the text is compared"),
            Param("state", "string", choices=CHECK_STATES, description="Also check this state"), timeout_param("wait")],
    outputs=[*COMPONENT_OUTS, Output("exists", "boolean", "As checked"),
             Output("text", "string", "The component's text (None when exists: false)", nullable=True),
             Output("expected", "string", "As given", nullable=True),
             Output("state", "string", "As given", nullable=True), Output("status", "string", "verified")],
)
@browser_step
async def verify(ctx: StepContext, page: Any, exists: bool = True, expected: str | None = None, match: str = "exact",
                 state: str | None = None, timeout: int = VERIFY_MS, **where: Any) -> dict[str, Any]:
    selector = psp.component_selector(**where)
    out = {"selector": selector, "component_id": where.get("component_id"), "exists": exists,
           "text": None, "expected": expected, "state": state, "status": "verified"}
    if not exists:
        try:
            await page.locator(selector).first.wait_for(state="detached", timeout=timeout)
        except Exception as exc:
            if not is_timeout(exc):
                raise
            raise StepFailure(f"{selector!r} exists, expected it not to (still present after {timeout} ms)") from None
        return out
    locator = await require(page, selector, timeout)
    if expected is not None:
        out["text"] = await wait_for_text(page, selector, expected, match, timeout)
    else:
        out["text"] = await read_text(locator)
    if state:
        await check_state(page, selector, state, timeout)
    return out


@step(
    "perspective.verify_navigation",
    description="Check the session's URL and/or title (substring or regex); waits for an in-app navigation.",
    params=[Param("expected_url_pattern", "string", description="Text (or a regex) the URL must hold"),
            Param("expected_title_pattern", "string", description="Text (or a regex) the title must hold"),
            Param("match", "string", choices=("contains", "regex"), description="How the patterns are compared"),
            timeout_param("wait")],
    outputs=[URL_OUT, Output("title", "string", "The page's title"),
             Output("expected_url_pattern", "string", "As given", nullable=True),
             Output("expected_title_pattern", "string", "As given", nullable=True),
             Output("status", "string", "verified")],
)
@browser_step
async def verify_navigation(ctx: StepContext, page: Any, expected_url_pattern: str | None = None,
                            expected_title_pattern: str | None = None, match: str = "contains",
                            timeout: int = VERIFY_MS) -> dict[str, Any]:
    if not expected_url_pattern and not expected_title_pattern:
        raise StepFailure("give expected_url_pattern and/or expected_title_pattern")
    for pattern in (expected_url_pattern, expected_title_pattern):
        if pattern and match == "regex":
            try:
                re.compile(pattern)
            except re.error as exc:
                raise StepFailure(f"invalid regular expression {pattern!r}: {exc}") from None
    script = """([u, t, how]) => {
        const ok = (value, p) => !p || (how === 'regex' ? new RegExp(p).test(value) : value.includes(p));
        return ok(location.href, u) && ok(document.title, t);
    }"""
    try:
        await page.wait_for_function(script, arg=[expected_url_pattern, expected_title_pattern, match],
                                     timeout=timeout)
    except Exception as exc:
        if not is_timeout(exc):
            raise
        raise StepFailure(f"after {timeout} ms the session is at {page.url!r} titled {await page.title()!r}; "
                          f"expected url {expected_url_pattern!r} and title {expected_title_pattern!r} "
                          f"({match})") from None
    return {"url": page.url, "title": await page.title(), "expected_url_pattern": expected_url_pattern,
            "expected_title_pattern": expected_title_pattern, "status": "verified"}


@step(
    "perspective.verify_dock_opened",
    description="Wait until a dock (div[data-dock-id]) is open and visible.",
    params=[Param("dock_id", "string", description="The dock's id, e.g. nav"),
            Param("dock_selector", "string", description="Any selector for the dock instead"),
            timeout_param("wait")],
    outputs=[Output("status", "string", "verified"), Output("dock_selector", "string", "The dock's selector"),
             Output("dock_id", "string", "As given", nullable=True)],
)
@browser_step
async def verify_dock_opened(ctx: StepContext, page: Any, dock_id: str | None = None, dock_selector: str | None = None,
                             timeout: int = 3_000) -> dict[str, Any]:
    if not dock_id and not dock_selector:
        raise StepFailure("give dock_id or dock_selector")
    selector = dock_selector or f'[data-dock-id="{dock_id}"]'
    try:
        await page.locator(selector).first.wait_for(state="visible", timeout=timeout)
    except Exception as exc:
        if not is_timeout(exc):
            raise
        if await page.locator(selector).count() == 0:
            raise StepFailure(f"no dock matches {selector!r} after {timeout} ms") from None
        raise StepFailure(f"dock {selector!r} is closed (present but hidden after {timeout} ms)") from None
    return {"status": "verified", "dock_selector": selector, "dock_id": dock_id}
