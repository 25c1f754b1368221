"""perspective.* steps against the simulator's Perspective client in a real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from igtk_tui.engine.events import ExecutionStatus, StepStatus
from igtk_tui.simulator import SimulatedGateway
from tests.support.browser import ADMIN_PASSWORD, run
from tests.support.playbooks import write_playbook

# One event loop and one Playwright driver for the module (a browser per execution still).
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("lingering_driver")]


STEPS = """
- {id: open, name: open, type: perspective.navigate, parameters: {url: "{{ parameter.gw }}", project: Demo}}
- {id: click_id, name: click_id, type: perspective.click, parameters: {component_id: goButton}}
- {id: label, name: label, type: perspective.verify, parameters: {component_id: statusLabel, expected: Clicked 1}}
- {id: click_type, name: click_type, type: perspective.click, parameters: {component: ia.input.button, text: Go}}
- {id: label_type, name: label_type, type: perspective.verify,
   parameters: {component: ia.display.label, index: 1, expected: Clicked 2}}
- {id: fill, name: fill, type: perspective.fill, parameters: {component_id: nameField, value: Ada}}
- {id: greet, name: greet, type: perspective.verify, parameters: {component_id: greeting, expected: "Hello, Ada"}}
- {id: fill_inner, name: fill_inner, type: perspective.fill, parameters: {component_id: setpoint, value: "55"}}
- {id: setpoint, name: setpoint, type: perspective.verify, parameters: {selector: "#setpoint input", expected: "55"}}
- {id: toggle, name: toggle, type: perspective.click, parameters: {component: ia.input.toggle-switch}}
- {id: pump, name: pump, type: perspective.verify, parameters: {component_id: pumpState, expected: Pump on}}
- {id: locked, name: locked, type: perspective.verify, parameters: {component_id: lockedButton, state: disabled}}
- {id: hidden, name: hidden, type: perspective.verify, parameters: {component_id: hiddenLabel, state: hidden}}
- {id: popup_open, name: popup_open, type: perspective.click, parameters: {component_id: popupButton}}
- {id: popup, name: popup, type: perspective.verify,
   parameters: {selector: "div.popup .popup-body", expected: Pump 1 is running, match: contains}}
- {id: popup_close, name: popup_close, type: perspective.click, parameters: {selector: "div.popup svg.close-icon"}}
- {id: popup_gone, name: popup_gone, type: perspective.verify, parameters: {selector: div.popup, exists: false}}
- {id: discover, name: discover, type: perspective.discover_page, parameters: {}}
- {id: buttons, name: buttons, type: perspective.discover_page, parameters: {types: [button]}}
- {id: meta, name: meta, type: perspective.extract_component_metadata,
   parameters: {components: "{{ step.discover.inventory }}"}}
- {id: dock_closed, name: dock_closed, type: perspective.verify_dock_opened, on_failure: continue,
   parameters: {dock_id: nav, timeout: 150}}
- {id: open_dock, name: open_dock, type: perspective.click, parameters: {selector: div.docked-view-left div.view-toggle}}
- {id: dock, name: dock, type: perspective.verify_dock_opened, parameters: {dock_id: nav}}
- {id: to_overview, name: to_overview, type: perspective.navigate, parameters: {page: /overview}}
- {id: on_overview, name: on_overview, type: perspective.verify_navigation,
   parameters: {expected_url_pattern: "/Demo/overview$", expected_title_pattern: "^Overview - Demo$", match: regex}}
- {id: close_dock, name: close_dock, type: perspective.click, parameters: {selector: div.view-toggle}}
- {id: to_main, name: to_main, type: perspective.navigate, parameters: {page: /, wait_for: "#goButton"}}
- {id: state_kept, name: state_kept, type: perspective.verify, parameters: {component_id: title, expected: Demo}}
- {id: wrong_nav, name: wrong_nav, type: perspective.verify_navigation, on_failure: continue,
   parameters: {expected_title_pattern: Overview, timeout: 150}}
- {id: no_project, name: no_project, type: perspective.navigate, on_failure: continue,
   parameters: {url: "{{ parameter.gw }}", project: Nope}}
- {id: no_page, name: no_page, type: perspective.navigate, on_failure: continue,
   parameters: {url: "{{ parameter.gw }}", project: Demo, page: /nowhere}}
