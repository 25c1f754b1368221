"""Every built-in step type that needs no browser, run through the real engine against a
simulated 8.3 gateway on a real socket, with the history recorded in a real SQLite store (the
fat.* steps read it): what each step returns is compared with what it declares, names and
kinds (StepType.output_problems). designer.* steps fail by design, saying what they need.

The browser.* and perspective.* step types are checked the same way in Chromium
(tests/functional/browser/test_step_contracts.py); between them the two tests cover every
built-in step type, and each fails when a step type of its share was not run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from igtk_tui.engine.events import Event, ExecutionPaused, ExecutionStatus, StepFinished
from igtk_tui.paths import Paths
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.steps.designer import NEEDS
from igtk_tui.steptypes import REGISTRY
from igtk_tui.store import Store
from tests.support.gateway import make_execution

CHILD = """\
name: Contract child
version: '1'
verified: true
parameters:
  - {name: who, type: string}
steps:
  - {id: hello, name: hello, type: utility.log, parameters: {message: "hello {{ parameter.who }}"}}
"""

PLAYBOOK = """\
name: Every step
version: '1'
parameters:
  - {name: gateway_url, type: string}
  - {name: api_token, type: string, secret: true}
  - {name: modl, type: string}
steps:
  # utility, flow and debug
  - {id: sleep, name: sleep, type: utility.sleep, parameters: {seconds: 0}}
  - {id: log, name: log, type: utility.log, parameters: {message: {a: 1}, level: warning}}
  - {id: variable, name: variable, type: utility.set_variable, parameters: {name: site, value: [1, 2]}}
  - id: python
    name: python
    type: utility.python
    parameters: {script: "print('ANSWER=42')\\nset_variable('from_script', params['x'])", params: {x: 7}}
  - {id: child, name: child, type: playbook.run, parameters: {playbook: child.yaml, who: operators}}
  - {id: pause, name: pause, type: debug.breakpoint, parameters: {message: look}}
  # the gateway: session, health, trial
  - id: login
    name: login
    type: gateway.login
    parameters: {gateway_url: "{{ parameter.gateway_url }}", api_token: "{{ parameter.api_token }}"}
  - {id: ping, name: ping, type: gateway.ping}
  - {id: info, name: info, type: gateway.get_info}
  - {id: health, name: health, type: gateway.get_health}
  - {id: trial, name: trial, type: gateway.trial_status}
  - {id: reset, name: reset, type: gateway.reset_trial}
  # modules, with the restart they need on 8.3
  - {id: modules, name: modules, type: gateway.list_modules, parameters: {include_quarantined: true}}
  - id: upload
    name: upload
    type: gateway.upload_module
    parameters: {file: "{{ parameter.modl }}", accept_certificate: true, accept_license: true}
  - {id: restart, name: restart, type: gateway.restart, parameters: {poll_interval: 0.05, timeout: 60}}
  - id: installed
    name: installed
    type: gateway.wait_for_module_installation
    parameters: {module_id: "{{ step.upload.module_id }}", poll_interval: 0.05, timeout: 60}
  - {id: uninstall, name: uninstall, type: gateway.uninstall_module, parameters: {module_id: com.example.widget}}
  # projects
  - {id: projects, name: projects, type: gateway.list_projects}
  - {id: project, name: project, type: gateway.get_project, parameters: {project_name: Demo}}
  - {id: export, name: export, type: gateway.export_project, parameters: {project_name: Demo}}
  - id: import
    name: import
    type: gateway.import_project
    parameters: {project_name: DemoCopy, file: "{{ step.export.path }}"}
  - {id: delete, name: delete, type: gateway.delete_project, parameters: {project_name: DemoCopy, confirm: true}}
  # scans, logs, tags, the gateway network
  - {id: scan, name: scan, type: gateway.scan, parameters: {poll_interval: 0.05, timeout: 60}}
  - {id: loggers, name: loggers, type: gateway.list_loggers}
  - id: level
    name: level
    type: gateway.set_logger_level
    parameters: {logger: "{{ step.loggers.loggers.0.name }}", level: DEBUG, restore_after: 0}
  - {id: logs, name: logs, type: gateway.download_logs}
  - {id: tags, name: tags, type: gateway.export_tags}
  - id: tags_back
    name: tags back
    type: gateway.import_tags
    parameters: {file: "{{ step.tags.path }}", collision_policy: Overwrite}
  - {id: network, name: network, type: gateway.list_network_gateways}
  - {id: approve, name: approve, type: gateway.approve_connection, parameters: {remote_id: "{{ step.network.pending.0 }}"}}
  # config resources
  - id: save
    name: save
    type: gateway.save_resource
    parameters: {resource_type: ignition/database-connection, name: Plant, config: {driver: PostgreSQL}}
  - {id: resources, name: resources, type: gateway.list_resources, parameters: {resource_type: ignition/database-connection}}
  - {id: resource, name: resource, type: gateway.get_resource, parameters: {resource_type: ignition/database-connection, name: Plant}}
  - id: unsave
    name: unsave
    type: gateway.delete_resource
    parameters: {resource_type: ignition/database-connection, name: Plant, confirm: true}
  # backup and restore, then the session's end
  - {id: backup, name: backup, type: gateway.backup}
  - id: restore
    name: restore
    type: gateway.restore
    parameters: {file: "{{ step.backup.path }}", confirm: true, poll_interval: 0.05, timeout: 60}
  - {id: ready, name: ready, type: gateway.wait_for_ready, parameters: {poll_interval: 0.05, timeout: 60}}
  - {id: logout, name: logout, type: gateway.logout}
  # the acceptance report of this execution (read from the history database)
  - {id: report, name: report, type: fat.generate_report, parameters: {format: json, test_results: [{name: a, status: passed}]}}
  - id: copy
    name: copy
    type: fat.export_report
    parameters: {report_id: "{{ step.report.report_id }}", output_path: out/report.json}
  # the Designer steps of the earlier toolkit: they load, and fail saying why
  - {id: d_launch, name: d_launch, type: designer.launch, on_failure: continue, parameters: {launcher_file: x.jnlp}}
  - {id: d_shortcut, name: d_shortcut, type: designer.launch_shortcut, on_failure: continue,
     parameters: {designer_shortcut: designerlauncher, project_name: Demo}}
  - {id: d_login, name: d_login, type: designer.login, on_failure: continue, parameters: {username: u}}
  - {id: d_open, name: d_open, type: designer.open_project, on_failure: continue, parameters: {project_name: Demo}}
  - {id: d_shot, name: d_shot, type: designer.screenshot, on_failure: continue}
  - {id: d_wait, name: d_wait, type: designer.wait, on_failure: continue}
  - {id: d_close, name: d_close, type: designer.close, on_failure: continue}
