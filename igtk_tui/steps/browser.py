"""browser.* steps: Playwright actions on the execution's headless Chromium.

Names, parameters and output keys are those of the earlier toolkit's browser
steps, with its defects fixed: `timeout` is honoured
everywhere and is milliseconds (declared, and a seconds-sized value is
rejected when the playbook loads), `fill` never logs the value, `keyboard`
exists, screenshots never overwrite another run's, and `verify` with
`exists: false` handles Playwright's own TimeoutError. `verify` means what
the earlier toolkit's did: `exists: true` is "becomes visible".
"""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.browser_common import (
    SELECTOR,
    act,
    browser_step,
    is_timeout,
    plain_error,
    read_text,
    require,
    timeout_param,
    wait_for_text,
    why_not,
)
from igtk_tui.steps.registry import Output, Param, step

WAIT_UNTIL = ("load", "domcontentloaded", "networkidle", "commit")
WAIT_STATES = ("attached", "detached", "visible", "hidden")
CHECK_STATES = ("visible", "hidden", "enabled", "disabled")
MATCHES = ("exact", "contains", "regex")
VERIFY_MS = 5_000
SELECTOR_OUT = Output("selector", "string", "The selector")


@step(
    "browser.navigate",
    description="Open a URL in the execution's browser and wait for it to load.",
    params=[
        Param("url", "string", description="Absolute URL"),
        Param("wait_until", "string", choices=WAIT_UNTIL, description="When navigation counts as done"),
        timeout_param("wait for the page"),
        Param("wait_for", "string", description="Also wait for this selector to be visible; "
              "load, domcontentloaded, networkidle or commit mean wait_until (as in the earlier toolkit)"),
    ],
    outputs=[Output("url", "string", "Where the page ended (after redirects)"), Output("status", "string", "navigated"),
             Output("http_status", "integer", "The page's HTTP status", nullable=True),
             Output("title", "string", "The page's title")],
)
@browser_step
async def navigate(ctx: StepContext, page: Any, url: str, wait_until: str = "load", timeout: int = 30_000,
                   wait_for: str | None = None) -> dict[str, Any]:
    if wait_for in WAIT_UNTIL:  # the earlier toolkit's playbooks wrote wait_until this way
        wait_until, wait_for = wait_for, None
    ctx.log(f"open {url} (waits for {wait_until}, up to {timeout} ms)", "debug")
    try:
        response = await page.goto(url, wait_until=wait_until, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to open the page is the step's failure, in plain words
        if is_timeout(exc):
            raise StepFailure(f"{url} did not finish loading ({wait_until}) within {timeout} ms") from None
        reason = plain_error(exc).removesuffix(f" at {url}")
        raise StepFailure(f"could not open {url}: {reason}") from None
    if wait_for:
        await act(page, wait_for, timeout, "find", lambda loc: loc.wait_for(state="visible", timeout=timeout))
    status = response.status if response is not None else None
    if status is not None and status >= 400:
        ctx.log(f"{url} answered HTTP {status}", "warning")
    return {"url": page.url, "status": "navigated", "http_status": status, "title": await page.title()}


@step(
    "browser.click",
    description="Click the first element matching a selector (waits until it is visible and enabled).",
    params=[SELECTOR, timeout_param("wait for the element"),
            Param("force", "boolean", description="Skip the actionability checks")],
    outputs=[SELECTOR_OUT, Output("status", "string", "clicked"), Output("force", "boolean", "As given")],
)
@browser_step
async def click(ctx: StepContext, page: Any, selector: str, timeout: int = 30_000,
                force: bool = False) -> dict[str, Any]:
    ctx.log(f"click {selector!r} (waits up to {timeout} ms)", "debug")
    await act(page, selector, timeout, "click", lambda loc: loc.click(timeout=timeout, force=force))
    return {"selector": selector, "status": "clicked", "force": force}


@step(
    "browser.fill",
    description="Type a value into an input (replacing its content); the value is never logged.",
    params=[SELECTOR, Param("value", "string", secret=True, description="Text to enter"),
            timeout_param("wait for the element")],
    outputs=[SELECTOR_OUT, Output("status", "string", "filled")],
)
@browser_step
async def fill(ctx: StepContext, page: Any, selector: str, value: str, timeout: int = 30_000) -> dict[str, Any]:
    await act(page, selector, timeout, "fill", lambda loc: loc.fill(value, timeout=timeout))
    return {"selector": selector, "status": "filled"}


@step(
    "browser.keyboard",
    description="Press keys (Enter, Control+A, ...) and/or type text, optionally focusing an element first.",
    params=[
        Param("key", "string", description="One key or chord, e.g. Enter or Control+A"),
        Param("keys", "list", description="Several keys pressed in order"),
        Param("text", "string", secret=True, description="Text typed character by character (never logged)"),
        Param("selector", "string", description="Focus this element first"),
        timeout_param("wait for the element"),
    ],
    outputs=[Output("status", "string", "pressed"), Output("keys", "list", "The keys pressed, in order"),
             Output("typed_characters", "integer", "How many characters were typed")],
)
@browser_step
async def keyboard(ctx: StepContext, page: Any, key: str | None = None, keys: list[Any] | None = None,
                   text: str | None = None, selector: str | None = None, timeout: int = 30_000) -> dict[str, Any]:
    sequence = [key] if key else []
    sequence += [str(k) for k in keys or []]
    if not sequence and text is None:
        raise StepFailure("browser.keyboard needs key, keys or text")
    if selector:
        await act(page, selector, timeout, "focus", lambda loc: loc.focus(timeout=timeout))
    if text:
        await page.keyboard.type(text)
    for item in sequence:
        try:
            await page.keyboard.press(item)
        except Exception as exc:
            if "Unknown key" in str(exc):
                raise StepFailure(f"unknown key {item!r} (e.g. Enter, Tab, Escape, ArrowDown, Control+A)") from None
            raise
    return {"status": "pressed", "keys": sequence, "typed_characters": len(text or "")}


@step(
    "browser.file_upload",
    description="Set the file of a file input (relative paths are relative to the playbook).",
    params=[SELECTOR, Param("file_path", "string", description="File to upload"),
            timeout_param("wait for the element")],
    outputs=[SELECTOR_OUT, Output("file_path", "string", "The file set"), Output("status", "string", "uploaded")],
)
@browser_step
async def file_upload(ctx: StepContext, page: Any, selector: str, file_path: str,
                      timeout: int = 30_000) -> dict[str, Any]:
    path = ctx.resolve_path(file_path)
    if not path.is_file():
        raise StepFailure(f"file to upload not found: {path}")
    await act(page, selector, timeout, "upload to", lambda loc: loc.set_input_files(str(path), timeout=timeout))
    return {"selector": selector, "file_path": str(path), "status": "uploaded"}


@step(
    "browser.screenshot",
    description="Save a PNG of the page (or one element) in this execution's artifacts; never overwrites.",
    params=[
        Param("name", "string", description="File name stem"),
        Param("full_page", "boolean", description="The whole scrollable page, not just the viewport"),
        Param("selector", "string", description="Only this element"),
        Param("path", "string", description="Earlier toolkit: only its file name is used, as the name"),
        timeout_param("wait for the element"),
    ],
    outputs=[Output("screenshot", "string", "The PNG (the execution's artifacts)"),
             Output("status", "string", "captured"), Output("name", "string", "The file name stem used")],
)
@browser_step
async def screenshot(ctx: StepContext, page: Any, name: str = "screenshot", full_page: bool = False,
                     selector: str | None = None, path: str | None = None, timeout: int = 30_000) -> dict[str, Any]:
    if path:
        from pathlib import PurePath

        name = PurePath(path).stem or name
        ctx.log(f"screenshot path {path!r}: saved in this execution's artifacts as {name!r}")
    target = ctx.artifact_path(name, ".png")
    if selector:
        await act(page, selector, timeout, "capture",
                  lambda loc: loc.screenshot(path=str(target), timeout=timeout))
    else:
        await page.screenshot(path=str(target), full_page=full_page, timeout=timeout)
    ctx.add_artifact(target, "screenshot")
    return {"screenshot": str(target), "status": "captured", "name": name}


@step(
    "browser.wait",
    description="Wait until an element is attached, detached, visible or hidden.",
    params=[SELECTOR, Param("state", "string", choices=WAIT_STATES, description="The state to wait for"),
            timeout_param("wait")],
    outputs=[SELECTOR_OUT, Output("status", "string", "found"), Output("state", "string", "The state reached")],
)
@browser_step
async def wait(ctx: StepContext, page: Any, selector: str, state: str = "visible",
               timeout: int = 30_000) -> dict[str, Any]:
    ctx.log(f"wait for {selector!r} to be {state} (up to {timeout} ms)", "debug")
    try:
        await page.locator(selector).first.wait_for(state=state, timeout=timeout)
    except Exception as exc:
        if not is_timeout(exc):
            raise
        if state in ("attached", "visible"):
            raise StepFailure(await why_not(page, selector, timeout, "see")) from None
        raise StepFailure(f"{selector!r} was still {'present' if state == 'detached' else 'visible'} "
                          f"after {timeout} ms (waited for {state})") from None
    return {"selector": selector, "status": "found", "state": state}


@step(
    "browser.verify",
    description="Check that an element becomes visible (exists: false: that it does not), "
    "or reaches a state: visible, hidden, attached, detached.",
    params=[SELECTOR, Param("exists", "boolean", description="true: becomes visible; "
                                    "false: does not become visible (Playwright's default state, as before)"),
            Param("state", "string", choices=WAIT_STATES, description="Instead of exists: the state to reach"),
            Param("condition", "string", choices=("exists",), description="Earlier toolkit: same as exists: true"),
            timeout_param("wait")],
    outputs=[SELECTOR_OUT, Output("exists", "boolean", "Whether it is there (visible or attached)"),
             Output("expected", "boolean", "What was expected (the same as exists: the step passed)"),
             Output("state", "string", "The state reached"), Output("status", "string", "verified"),
             Output("message", "string", "What was verified, in words")],
)
@browser_step
async def verify(ctx: StepContext, page: Any, selector: str, exists: bool = True, state: str | None = None,
                 condition: str | None = None, timeout: int = VERIFY_MS) -> dict[str, Any]:
    if state is None:
        state = "visible" if exists or condition == "exists" else "hidden"
    try:
        await page.locator(selector).first.wait_for(state=state, timeout=timeout)
    except Exception as exc:
        if not is_timeout(exc):  # Playwright's TimeoutError, not the builtin one
            raise
        if state in ("visible", "attached"):
            raise StepFailure(await why_not(page, selector, timeout, "see")) from None
        shown = "visible" if state == "hidden" else "present"
        raise StepFailure(f"{selector!r} is {shown}, expected it {state} (after {timeout} ms)") from None
    found = state in ("visible", "attached")
    message = f"{selector!r} is {state}"
    return {"selector": selector, "exists": found, "expected": found, "state": state, "status": "verified",
            "message": message}


@step(
    "browser.verify_text",
    description="Check an element's text (an input's value): exact, contains or regex; waits for it.",
    params=[SELECTOR, Param("text", "string", description="Expected text or pattern"),
            Param("match", "string", choices=MATCHES, description="How the text is compared"), timeout_param("wait")],
    outputs=[SELECTOR_OUT, Output("expected_text", "string", "As given"),
             Output("actual_text", "string", "The element's text (an input's value)"),
             Output("match_type", "string", "exact, contains or regex"), Output("status", "string", "verified")],
)
@browser_step
async def verify_text(ctx: StepContext, page: Any, selector: str, text: str, match: str = "exact",
                      timeout: int = VERIFY_MS) -> dict[str, Any]:
    actual = await wait_for_text(page, selector, text, match, timeout)
    return {"selector": selector, "expected_text": text, "actual_text": actual, "match_type": match,
            "status": "verified"}


@step(
    "browser.verify_attribute",
    description="Check that an element's attribute equals a value; waits for it.",
    params=[SELECTOR, Param("attribute", "string", description="Attribute name, e.g. href"),
            Param("value", "string", description="Its expected value"),
            timeout_param("wait")],
    outputs=[SELECTOR_OUT, Output("attribute", "string", "The attribute"),
             Output("expected_value", "string", "As given"), Output("actual_value", "string", "The attribute's value"),
             Output("status", "string", "verified")],
)
@browser_step
async def verify_attribute(ctx: StepContext, page: Any, selector: str, attribute: str, value: str,
                           timeout: int = VERIFY_MS) -> dict[str, Any]:
    from playwright.async_api import expect

    locator = await require(page, selector, timeout)
    try:
        await expect(locator).to_have_attribute(attribute, value, timeout=timeout)
    except AssertionError:
        actual = await locator.get_attribute(attribute)
        shown = "absent" if actual is None else repr(actual)
        raise StepFailure(f"attribute {attribute!r} of {selector!r}: expected {value!r}, actual {shown}") from None
    return {"selector": selector, "attribute": attribute, "expected_value": value, "actual_value": value,
            "status": "verified"}


@step(
    "browser.verify_state",
    description="Check that an element is visible, hidden, enabled or disabled; waits for it.",
    params=[SELECTOR, Param("state", "string", choices=CHECK_STATES, description="The state expected"),
            timeout_param("wait")],
    outputs=[SELECTOR_OUT, Output("expected_state", "string", "The state checked"),
             Output("status", "string", "verified"), Output("message", "string", "What was verified, in words")],
)
@browser_step
async def verify_state(ctx: StepContext, page: Any, selector: str, state: str,
                       timeout: int = VERIFY_MS) -> dict[str, Any]:
    await check_state(page, selector, state, timeout)
    return {"selector": selector, "expected_state": state, "status": "verified", "message": f"{selector!r} is {state}"}


async def check_state(page: Any, selector: str, state: str, timeout: int) -> None:
    """Wait for `state`; fail saying what the element is instead."""
    from playwright.async_api import expect

    locator = page.locator(selector).first
    opposite = {"visible": "hidden", "hidden": "visible", "enabled": "disabled", "disabled": "enabled"}[state]
    try:
        if state in ("visible", "hidden"):
            await locator.wait_for(state=state, timeout=timeout)
            return
        await require(page, selector, timeout)
        check = expect(locator).to_be_enabled if state == "enabled" else expect(locator).to_be_disabled
        await check(timeout=timeout)
        return
    except AssertionError:
        pass
    except Exception as exc:
        if not is_timeout(exc):
            raise
        if await page.locator(selector).count() == 0:
            raise StepFailure(f"no element matches {selector!r} after {timeout} ms") from None
    raise StepFailure(f"{selector!r} is {opposite}, expected {state} (after {timeout} ms)")


@step(
    "browser.get_text",
    description="Read an element's text (an input's value), e.g. a generated token, for later steps.",
    params=[SELECTOR, timeout_param("wait for the element")],
    outputs=[SELECTOR_OUT, Output("text", "string", "The element's text (an input's value)"),
             Output("status", "string", "extracted")],
)
@browser_step
async def get_text(ctx: StepContext, page: Any, selector: str, timeout: int = 30_000) -> dict[str, Any]:
    locator = await require(page, selector, timeout)
    return {"selector": selector, "text": await read_text(locator), "status": "extracted"}
