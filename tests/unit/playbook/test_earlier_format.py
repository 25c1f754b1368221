"""The earlier toolkit's format: recognised, its dropped keys warned about at their
location (and dropped), its defaults applied; igtk's own format stays strict."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from igtk_tui.engine.nesting import PlaybookResolver
from igtk_tui.playbook.errors import PlaybookError
from igtk_tui.playbook.loader import load_file, load_text
from tests.support.cli import Igtk

EARLIER = """\
name: Reset Trial
version: "2.0"
description: as the earlier toolkit shipped it
domain: gateway
group: "Gateway (Base Playbooks)"
author: someone
parameters:
  - name: gateway_url
    type: string
    required: true
    options: [a, b]
steps:
  - id: open
    name: "Step 1: open"
    type: browser.navigate
    timeout: 60
    parameters:
      url: "{{ parameter.gateway_url }}/app/platform/system/licensing"
      wait_for: networkidle
      timeout: 30
      download_path: ./data/downloads
  - id: check
    name: "Step 2: check"
    type: browser.verify
    retry_cont: 2
    parameters:
      selector: "button:has-text('Reset')"
      condition: exists
      retry_count: 3
  - id: nap
    name: "Step 3: nap"
    type: utility.sleep
  - id: say
    name: "Step 4: say"
    type: utility.log
  - id: restart
    name: "Step 5: restart"
    type: gateway.restart