- {id: back, name: back, type: perspective.navigate, parameters: {url: "{{ parameter.gw }}", project: Demo}}
- id: manifest
  name: manifest
  type: perspective.execute_test_manifest
  parameters:
    fail_on_error: false
    timeout: 3000    # the passing entries' bound on a loaded host; only the failing entry waits it out
    manifest:
      - {component_id: goButton, action: click}
      - {component_id: statusLabel, action: verify_text, expected: Clicked 1}
      - {component_id: nameField, action: fill, value: Bo}
      - {component_id: nope, action: click}
      - {component: ia.display.label, text: Hello, action: verify_text, expected: "Hello, Bo"}
- {id: abort, name: abort, type: perspective.execute_test_manifest,
   parameters: {on_failure: abort, fail_on_error: false, capture_screenshots: false, timeout: 150,
                manifest: [{component_id: nope}, {component_id: goButton}]}}
- {id: strict, name: strict, type: perspective.execute_test_manifest, on_failure: continue,
   parameters: {timeout: 150, capture_screenshots: false, manifest: [{selector: "#nope", action: verify}]}}
"""


async def test_perspective_steps_in_one_session(tmp_path: Path, sim: SimulatedGateway) -> None:
    path = write_playbook(tmp_path, steps=STEPS, name="pb.yaml", title="Browser test", parameters="parameters:\n  - {name: gw, type: string, required: true}\n")
    result, rec = await run(path, {"gw": sim.url}, tmp_path=tmp_path)
    assert result.status == ExecutionStatus.COMPLETED, (result.error, rec.finished())
    out = result.outputs
    assert out["open"]["method"] == "goto" and out["open"]["project"] == "Demo" and out["open"]["page"] == "/"
    assert out["click_id"]["selector"] == "#goButton"
    assert out["click_type"]["selector"] == '[data-component="ia.input.button"]:has-text("Go")'
    assert out["label_type"]["text"] == "Clicked 2"
    assert out["fill_inner"]["selector"] == "#setpoint >> input, textarea"
    # SPA navigation: a visible nav link is followed; without one the app's history is used; never a reload.
    assert out["to_overview"]["method"] == "link" and out["to_main"]["method"] == "history"
    assert out["on_overview"]["title"] == "Overview - Demo"
    page_loads = [p for m, p, _ in sim.requests if m == "GET" and p.startswith("/data/perspective/client/Demo")]
    assert page_loads == ["/data/perspective/client/Demo/", "/data/perspective/client/Demo/nowhere"]
    assert out["back"]["method"] == "history"  # in-app moves load nothing, even out of a 404 page
    errors = {s: rec.step(s).error for s in ("dock_closed", "wrong_nav", "no_project", "no_page", "strict")}
    assert errors["dock_closed"] == "dock '[data-dock-id=\"nav\"]' is closed (present but hidden after 150 ms)"
    assert errors["wrong_nav"].startswith(f"after 150 ms the session is at '{sim.url}/data/perspective/client/Demo/'")
    assert errors["no_project"] == f"Perspective shows 'Project not found' at {sim.url}/data/perspective/client/Nope/"
    assert errors["no_page"].startswith("Perspective shows 'Page not found'")
    assert errors["strict"] == "1 of 1 manifest entries failed (first: entry 1 #nope: no element matches '#nope' after 150 ms)"
    check_inventory(out["discover"], out["buttons"], out["meta"])
    check_manifests(out["manifest"], out["abort"])


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in items if i.get("id")}


def check_inventory(page: dict[str, Any], buttons: dict[str, Any], meta: dict[str, Any]) -> None:
    items = by_id(page["inventory"])
    assert page["count"] == len(page["inventory"]) and page["root_selector"] == "body"
    assert Path(page["inventory_file"]).is_file()
    shadow = items["ackButton"]
    assert shadow["inShadow"] is True and shadow["shadowHost"] == "#alarmBadge"
    assert shadow["component"] == "ia.input.button" and shadow["type"] == "button" and shadow["selector"] == "#ackButton"
    go = items["goButton"]
    assert go["componentPath"].startswith("C$0:") and go["visible"] is True and go["text"] == "Go"
    assert go["position"]["width"] > 0 and go["selector"] == "#goButton"
    assert items["lockedButton"]["disabled"] is True and items["hiddenLabel"]["visible"] is False
    assert items["nameField"]["type"] == "input" and items["nameField"]["placeholder"] == "Your name"
    assert items["pumpToggle"]["type"] == "toggle" and items["navOverview"]["type"] == "link"
    assert "setpoint" in items and not [i for i in page["inventory"] if i["cssPath"].endswith("#setpoint > input:nth-of-type(1)")]
    assert {i["type"] for i in buttons["inventory"]} == {"button"}
    assert {"goButton", "ackButton", "lockedButton"} <= set(by_id(buttons["inventory"]))
    enriched = by_id(meta["enriched_inventory"])
    assert meta["status"] == "enriched" and meta["count"] == page["count"]
    assert enriched["goButton"]["metadata"]["selector_reliability"] == "high"
    assert enriched["ackButton"]["metadata"]["in_shadow_dom"] is True
    assert meta["reliability"]["high"] > 0 and meta["reliability"]["low"] > 0


def check_manifests(manifest: dict[str, Any], abort: dict[str, Any]) -> None:
    assert (manifest["status"], manifest["total"], manifest["passed"], manifest["failed"]) == ("failed", 5, 4, 1)
    results = manifest["results"]
    assert [r["status"] for r in results] == ["passed", "passed", "passed", "failed", "passed"]
    assert results[3]["error"] == "no element matches '#nope' after 3000 ms"
    assert results[4]["actual"] == "Hello, Bo"
    assert all(Path(r["screenshot"]).is_file() for r in results)
    assert len({r["screenshot"] for r in results}) == 5
    assert (abort["failed"], abort["skipped"], abort["passed"]) == (1, 1, 0)
    assert abort["results"][1]["status"] == "skipped"


async def test_login_carries_over_to_a_nested_playbook(tmp_path: Path, sim: SimulatedGateway) -> None:
    write_playbook(tmp_path, steps="""
        - {id: reopen, name: reopen, type: browser.navigate, parameters: {url: "{{ parameter.secure }}"}}
        - {id: welcome, name: welcome, type: perspective.verify, parameters: {component_id: welcomeLabel, expected: "Welcome, admin"}}
        - {id: relogin, name: relogin, type: perspective.login,
           parameters: {url: "{{ parameter.secure }}", username: admin, password: "{{ parameter.password }}"}}
    """, name="child.yaml", title="Browser test", parameters="""
        parameters:
          - {name: secure, type: string, required: true}
          - {name: password, type: string, required: true, secret: true}
    """, verified=True)
    secure = f"{sim.url}/data/perspective/client/Demo/secure"
    before = sum(1 for s in sim.state.sessions.values() if s.kind == "perspective")
    path = write_playbook(tmp_path, steps=f"""
        - {{id: locked_out, name: locked_out, type: perspective.navigate, on_failure: continue,
           parameters: {{url: "{secure}"}}}}
        - {{id: bad, name: bad, type: perspective.login, on_failure: continue,
           parameters: {{username: admin, password: wrong, timeout: 5000}}}}
        - {{id: retry, name: retry, type: perspective.login,
           parameters: {{username: admin, password: "{{{{ parameter.password }}}}"}}}}
        - {{id: login, name: login, type: perspective.login,
           parameters: {{url: "{secure}", username: admin, password: "{{{{ parameter.password }}}}"}}}}
        - {{id: user, name: user, type: perspective.verify, parameters: {{component_id: user-name, expected: admin}}}}
        - {{id: child, name: child, type: playbook.run,
           parameters: {{playbook: child.yaml, secure: "{secure}", password: "{{{{ parameter.password }}}}"}}}}
    """, name="pb.yaml", title="Browser test", parameters="parameters:\n  - {name: password, type: string, required: true, secret: true}\n")
    result, rec = await run(path, {"password": ADMIN_PASSWORD}, tmp_path=tmp_path)
    assert result.status == ExecutionStatus.COMPLETED, (result.error, rec.finished())
    assert rec.step("locked_out").error.endswith("requires a sign-in (the IdP login page is shown); "
                                                 "run perspective.login first")
    assert rec.step("bad").status == StepStatus.FAILED
    assert rec.step("bad").error == "login rejected: Invalid username or password."
    assert result.outputs["retry"]["status"] == "logged_in"  # continued at the password stage
    assert result.outputs["retry"]["url"] == secure
    assert result.outputs["login"]["status"] == "already_logged_in"
    child = result.outputs["child"]["outputs"]
    assert child["relogin"]["status"] == "already_logged_in"  # the child's browser is already signed in
    assert rec.step("child/welcome").status == StepStatus.COMPLETED
    starts = [m for m in rec.logs() if m.startswith("browser: Chromium ")]
    assert len(starts) == 1, starts  # one browser for the parent and the nested playbook
    assert ADMIN_PASSWORD not in repr(rec.events)
    after = sum(1 for s in sim.state.sessions.values() if s.kind == "perspective")
    assert after - before == 1  # exactly one sign-in, the parent's