"""


def builtin_types(keep: Callable[[str], bool]) -> set[str]:
    """igtk's own step types (not a test's or a plugin's) for which `keep(name)` holds."""
    return {st.name for st in REGISTRY.all() if st.handler.__module__.startswith("igtk_tui.steps.") and keep(st.name)}


def check_contracts(types: dict[str, str], events: list[Event]) -> set[str]:
    """Compare each top-level step's outputs with its type's declaration; the types that ran."""
    problems: list[str] = []
    ran: set[str] = set()
    for event in events:
        if not isinstance(event, StepFinished) or event.step_id not in types or event.status.value != "completed":
            continue
        step_type = REGISTRY.get(types[event.step_id])
        assert step_type is not None
        ran.add(step_type.name)
        problems += [f"{event.step_id}: {p}" for p in step_type.output_problems(event.output)]
    assert problems == []
    return ran


async def test_every_step_type_without_a_browser_returns_what_it_declares(
        tmp_path: Path, gw: SimulatedGateway, modl_file: Callable[..., Path]) -> None:
    (tmp_path / "child.yaml").write_text(CHILD)
    params = {"gateway_url": gw.url, "api_token": gw.api_token, "modl": str(modl_file())}
    events: list[Event] = []

    def on_event(event: Event, execution: Any) -> None:
        if isinstance(event, ExecutionPaused):  # debug.breakpoint: the operator resumes
            asyncio.get_running_loop().call_soon(execution.resume)

    # The fat.* steps read the execution's own record: a real store whose database sits where
    # they look for it (<data>/artifacts/<id> -> <data>).
    store = await Store.open(Paths(config_dir=tmp_path, data_dir=tmp_path, state_dir=tmp_path))
    execution = make_execution(tmp_path, PLAYBOOK, params, events=events, on_event=on_event)
    recorder = store.recorder()
    execution.bus.subscribe(recorder)
    try:
        result = await asyncio.wait_for(execution.run(), 300)
    finally:
        await recorder.close()
        await store.close()
    assert result.status == ExecutionStatus.COMPLETED, result.error
    types = {s.id: s.type for s in execution.playbook.steps}
    ran = check_contracts(types, events)

    designer = {e.step_id: e for e in events if isinstance(e, StepFinished) and e.step_id.startswith("d_")}
    for step_id, event in designer.items():
        assert event.status.value == "failed" and event.error == f"{types[step_id]} {NEEDS}", event.error
    ran |= {types[step_id] for step_id in designer}
    assert ran == builtin_types(lambda name: not name.startswith(("browser.", "perspective.")))
