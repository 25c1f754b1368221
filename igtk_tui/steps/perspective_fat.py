"""perspective.* FAT helpers: page inventory, selector reliability, and a test manifest runner.

Names, parameters and output keys are the earlier toolkit's (its discover_page,
extract_component_metadata and execute_test_manifest). The manifest runner reports per entry (with a screenshot artifact),
honours `on_failure` continue|abort, and fails the step when an entry failed
unless `fail_on_error: false` (then the results are the step's output).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from igtk_tui import redact
from igtk_tui.browser.inventory import INVENTORY_JS
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps import perspective_common as psp
from igtk_tui.steps.browser_common import act, browser_step, plain_error, require, timeout_param, wait_for_text
from igtk_tui.steps.perspective import editable_selector
from igtk_tui.steps.registry import Output, Param, step
from igtk_tui.timefmt import iso_utc

ACTIONS = ("click", "fill", "verify_text", "verify")
# A screenshot is evidence, not the check: it gets its own bound, not the entry's element timeout
# (a 300 ms element wait left entries without a screenshot on a busy host).
SCREENSHOT_TIMEOUT_MS = 15_000


def _now() -> str:
    return iso_utc(time.time())


@step(
    "perspective.discover_page",
    description="Inventory the page's components and interactive elements (DOM and open shadow roots).",
    params=[
        Param("selector", "string", description="Root element to scan"),
        Param("types", "list", description="Only these types: button, input, link, dropdown, toggle, label, ..."),
        Param("exclude_selectors", "list", description="Skip elements matching or inside these"),
        Param("limit", "integer", min=1, max=20000, description="At most this many elements"),
    ],
    outputs=[Output("status", "string", "discovered"), Output("count", "integer", "Elements found"),
             Output("inventory", "list", "Each element: type, selector, id, component, text, label, inShadow, ..."),
             Output("timestamp", "string", "When (ISO 8601, UTC)"), Output("root_selector", "string", "As given"),
             Output("url", "string", "The page's URL"),
             Output("inventory_file", "string", "The inventory as JSON (the execution's artifacts)")],
)
@browser_step
async def discover_page(ctx: StepContext, page: Any, selector: str = "body", types: list[Any] | None = None,
                        exclude_selectors: list[Any] | None = None, limit: int = 2000) -> dict[str, Any]:
    result = await page.evaluate(INVENTORY_JS, {"root": selector, "types": [str(t) for t in types or []],
                                                "exclude": [str(s) for s in exclude_selectors or []], "limit": limit})
    if result.get("error"):
        raise StepFailure(result["error"])
    items = result["items"]
    stamp = _now()
    path = ctx.artifact_path("inventory", ".json")
    # The inventory holds what the page shows, input values included: a typed password too.
    document = redact.scrub_obj({"url": page.url, "timestamp": stamp, "inventory": items})
    # Up to 20,000 elements: encoded and written off the event loop.
    await asyncio.to_thread(lambda: path.write_text(json.dumps(document, indent=2), encoding="utf-8"))
    ctx.add_artifact(path, "inventory")
    shadow = sum(1 for i in items if i.get("inShadow"))
    ctx.log(f"discovered {len(items)} elements ({shadow} in shadow roots) at {page.url}")
    return {"status": "discovered", "count": len(items), "inventory": items, "timestamp": stamp,
            "root_selector": selector, "url": page.url, "inventory_file": str(path)}


@step(
    "perspective.extract_component_metadata",
    description="Add metadata to an inventory: labels, ids, Perspective or not, selector reliability.",
    params=[Param("components", "list", description="Items from perspective.discover_page")],
    outputs=[Output("status", "string", "enriched"),
             Output("enriched_inventory", "list", "The items, each with a metadata block"),
             Output("count", "integer", "How many"),
             Output("reliability", "dict", "How many selectors are of high, medium and low reliability")],
)
async def extract_component_metadata(ctx: StepContext, components: list[Any]) -> dict[str, Any]:
    enriched = psp.enrich(components, _now())
    counts = {"high": 0, "medium": 0, "low": 0}
    for item in enriched:
        counts[item["metadata"]["selector_reliability"]] += 1
    return {"status": "enriched", "enriched_inventory": enriched, "count": len(enriched), "reliability": counts}


@step(
    "perspective.execute_test_manifest",
    description="Run a list of click/fill/verify entries against components; report each with a screenshot.",
    params=[
        Param("manifest", "list",
              description="Entries: {component_id | component (+index/text) | selector, action, value, "
                          "expected, match}"),
        Param("capture_screenshots", "boolean", description="A screenshot after each entry"),
        Param("on_failure", "string", choices=("continue", "abort"), description="After a failed entry"),
        Param("return_to_baseline", "boolean",
              description="Go back to the baseline page after each entry"),
        Param("baseline_url", "string", description="Baseline page (default: where the manifest started)"),
        Param("fail_on_error", "boolean", description="Fail the step when an entry failed"),
        timeout_param("wait for each entry's component"),
    ],
    outputs=[Output("status", "string", "passed, or failed (with fail_on_error: false)"),
             Output("total", "integer", "Entries"), Output("passed", "integer", "Entries passed"),
             Output("failed", "integer", "Entries failed"), Output("skipped", "integer", "Entries not run (abort)"),
             Output("results", "list", "Each entry: index, component_id, selector, action, expected, actual, "
                    "status, error, screenshot, started_at, completed_at, duration_ms")],
)
@browser_step
async def execute_test_manifest(ctx: StepContext, page: Any, manifest: list[Any], capture_screenshots: bool = True,
                                on_failure: str = "continue", return_to_baseline: bool = False,
                                baseline_url: str | None = None, fail_on_error: bool = True,
                                timeout: int = 5_000) -> dict[str, Any]:
    baseline = baseline_url or page.url
    results: list[dict[str, Any]] = []
    aborted = False
    for number, entry in enumerate(manifest, 1):
        if aborted:
            results.append(_skipped(number, entry))
            continue
        await ctx.checkpoint()
        result = await _run_entry(ctx, page, number, entry, timeout, capture_screenshots)
        results.append(result)
        ctx.log(f"manifest entry {number} ({result['action']} {result['selector']}): {result['status']}"
                + (f" - {result['error']}" if result["error"] else ""),
                "info" if result["status"] == "passed" else "warning")
        if result["status"] == "failed" and on_failure == "abort":
            aborted = True
        if return_to_baseline and not aborted and page.url != baseline:
            await psp.navigate(page, baseline, timeout * 6)
    passed = sum(1 for r in results if r["status"] == "passed")
    failed = sum(1 for r in results if r["status"] == "failed")
    summary = {"status": "passed" if not failed else "failed", "total": len(results), "passed": passed,
               "failed": failed, "skipped": len(results) - passed - failed, "results": results}
    if failed and fail_on_error:
        first = next(r for r in results if r["status"] == "failed")
        raise StepFailure(f"{failed} of {len(results)} manifest entries failed "
                          f"(first: entry {first['index']} {first['selector']}: {first['error']})")
    return summary


def _skipped(number: int, entry: Any) -> dict[str, Any]:
    data = entry if isinstance(entry, dict) else {}
    return {"index": number, "component_id": data.get("component_id"), "selector": data.get("selector"),
            "action": data.get("action", "click"), "expected": data.get("expected"), "actual": None,
            "status": "skipped", "error": "not run (an earlier entry failed and on_failure is abort)",
            "screenshot": None, "started_at": None, "completed_at": None}


async def _run_entry(ctx: StepContext, page: Any, number: int, entry: Any, timeout: int,
                     capture: bool) -> dict[str, Any]:
    data = entry if isinstance(entry, dict) else {}
    action = str(data.get("action", "click"))
    result: dict[str, Any] = {"index": number, "component_id": data.get("component_id"), "selector": None,
                              "action": action, "expected": data.get("expected"), "actual": None,
                              "status": "passed", "error": None, "screenshot": None,
                              "started_at": _now(), "completed_at": None}
    started = time.monotonic()
    try:
        if not isinstance(entry, dict):
            raise StepFailure(f"entry {number} must be a mapping, got {entry!r}")
        if action not in ACTIONS:
            raise StepFailure(f"unknown action {action!r} (use one of {', '.join(ACTIONS)})")
        selector = psp.component_selector(data.get("component_id"), data.get("component"), data.get("index"),
                                          data.get("text"), data.get("selector"))
        result["selector"] = selector
        if action == "click":
            await act(page, selector, timeout, "click", lambda loc: loc.click(timeout=timeout))
        elif action == "fill":
            target = await editable_selector(page, selector, timeout)
            value = str(data.get("value", ""))
            await act(page, target, timeout, "fill", lambda loc: loc.fill(value, timeout=timeout))
        elif action == "verify_text":
            if data.get("expected") is None:
                raise StepFailure("verify_text needs expected")
            result["actual"] = await wait_for_text(page, selector, str(data["expected"]),
                                                   str(data.get("match", "exact")), timeout)
        else:
            await require(page, selector, timeout)
    except StepFailure as exc:
        result["status"], result["error"] = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a Playwright error fails this entry, not the run
        from playwright.async_api import Error as PlaywrightError

        if not isinstance(exc, PlaywrightError):
            raise
        result["status"], result["error"] = "failed", plain_error(exc, result["selector"])
    if capture:
        shot = ctx.artifact_path(f"manifest-{number}-{data.get('component_id') or action}", ".png")
        try:
            await page.screenshot(path=str(shot), timeout=max(timeout, SCREENSHOT_TIMEOUT_MS))
            ctx.add_artifact(shot, "screenshot")
            result["screenshot"] = str(shot)
        except Exception as exc:  # noqa: BLE001 - a missing screenshot is noted, not fatal
            ctx.log(f"manifest entry {number}: screenshot failed: {exc}", "warning")
    result["completed_at"] = _now()
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result