"""


def test_an_earlier_format_playbook_loads_with_one_located_warning_per_ignored_key() -> None:
    pb = load_text(EARLIER, path="reset_trial.yaml")
    assert pb.earlier_format
    assert list(pb.warnings) == [
        "reset_trial.yaml:6:1: warning: unknown top-level key 'author' ignored, as the earlier toolkit did",
        "reset_trial.yaml:11:5: warning: unknown parameter field 'options' ignored, as the earlier toolkit did",
        "reset_trial.yaml:20:7: warning: parameter 'timeout' of browser.navigate ignored, as the earlier toolkit "
        "did: the earlier toolkit never read it (Playwright's 30 s applied)",
        "reset_trial.yaml:21:7: warning: unknown parameter 'download_path' for browser.navigate ignored, as the "
        "earlier toolkit did; known: url, wait_until, timeout, wait_for",
        "reset_trial.yaml:25:5: warning: unknown step field 'retry_cont' ignored, as the earlier toolkit did; "
        "did you mean 'retry_count'?",
        "reset_trial.yaml:29:7: warning: unknown parameter 'retry_count' for browser.verify ignored, as the "
        "earlier toolkit did; so the step ran once, as written; 'retry_count' is a step field: "
        "move it out of 'parameters'",
    ]
    open_, check, nap, say, restart = pb.steps
    # Dropped as the earlier toolkit dropped them; `wait_for: networkidle` is its wait_until.
    assert open_.parameters == {"url": "{{ parameter.gateway_url }}/app/platform/system/licensing",
                                "wait_for": "networkidle"}
    assert open_.timeout == 60  # the step-level timeout is seconds, as before
    assert check.parameters == {"selector": "button:has-text('Reset')", "condition": "exists"}
    assert check.retry_count == 0
    # The earlier toolkit's defaults where igtk's differ.
    assert nap.parameters == {"seconds": 1}
    assert say.parameters == {"message": ""}
    assert restart.parameters == {"wait_for_ready": False, "timeout": 120}


def test_igtk_format_stays_strict_about_the_same_keys() -> None:
    own = EARLIER.replace("domain: gateway\n", "")
    with pytest.raises(PlaybookError) as info:
        load_text(own, path="own.yaml")
    messages = [p.message for p in info.value.problems if p.severity == "error"]
    assert "unknown top-level key 'author'" in messages
    assert "unknown parameter 'download_path' for browser.navigate; known: url, wait_until, timeout, wait_for" \
        in messages
    assert "utility.sleep needs parameter 'seconds'" in messages
    assert any(m.startswith("timeout must be at least 100") for m in messages)


@pytest.mark.parametrize("addition", [
    "    when: \"true\"\n", "    backoff: 2\n", "    breakpoint: false\n", "    description: d\n"])
def test_an_igtk_addition_makes_it_igtk_format_even_with_a_domain(addition: str) -> None:
    text = EARLIER.replace('    name: "Step 3: nap"\n', '    name: "Step 3: nap"\n' + addition)
    with pytest.raises(PlaybookError, match="unknown top-level key 'author'"):
        load_text(text, path="x.yaml")


def test_code_instead_of_script_stays_an_error_and_says_the_earlier_toolkit_failed_too() -> None:
    text = textwrap.dedent("""\
        name: X
        version: "1"
        domain: gateway
        steps:
          - id: s
            name: s
            type: utility.python
            parameters:
              code: print("hi")
        """)
    with pytest.raises(PlaybookError) as info:
        load_text(text, path="x.yaml")
    assert str(info.value.problems[0]) == (
        "x.yaml:9:7: unknown parameter 'code' for utility.python (did you mean 'script'?): "
        "the earlier toolkit failed this step too, its handler reads only 'script'")


def test_designer_and_fat_steps_load_with_their_earlier_parameters() -> None:
    text = textwrap.dedent("""\
        name: Designer and FAT
        version: "1"
        domain: designer
        steps:
          - {id: a, name: a, type: designer.launch_shortcut,
             parameters: {designer_shortcut: "designerlauncher.exe -Dx", project_name: P, username: u, password: p,
                          timeout: 60}}
          - {id: b, name: b, type: designer.login, parameters: {username: u, password: p}}
          - {id: c, name: c, type: designer.open_project, parameters: {project_name: P}}
          - {id: d, name: d, type: designer.screenshot, parameters: {name: shot}}
          - {id: e, name: e, type: designer.wait, parameters: {timeout: 30}}
          - {id: f, name: f, type: designer.close}
          - {id: g, name: g, type: designer.launch, parameters: {launcher_file: x.jnlp}}
          - {id: h, name: h, type: fat.generate_report,
             parameters: {test_results: {results: [], total: 0, passed: 0, failed: 0, skipped: 0},
                          metadata: {project_name: P}, format: html}}
          - {id: i, name: i, type: fat.export_report, parameters: {report_id: r1, format: pdf, output_path: out}}
        """)
    pb = load_text(text, path="x.yaml")
    assert pb.warnings == () and len(pb.steps) == 9


def test_validate_prints_each_warning_once_and_strict_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "reset_trial.yaml"
    path.write_text(EARLIER, encoding="utf-8")
    igtk = Igtk(tmp_path / "home")
    lenient = igtk("validate", str(path))
    assert lenient.code == 0, lenient.stdout + lenient.stderr
    lines = lenient.stdout.splitlines()
    assert len(lines) == 6 and len(set(lines)) == 6
    assert all(line.startswith(f"{path}:") and ": warning: " in line for line in lines)
    strict = igtk("validate", str(path), "--strict")
    assert strict.code == 2 and strict.stdout == lenient.stdout


def test_playbook_run_searches_the_callers_folder_then_its_parents_then_the_roots(tmp_path: Path) -> None:
    library = tmp_path / "library"
    tree = tmp_path / "playbooks"
    for root in (library, tree):
        (root / "gateway").mkdir(parents=True)
        (root / "gateway" / "gateway_login.yaml").write_text(
            f"name: login {root.name}\nversion: '1'\nverified: true\nsteps:\n"
            "  - {id: a, name: a, type: utility.log, parameters: {message: hi}}\n", encoding="utf-8")
    caller = tree / "gateway" / "module_install.yaml"
    caller.write_text("name: c\nversion: '1'\nsteps:\n"
                      "  - {id: a, name: a, type: playbook.run, parameters: {playbook: gateway/gateway_login.yaml}}\n",
                      encoding="utf-8")
    resolver = PlaybookResolver([library])
    parent = load_file(caller)
    # Not in playbooks/gateway/gateway/: its parent playbooks/ has it, before the library root.
    assert resolver.find(parent, "gateway/gateway_login.yaml") == (tree / "gateway" / "gateway_login.yaml").resolve()
    (tree / "gateway" / "gateway_login.yaml").unlink()
    assert resolver.find(parent, "gateway/gateway_login.yaml") == (library / "gateway" / "gateway_login.yaml").resolve()
