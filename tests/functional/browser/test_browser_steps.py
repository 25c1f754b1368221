"""browser.* steps against the simulator's Perspective pages in a real Chromium.

Success paths run as one execution (one browser), failure paths as another
with `on_failure: continue`, so every step is exercised without paying a
browser start per case.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from igtk_tui.engine.events import ExecutionStatus, StepStatus
from tests.support.browser import run
from tests.support.playbooks import write_playbook

# One event loop and one Playwright driver for the module (a browser per execution still).
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("lingering_driver")]


SECRET = "Zebra-canary-4711"


async def test_every_browser_step_succeeds_on_the_demo_page(tmp_path: Path, demo: str) -> None:
    (tmp_path / "data.txt").write_text("hello", encoding="utf-8")
    path = write_playbook(tmp_path, steps="""
        - {id: open, name: open, type: browser.navigate, parameters: {url: "{{ parameter.url }}", wait_for: "#goButton"}}
        - {id: click, name: click, type: browser.click, parameters: {selector: "#goButton"}}
        - {id: label, name: label, type: browser.verify_text, parameters: {selector: "#statusLabel", text: Clicked 1}}
        - {id: fill, name: fill, type: browser.fill, parameters: {selector: "#nameField", value: "{{ parameter.name }}"}}
        - {id: greet, name: greet, type: browser.verify_text,
           parameters: {selector: "#greeting", text: "Hello, Zebra", match: contains}}
        - {id: keys, name: keys, type: browser.keyboard, parameters: {selector: "#nameField", text: " Jr", keys: [Enter]}}
        - {id: submitted, name: submitted, type: browser.verify_text,
           parameters: {selector: "#statusLabel", text: "^Submitted Zebra-.* Jr$", match: regex}}
        - {id: toggle, name: toggle, type: browser.click, parameters: {selector: "#pumpToggle"}}
        - {id: attr, name: attr, type: browser.verify_attribute,
           parameters: {selector: "#pumpToggle", attribute: aria-checked, value: "true"}}
        - {id: visible, name: visible, type: browser.verify_state, parameters: {selector: "#goButton", state: visible}}
        - {id: hidden, name: hidden, type: browser.verify_state, parameters: {selector: "#hiddenLabel", state: hidden}}
        - {id: disabled, name: disabled, type: browser.verify_state, parameters: {selector: "#lockedButton", state: disabled}}
        - {id: enabled, name: enabled, type: browser.verify_state, parameters: {selector: "#goButton", state: enabled}}
        - {id: absent, name: absent, type: browser.verify, parameters: {selector: "#noSuchThing", exists: false, timeout: 200}}
        - {id: shadow, name: shadow, type: browser.verify, parameters: {selector: "#ackButton"}}
        - {id: not_shown, name: not_shown, type: browser.verify, parameters: {selector: "#hiddenLabel", exists: false}}
        - {id: attached, name: attached, type: browser.verify, parameters: {selector: "#hiddenLabel", state: attached}}
        - {id: cond, name: cond, type: browser.verify, parameters: {selector: "#goButton", condition: exists}}
        - {id: pump, name: pump, type: browser.get_text, parameters: {selector: "#pumpState"}}
        - {id: value, name: value, type: browser.get_text, parameters: {selector: "#nameField"}}
        - {id: nav, name: nav, type: browser.click, parameters: {selector: "#toOverview"}}
        - {id: wait, name: wait, type: browser.wait, parameters: {selector: "#overviewTitle"}}
        - {id: gone, name: gone, type: browser.wait, parameters: {selector: "#goButton", state: detached}}
        - {id: upload, name: upload, type: browser.file_upload,
           parameters: {selector: "#upload input[type=file]", file_path: data.txt}}
        - {id: uploaded, name: uploaded, type: browser.verify_text,
           parameters: {selector: "#uploadStatus", text: Uploaded data.txt (5 bytes)}}
        - {id: export, name: export, type: browser.click, parameters: {selector: "#exportLink"}}
        - {id: shot, name: shot, type: browser.screenshot, parameters: {name: overview, full_page: true}}
        - {id: table, name: table, type: browser.screenshot, parameters: {name: table, selector: "#tagTable"}}
    """, name="pb.yaml", title="Browser test", parameters="""
        parameters:
          - {name: url, type: string, required: true}
          - {name: name, type: string, required: true, secret: true}
    """)
    result, rec = await run(path, {"url": demo, "name": SECRET}, tmp_path=tmp_path)
    assert result.status == ExecutionStatus.COMPLETED, (result.error, rec.finished())
    out = result.outputs
    assert out["open"]["status"] == "navigated" and out["open"]["http_status"] == 200
    assert out["open"]["title"] == "Main - Demo"
    assert out["click"] == {"selector": "#goButton", "status": "clicked", "force": False}
    assert out["label"]["actual_text"] == "Clicked 1" and out["label"]["match_type"] == "exact"
    assert out["fill"] == {"selector": "#nameField", "status": "filled"}
    assert out["keys"] == {"status": "pressed", "keys": ["Enter"], "typed_characters": 3}
    assert out["attr"]["actual_value"] == "true"
    assert out["absent"]["exists"] is False and out["shadow"]["exists"] is True
    assert out["not_shown"]["state"] == "hidden" and out["attached"]["state"] == "attached"
    assert out["cond"]["state"] == "visible"
    assert out["pump"]["text"] == "Pump on"
    assert out["uploaded"]["actual_text"] == "Uploaded data.txt (5 bytes)"
    assert out["upload"]["file_path"] == str(tmp_path / "data.txt")
    for key in ("shot", "table"):
        shot = Path(out[key]["screenshot"])
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.parent == execution_dir(tmp_path, result.id)
    kinds = {(e.artifact_kind, Path(e.path).name) for e in rec.of("artifact")}
    downloads = [Path(e.path) for e in rec.of("artifact") if e.artifact_kind == "download"]
    assert len(downloads) == 1 and downloads[0].read_text().startswith("tag,value"), kinds
    assert downloads[0].parent == execution_dir(tmp_path, result.id)
    # The typed value is a secret: never in logs or outputs (the value read back is redacted too).
    assert SECRET not in repr(rec.events)
    versions = [m for m in rec.logs() if m.startswith("browser: Chromium ")]
    assert len(versions) == 1, versions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def execution_dir(tmp_path: Path, execution_id: str) -> Path:
    return tmp_path / "artifacts" / execution_id


# Timeouts of 1 s: the budget also covers Playwright's round trips, which a loaded machine
# stretches past 150 ms even for an element that is there.
FAILURES = {
    "missing": ('browser.click', '{selector: "#nope", timeout: 1000}', "no element matches '#nope' after 1000 ms"),
    "wrong_text": ('browser.verify_text', '{selector: "#statusLabel", text: Busy, timeout: 1000}',
                   "text of '#statusLabel' did not match after 1000 ms: expected 'Busy' (exact), actual 'Idle'"),
    "hidden_not_visible": ('browser.verify_state', '{selector: "#hiddenLabel", state: visible, timeout: 1000}',
                           "'#hiddenLabel' is hidden, expected visible (after 1000 ms)"),
    "present_not_absent": ('browser.verify', '{selector: "#goButton", exists: false, timeout: 1000}',
                           "'#goButton' is visible, expected it hidden (after 1000 ms)"),
    # The earlier toolkit's meaning: exists: true is "becomes visible", not mere presence.
    "hidden_verify": ('browser.verify', '{selector: "#hiddenLabel", timeout: 1000}',
                      "could not see '#hiddenLabel' within 1000 ms: the element is hidden"),
    "detached_state": ('browser.verify', '{selector: "#hiddenLabel", state: detached, timeout: 1000}',
                       "'#hiddenLabel' is present, expected it detached (after 1000 ms)"),
    "missing_verify": ('browser.verify', '{selector: "#nope", timeout: 1000}', "no element matches '#nope' after 1000 ms"),
    "disabled_click": ('browser.click', '{selector: "#lockedButton", timeout: 1000}',
                       "could not click '#lockedButton' within 1000 ms: the element is disabled"),
    "hidden_click": ('browser.click', '{selector: "#hiddenLabel", timeout: 1000}',
                     "could not click '#hiddenLabel' within 1000 ms: the element is hidden"),
    "attribute": ('browser.verify_attribute', '{selector: "#pumpToggle", attribute: aria-checked, value: "true", timeout: 1000}',
                  "attribute 'aria-checked' of '#pumpToggle': expected 'true', actual 'false'"),
    "enabled": ('browser.verify_state', '{selector: "#lockedButton", state: enabled, timeout: 1000}',
                "'#lockedButton' is disabled, expected enabled (after 1000 ms)"),
    "still_visible": ('browser.wait', '{selector: "#goButton", state: hidden, timeout: 1000}',
                      "'#goButton' was still visible after 1000 ms (waited for hidden)"),
    "get_text": ('browser.get_text', '{selector: "#nope", timeout: 1000}', "no element matches '#nope' after 1000 ms"),
    "bad_key": ('browser.keyboard', '{key: NotAKey}', "unknown key 'NotAKey'"),
    "no_file": ('browser.file_upload', '{selector: "#upload input", file_path: missing.txt, timeout: 150}',
                "file to upload not found: "),
    "bad_regex": ('browser.verify_text', '{selector: "#statusLabel", text: "(", match: regex, timeout: 150}',
                  "invalid regular expression '('"),
}


async def test_failures_have_plain_messages(tmp_path: Path, demo: str) -> None:
    refused = f"http://127.0.0.1:{free_port()}/"
    FAILURES["refused"] = ("browser.navigate", f'{{url: "{refused}", timeout: 3000}}',
                           f"could not open {refused}: net::ERR_CONNECTION_REFUSED")
    steps = [f'- {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}", wait_for: "#goButton"}}}}']
    for key, (kind, params, _) in FAILURES.items():
        steps.append(f"- {{id: {key}, name: {key}, type: {kind}, on_failure: continue, parameters: {params}}}")
    result, rec = await run(write_playbook(tmp_path, steps="\n".join(steps), name="pb.yaml", title="Browser test"), tmp_path=tmp_path)
    assert result.status == ExecutionStatus.COMPLETED
    assert result.failed_steps == len(FAILURES)
    for key, (_, _, message) in FAILURES.items():
        finished = rec.step(key)
        assert finished.status == StepStatus.FAILED, key
        assert finished.error.startswith(message), (key, finished.error)


async def test_screenshots_never_overwrite_across_executions(tmp_path: Path, demo: str) -> None:
    path = write_playbook(tmp_path, steps=f"""
        - {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}"}}}}
        - {{id: shot, name: shot, type: browser.screenshot, parameters: {{name: same}}}}
        - {{id: again, name: again, type: browser.screenshot, parameters: {{name: same, path: /tmp/old/same.png}}}}
    """, name="pb.yaml", title="Browser test")
    first, _ = await run(path, tmp_path=tmp_path)
    second, _ = await run(path, tmp_path=tmp_path)
    shots = [Path(r.outputs[s]["screenshot"]) for r in (first, second) for s in ("shot", "again")]
    assert len(set(shots)) == 4 and all(p.is_file() for p in shots)
    assert shots[0].parent != shots[2].parent
    assert not Path("/tmp/old/same.png").exists()


async def test_debug_mode_saves_screenshot_and_page_text_on_failure(tmp_path: Path, demo: str) -> None:
    path = write_playbook(tmp_path, steps=f"""
        - {{id: open, name: open, type: browser.navigate, parameters: {{url: "{demo}", wait_for: "#goButton"}}}}
        - {{id: check, name: check, type: browser.verify_text, parameters: {{selector: "#statusLabel", text: Never, timeout: 200}}}}
    """, name="pb.yaml", title="Browser test")
    failures = []

    def hook(execution, rec):  # type: ignore[no-untyped-def]
        def on_event(event):  # type: ignore[no-untyped-def]
            if event.kind != "paused":
                return
            # Act once the engine is waiting at the pause (the event is emitted just before).
            if event.reason == "failure":
                failures.append(event.context)
                asyncio.get_running_loop().call_soon(execution.skip)
            else:
                asyncio.get_running_loop().call_soon(execution.resume)
        execution.bus.subscribe(on_event)

    result, rec = await run(path, tmp_path=tmp_path, debug=True, hook=hook)
    assert result.status == ExecutionStatus.COMPLETED and len(failures) == 1
    context = failures[0]
    assert "expected 'Never' (exact), actual 'Idle'" in context["error"]
    shot, text = Path(context["screenshot"]), Path(context["page_text"])
    assert shot.read_bytes()[:4] == b"\x89PNG" and "Hello, stranger" in text.read_text()
    assert "Idle" in context["page_text_excerpt"] and context["url"] == demo
    kinds = {e.artifact_kind for e in rec.of("artifact", step_id="check")}
    assert kinds == {"screenshot", "page-text"}
