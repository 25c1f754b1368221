"""Perspective knowledge shared by the perspective.* steps: locators from
component ids and types, session URLs, in-app navigation and the readiness
check of the client.

Perspective is an SPA: a `page.goto` per view starts a new page in the
session and resets page state (IA's own automation notes), so only the first
visit loads the URL; later visits follow the app's own nav link, or push the
history entry the way the app's router does.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from igtk_tui.engine.context import StepFailure
from igtk_tui.steps.browser_common import is_timeout

CLIENT_PREFIX = "/data/perspective/client"
# The client is ready when a view, a terminal state or a login form is on screen.
READY = "[data-component], h1.terminal-state-header, input.username-field"
SPINNER = ".ignition-loading-spinner"
_SIMPLE_ID = re.compile(r"^[A-Za-z_][\w-]*$")


def component_selector(component_id: str | None = None, component: str | None = None, index: int | None = None,
                       text: str | None = None, selector: str | None = None) -> str:
    """One Playwright selector string for a component.

    `component_id` is meta.domId, i.e. the element id (`#goButton`); `component`
    is the type (`[data-component="ia.input.button"]`), narrowed by `text`
    (has-text) and `index` (nth, from 0).
    """
    if component_id:
        base = f"#{component_id}" if _SIMPLE_ID.match(component_id) else f'[id={json.dumps(component_id)}]'
    elif component:
        base = f"[data-component={json.dumps(component)}]"
    elif selector:
        base = selector
    else:
        raise StepFailure("name the component: component_id (its meta.domId), component (its type) or selector")
    if text:
        base += f":has-text({json.dumps(text)})"
    if index is not None and not component_id:
        base += f" >> nth={int(index)}"
    return base


def locator_params() -> list[Any]:
    from igtk_tui.steps.registry import Param

    return [
        Param("component_id", "string", description="The component's meta.domId (its element id)"),
        Param("component", "string", description="Component type, e.g. ia.input.button"),
        Param("index", "integer", min=0, description="Which match of the type (0 = first)"),
        Param("text", "string", description="Only components whose text contains this"),
        Param("selector", "string", description="Any Playwright selector instead"),
    ]


def client_path(project: str, page: str = "/") -> str:
    page = "/" + page.strip("/") if page.strip("/") else "/"
    return f"{CLIENT_PREFIX}/{quote(project)}{page}"


def parse_client_url(url: str) -> tuple[str, str, str] | None:
    """(origin, project, page) of a Perspective session URL, else None."""
    parts = urlsplit(url)
    if not parts.path.startswith(CLIENT_PREFIX + "/"):
        return None
    rest = parts.path[len(CLIENT_PREFIX) + 1:]
    project, _, page = rest.partition("/")
    if not project:
        return None
    return f"{parts.scheme}://{parts.netloc}", unquote(project), "/" + page.strip("/") if page.strip("/") else "/"


def target_url(current: str, url: str | None, project: str | None, page: str) -> str:
    """Where to go: a full session URL as given, or gateway URL / current session + project + page."""
    if url and parse_client_url(url):
        return url
    if url:
        if not project:
            raise StepFailure("perspective.navigate: give project (or a full /data/perspective/client/... url)")
        return url.rstrip("/") + client_path(project, page)
    here = parse_client_url(current)
    if here is None:
        raise StepFailure("perspective.navigate: no Perspective session is open yet; give url "
                          "(the gateway URL or a /data/perspective/client/<project>/<page> URL)")
    origin, current_project, _ = here
    return origin + client_path(project or current_project, page)


async def wait_ready(page: Any, timeout: int) -> None:
    """The client has rendered something: a view, a terminal state or the login form."""
    try:
        await page.locator(READY).first.wait_for(state="attached", timeout=timeout)
        await page.locator(SPINNER).first.wait_for(state="detached", timeout=timeout)
    except Exception as exc:
        if not is_timeout(exc):
            raise
        raise StepFailure(f"the Perspective client at {page.url} did not render within {timeout} ms") from None


async def terminal_state(page: Any) -> str | None:
    """The terminal-state header ("Project not found", ...) if one is shown."""
    header = page.locator("h1.terminal-state-header").first
    if await header.count():
        return (await header.text_content() or "").strip()
    return None


async def navigate(page: Any, target: str, timeout: int, reload: bool = False) -> str:
    """Go to `target`: goto on first visit (or reload), else inside the app. Returns the method used."""
    current = parse_client_url(page.url)
    wanted = parse_client_url(target)
    if reload or current is None or wanted is None or current[:2] != wanted[:2]:
        await page.goto(target, wait_until="load", timeout=timeout)
        return "goto"
    path = urlsplit(target).path
    if urlsplit(page.url).path.rstrip("/") == path.rstrip("/"):
        return "already there"
    link = page.locator(f"a[href={json.dumps(path)}]").first
    if await link.count() and await link.is_visible():
        await link.click(timeout=timeout)
        method = "link"
    else:
        await page.evaluate(
            """(path) => { history.pushState({path}, '', path);
                           window.dispatchEvent(new PopStateEvent('popstate', {state: {path}})); }""", path)
        method = "history"
    try:
        await page.wait_for_function("(p) => location.pathname.replace(/\\/$/, '') === p.replace(/\\/$/, '')",
                                     arg=path, timeout=timeout)
    except Exception as exc:
        if not is_timeout(exc):
            raise
        raise StepFailure(f"the app did not navigate to {path} within {timeout} ms (still at {page.url})") from None
    return method


def reliability(item: dict[str, Any]) -> str:
    """How likely the item's selector survives view edits: high (domId), medium, low (paths, nth)."""
    selector = str(item.get("selector") or "")
    if item.get("id") and selector.startswith(("#", "[id=")):
        return "high"
    if ">> nth=" in selector or "nth-of-type" in selector or (item.get("componentPath") and "component-path" in selector):
        return "low"
    if selector.startswith("[data-component=") or item.get("ariaLabel") or item.get("placeholder") or item.get("name"):
        return "medium"
    return "low"


def enrich(components: list[Any], analyzed_at: str) -> list[dict[str, Any]]:
    """Add the metadata block of the earlier toolkit to each inventory item."""
    out = []
    for raw in components:
        item = dict(raw) if isinstance(raw, dict) else {"selector": str(raw)}
        has_label = bool(item.get("label") or item.get("ariaLabel") or item.get("text") or item.get("placeholder"))
        metadata: dict[str, Any] = {
            "analyzed_at": analyzed_at,
            "has_label": has_label,
            "has_id": bool(item.get("id")),
            "is_perspective_component": bool(item.get("component") or item.get("componentPath")),
            "selector_reliability": reliability(item),
            "in_shadow_dom": bool(item.get("inShadow")),
        }
        if item.get("id"):
            metadata["recommended_selector"] = component_selector(component_id=str(item["id"]))
        else:
            metadata["recommended_selector"] = item.get("selector")
        item["metadata"] = metadata
        out.append(item)
    return out
