"""Every built-in browser.* and perspective.* step type, run in one execution in a real
Chromium against the simulator's Perspective pages: what each step returns is compared with
what it declares, names and kinds (StepType.output_problems). The other step types are checked
in tests/functional/gateway/test_step_contracts.py; this test fails when a browser or
Perspective step type was not run."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.engine.events import ExecutionStatus
from igtk_tui.playbook.loader import load_file
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.steptypes import REGISTRY
from tests.support.browser import ADMIN_PASSWORD, run
from tests.support.playbooks import write_playbook

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("lingering_driver")]

STEPS = """
# browser.* on the Demo project's main view
- {id: open, name: open, type: browser.navigate, parameters: {url: "{{ parameter.demo }}", wait_for: "#goButton"}}
- {id: click, name: click, type: browser.click, parameters: {selector: "#goButton"}}
- {id: label, name: label, type: browser.verify_text, parameters: {selector: "#statusLabel", text: Clicked 1}}
- {id: fill, name: fill, type: browser.fill, parameters: {selector: "#nameField", value: Ada}}
- {id: keys, name: keys, type: browser.keyboard, parameters: {selector: "#nameField", text: " Jr"}}
- {id: toggle, name: toggle, type: browser.click, parameters: {selector: "#pumpToggle"}}
- {id: attr, name: attr, type: browser.verify_attribute, parameters: {selector: "#pumpToggle", attribute: aria-checked, value: "true"}}
- {id: state, name: state, type: browser.verify_state, parameters: {selector: "#lockedButton", state: disabled}}
- {id: verify, name: verify, type: browser.verify, parameters: {selector: "#goButton"}}
- {id: text, name: text, type: browser.get_text, parameters: {selector: "#pumpState"}}
- {id: shot, name: shot, type: browser.screenshot, parameters: {name: main}}
- {id: to_overview, name: to_overview, type: browser.click, parameters: {selector: "#toOverview"}}
- {id: wait, name: wait, type: browser.wait, parameters: {selector: "#overviewTitle"}}
- {id: upload, name: upload, type: browser.file_upload, parameters: {selector: "#upload input[type=file]", file_path: data.txt}}
# perspective.* in the same session
- {id: p_open, name: p_open, type: perspective.navigate, parameters: {url: "{{ parameter.gw }}", project: Demo}}
- {id: p_click, name: p_click, type: perspective.click, parameters: {component_id: goButton}}
- {id: p_fill, name: p_fill, type: perspective.fill, parameters: {component_id: nameField, value: Bo}}
- {id: p_verify, name: p_verify, type: perspective.verify, parameters: {component_id: greeting, expected: "Hello, Bo"}}
- {id: discover, name: discover, type: perspective.discover_page, parameters: {types: [button]}}
- {id: meta, name: meta, type: perspective.extract_component_metadata, parameters: {components: "{{ step.discover.inventory }}"}}
- {id: open_dock, name: open_dock, type: perspective.click, parameters: {selector: div.docked-view-left div.view-toggle}}
- {id: dock, name: dock, type: perspective.verify_dock_opened, parameters: {dock_id: nav}}
- {id: p_overview, name: p_overview, type: perspective.navigate, parameters: {page: /overview}}
- {id: on_overview, name: on_overview, type: perspective.verify_navigation, parameters: {expected_url_pattern: /Demo/overview}}
- {id: p_back, name: p_back, type: perspective.navigate, parameters: {url: "{{ parameter.gw }}", project: Demo}}
- {id: manifest, name: manifest, type: perspective.execute_test_manifest,
   parameters: {capture_screenshots: false, timeout: 5000, manifest: [{component_id: goButton, action: click}]}}
- {id: login, name: login, type: perspective.login,
   parameters: {url: "{{ parameter.secure }}", username: admin, password: "{{ parameter.password }}"}}
"""

PARAMS = """
parameters:
  - {name: demo, type: string}
  - {name: gw, type: string}
  - {name: secure, type: string}
  - {name: password, type: string, secret: true}
"""


async def test_every_browser_and_perspective_step_type_returns_what_it_declares(
        tmp_path: Path, sim: SimulatedGateway, demo: str) -> None:
    (tmp_path / "data.txt").write_text("hello", encoding="utf-8")
    path = write_playbook(tmp_path, steps=STEPS, name="pb.yaml", title="Browser test", parameters=PARAMS)
    params = {"demo": demo, "gw": sim.url, "secure": f"{sim.url}/data/perspective/client/Demo/secure",
              "password": ADMIN_PASSWORD}
    result, rec = await run(path, params, tmp_path=tmp_path)
    assert result.status == ExecutionStatus.COMPLETED, (result.error, rec.finished())
    problems: list[str] = []
    ran: set[str] = set()
    for step in load_file(path).steps:
        step_type = REGISTRY.get(step.type)
        assert step_type is not None
        ran.add(step.type)
        problems += [f"{step.id}: {p}" for p in step_type.output_problems(rec.step(step.id).output)]
    assert problems == []
    expected = {st.name for st in REGISTRY.all()
                if st.handler.__module__.startswith("igtk_tui.steps.") and st.name.startswith(("browser.", "perspective."))}
    assert ran == expected
