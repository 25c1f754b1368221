"""The command-line contract (docs/cli.md) for run, validate, schema, info and migrate,
driven as an operator or CI job would: a real `igtk` process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

PY = sys.executable


def igtk(*args: str, home: Path, cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "igtk_tui", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=child_env(home, env))


def child_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}
    env.update({"IGTK_HOME": str(home), "NO_COLOR": "1"})
    env.update(extra or {})
    return env


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def json_lines(stdout: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert lines and all("event" in line for line in lines)
    return lines


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_validate_prints_file_line_col_with_a_suggestion_and_exits_2(tmp_path: Path, home: Path) -> None:
    bad = write(tmp_path, "bad.yaml", """\
        name: Typo
        version: 1
        steps:
          - id: nap
            name: nap
            type: utility.sleep
            parameters:
              secnds: 2
        """)
    good = write(tmp_path, "good.yaml", "name: G\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, "
                                        "parameters: {message: hi}}\n")
    proc = igtk("validate", str(bad), str(good), home=home)
    assert proc.returncode == 2
    assert f"{bad}:8:7: unknown parameter 'secnds' for utility.sleep (did you mean 'seconds'?)" in proc.stdout
    assert f"{bad}:8:7: utility.sleep needs parameter 'seconds'" in proc.stdout
    assert "1 of 2 playbook(s) valid" in proc.stderr
    ok = igtk("validate", str(good), home=home)
    assert ok.returncode == 0 and ok.stdout == ""


def test_run_exit_codes_json_lines_and_redaction(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", """\
        name: Exit codes
        version: 1
        parameters:
          - {name: admin_password, type: string}
          - {name: fail, type: boolean, default: false}
        steps:
          - {id: greet, name: greet, type: utility.log, parameters: {message: "pw is {{ parameter.admin_password }}"}}
          - id: maybe_fail
            name: maybe fail
            type: utility.python
            parameters:
              params: {fail: "{{ parameter.fail }}"}
              script: |
                if params["fail"]:
                    raise SystemExit("asked to fail")
        """)
    ok = igtk("run", str(pb), "-p", "admin_password=s3cr3t-canary", "--json", home=home)
    assert ok.returncode == 0, ok.stderr
    lines = json_lines(ok.stdout)
    assert lines[0]["event"] == "execution_started" and lines[-1]["event"] == "execution_finished"
    assert lines[-1]["status"] == "completed"
    assert "s3cr3t-canary" not in ok.stdout and "s3cr3t-canary" not in ok.stderr
    assert lines[0]["parameters"]["admin_password"] == "••••"
    failed = igtk("run", str(pb), "-p", "admin_password=x1y2z3", "-p", "fail=yes", home=home)
    assert failed.returncode == 1
    assert "step 'maybe_fail' failed: script failed (exit 1): asked to fail" in failed.stdout


def test_param_coercion_errors_name_the_parameter_and_exit_2(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", """\
        name: Params
        version: 1
        parameters:
          - {name: count, type: integer}
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: "{{ parameter.count }}"}}
        """)
    bad = igtk("run", str(pb), "-p", "count=many", home=home)
    assert bad.returncode == 2
    assert "parameter 'count': must be a whole number, got 'many'" in bad.stderr
    assert not bad.stdout
    malformed = igtk("run", str(pb), "-p", "count", home=home)
    assert malformed.returncode == 2 and "-p 'count': expected NAME=VALUE" in malformed.stderr
    missing = igtk("run", str(pb), home=home)
    assert missing.returncode == 2 and "missing required parameter 'count' (integer)" in missing.stderr


def test_params_file_yaml_and_json_and_command_line_precedence(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", """\
        name: Params file
        version: 1
        parameters:
          - {name: count, type: integer}
          - {name: tags, type: list}
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: "{{ parameter.count }} {{ parameter.tags }}"}}
        """)
    yaml_file = write(tmp_path, "p.yaml", "count: '4'\ntags: [a, b]\n")
    json_file = write(tmp_path, "p.json", '{"count": 5, "tags": "x, y"}')
    for params_file, expected in ((yaml_file, "4 ['a', 'b']"), (json_file, "5 ['x', 'y']")):
        proc = igtk("run", str(pb), "--params-file", str(params_file), "--json", home=home)
        assert proc.returncode == 0, proc.stderr
        finished = [e for e in json_lines(proc.stdout) if e["event"] == "step_finished"]
        assert finished[0]["output"]["logged"] == expected
    proc = igtk("run", str(pb), "--params-file", str(json_file), "-p", "count=9", "--json", home=home)
    assert next(e for e in json_lines(proc.stdout) if e["event"] == "step_finished")["output"]["logged"] == (
        "9 ['x', 'y']")
    bad = igtk("run", str(pb), "--params-file", str(tmp_path / "none.yaml"), home=home)
    assert bad.returncode == 2 and "--params-file" in bad.stderr


def test_junit_has_one_testcase_per_step(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", """\
        name: JUnit
        version: 1
        steps:
          - {id: ok, name: fine, type: utility.log, parameters: {message: ok}}
          - {id: skipped, name: not today, type: utility.log, when: "false", parameters: {message: x}}
          - {id: broken, name: broken, type: utility.python, on_failure: continue,
             parameters: {script: "raise SystemExit('no <good> & bad')"}}
          - {id: last, name: last, type: utility.log, parameters: {message: done}}
        """)
    report = tmp_path / "reports" / "junit.xml"
    proc = igtk("run", str(pb), "--junit", str(report), home=home)
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "JUnit"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["ok: fine", "skipped: not today", "broken: broken", "last: last"]
    assert cases[1].find("skipped").get("message") == "condition"
    failure = cases[2].find("failure")
    assert failure is not None and "no <good> & bad" in failure.get("message")
    assert cases[0].find("failure") is None and cases[3].find("failure") is None


def test_ctrl_c_cancels_the_run_and_exits_130(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", """\
        name: Long
        version: 1
        steps:
          - {id: first, name: first, type: utility.log, parameters: {message: hi}}
          - {id: long, name: long, type: utility.sleep, parameters: {seconds: 600}}
          - {id: never, name: never, type: utility.log, parameters: {message: never}}
        """)
    proc = subprocess.Popen([PY, "-m", "igtk_tui", "run", str(pb), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env(home))
    assert proc.stdout is not None
    lines = []
    try:
        for raw in proc.stdout:
            event = json.loads(raw)
            lines.append(event)
            if event["event"] == "step_started" and event["step_id"] == "long":
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines += json_lines(out)
    assert proc.returncode == 130, err
    assert lines[-1]["event"] == "execution_finished" and lines[-1]["status"] == "cancelled"
    long_done = [e for e in lines if e["event"] == "step_finished" and e["step_id"] == "long"]
    assert long_done and long_done[0]["status"] == "cancelled"
    assert not [e for e in lines if e.get("step_id") == "never"]


def test_a_nesting_cycle_is_refused_before_running(tmp_path: Path, home: Path) -> None:
    a = write(tmp_path, "a.yaml", """\
        name: A
        version: 1
        verified: true
        steps:
          - {id: log, name: log, type: utility.log, parameters: {message: started}}
          - {id: to_b, name: to b, type: playbook.run, parameters: {playbook: b.yaml}}
        """)
    write(tmp_path, "b.yaml", """\
        name: B
        version: 1
        verified: true
        steps:
          - {id: to_a, name: to a, type: playbook.run, parameters: {playbook: a.yaml}}
        """)
    proc = igtk("run", str(a), "--json", home=home)
    assert proc.returncode == 2
    assert "cycle a.yaml -> b.yaml -> a.yaml" in proc.stderr
    assert proc.stdout == ""  # nothing ran
    val = igtk("validate", str(a), home=home)
    assert val.returncode == 2 and "cycle a.yaml -> b.yaml -> a.yaml" in val.stdout


def test_igtk_run_never_imports_textual(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", "name: T\nversion: 1\nsteps:\n"
                                    "  - {id: a, name: a, type: utility.log, parameters: {message: hi}}\n")
    code = textwrap.dedent(f"""\
        import sys
        from igtk_tui.cli import main
        rc = main(["run", {str(pb)!r}])
        heavy = sorted(m for m in ("textual", "rich", "playwright", "httpx") if m in sys.modules)
        print("RC", rc, "HEAVY", ",".join(heavy) or "none")
        """)
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=child_env(home), timeout=60)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RC 0 HEAVY ")
    assert "textual" not in last.split("HEAVY ", 1)[1]


def test_info_prints_every_path_under_igtk_home(tmp_path: Path, home: Path) -> None:
    proc = igtk("info", home=home)
    assert proc.returncode == 0, proc.stderr
    root = str(home.resolve())
    for name in ("config_dir", "data_dir", "state_dir", "config_file", "db_file", "artifacts_dir",
                 "user_playbooks_dir", "vault_file", "logs_dir", "crash_dir", "user_themes_dir"):
        line = next((ln for ln in proc.stdout.splitlines() if ln.strip().startswith(name + " ")), None)
        assert line is not None, f"{name} missing from igtk info"
        assert line.split(None, 1)[1].startswith(root), line
    as_json = json.loads(igtk("info", "--json", home=home).stdout)
    assert all(v.startswith(root) for v in as_json["paths"].values())
    agent = as_json["agent"]  # the agent's log is where an operator looks when a detached run went wrong
    assert agent["state"] == "not running" and agent["log"].startswith(root) and agent["socket"].startswith(root)
    assert f"log            {agent['log']}" in proc.stdout
    other = json.loads(igtk("info", "--json", home=tmp_path / "elsewhere").stdout)
    assert other["paths"]["db_file"].startswith(str((tmp_path / "elsewhere").resolve()))


def test_migrate_is_a_registered_command(tmp_path: Path, home: Path) -> None:
    pb = write(tmp_path, "pb.yaml", """\
        name: M
        version: 1
        parameters:
          - {name: n, type: integer, default: 2}
        steps:
          - id: a
            name: a
            type: utility.python
            parameters:
              script: |
                print("N=" + str({{ parameter.n }} * 2))
        """)
    proc = igtk("migrate", "--dry-run", str(pb), home=home)
    assert proc.returncode == 0, proc.stderr
    assert f"{pb}:11:26: step 'a': moved {{{{ parameter.n }}}} into params" in proc.stdout
    assert "{{ parameter.n }}" in pb.read_text()


# -- igtk schema ------------------------------------------------------------------------------
class SchemaError(AssertionError):
    pass


def validate(instance: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "$") -> None:
    """A small validator for the JSON Schema keywords `igtk schema` uses (no jsonschema dependency)."""
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        validate(instance, root["$defs"][ref.split("/")[-1]], root, where)
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int,
                 "number": (int, float)}
        if not any(isinstance(instance, kinds[n]) and not (n in ("integer", "number") and isinstance(instance, bool))
                   for n in names):
            raise SchemaError(f"{where}: expected {types}, got {instance!r}")
    if "enum" in schema and instance not in schema["enum"]:
        raise SchemaError(f"{where}: {instance!r} not in enum")
    if "const" in schema and instance != schema["const"]:
        raise SchemaError(f"{where}: {instance!r} != const {schema['const']!r}")
    if "pattern" in schema and isinstance(instance, str):
        import re

        if not re.search(schema["pattern"], instance):
            raise SchemaError(f"{where}: {instance!r} does not match {schema['pattern']}")
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            raise SchemaError(f"{where}: {instance} < minimum")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            raise SchemaError(f"{where}: {instance} <= exclusiveMinimum")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                raise SchemaError(f"{where}: missing {key!r}")
        props = schema.get("properties", {})
        for key, value in instance.items():
            if key in props:
                validate(value, props[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                raise SchemaError(f"{where}: unexpected {key!r}")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            raise SchemaError(f"{where}: too few items")
        if "items" in schema:
            for i, item in enumerate(instance):
                validate(item, schema["items"], root, f"{where}[{i}]")
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                validate(instance, option, root, where)
                break
            except SchemaError as exc:
                errors.append(str(exc))
        else:
            raise SchemaError(f"{where}: no anyOf option matched: {errors}")
    for sub in schema.get("allOf", []):
        if "if" in sub:
            try:
                validate(instance, sub["if"], root, where)
            except SchemaError:
                continue
            validate(instance, sub["then"], root, where)
        else:
            validate(instance, sub, root, where)


KNOWN_KEYWORDS = {"$schema", "$defs", "$ref", "title", "description", "type", "required", "properties",
                  "additionalProperties", "items", "enum", "const", "pattern", "minimum", "maximum",
                  "exclusiveMinimum", "minItems", "default", "anyOf", "allOf", "if", "then"}


def check_structure(schema: Any, root: dict[str, Any], where: str = "$") -> None:
    """Every keyword known, every $ref resolvable, every `required` name a declared property."""
    if isinstance(schema, list):
        for i, s in enumerate(schema):
            check_structure(s, root, f"{where}[{i}]")
        return
    assert isinstance(schema, dict), f"{where}: a schema must be an object"
    for key, value in schema.items():
        assert key in KNOWN_KEYWORDS, f"{where}: unknown keyword {key!r}"
        if key in ("properties", "$defs"):
            assert isinstance(value, dict)
            for name, sub in value.items():
                check_structure(sub, root, f"{where}.{key}.{name}")
        elif key in ("items", "additionalProperties", "if", "then") and isinstance(value, dict):
            check_structure(value, root, f"{where}.{key}")
        elif key in ("anyOf", "allOf"):
            assert isinstance(value, list) and value
            check_structure(value, root, f"{where}.{key}")
        elif key == "$ref":
            assert value.startswith("#/$defs/") and value.split("/")[-1] in root["$defs"], value
        elif key == "enum":
            assert isinstance(value, list) and value, f"{where}: empty enum"
        elif key == "required":
            assert isinstance(value, list) and all(isinstance(v, str) for v in value)
            if "properties" in schema:
                assert set(value) <= set(schema["properties"]), f"{where}: required names an undeclared property"
        elif key == "type":
            names = value if isinstance(value, list) else [value]
            assert set(names) <= {"object", "array", "string", "boolean", "integer", "number", "null"}


def test_schema_is_a_valid_json_schema_that_accepts_playbooks_and_rejects_typos(home: Path) -> None:
    proc = igtk("schema", home=home)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    check_structure(schema, schema)
    try:
        import jsonschema  # type: ignore[import-not-found]
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        jsonschema.Draft202012Validator.check_schema(schema)
    import yaml

    legacy = Path(__file__).resolve().parents[2] / "data" / "legacy"
    for path in sorted(legacy.glob("*.yaml")):
        validate(yaml.safe_load(path.read_text()), schema, schema, path.name)
    typo = yaml.safe_load("name: X\nversion: 1\nsteps:\n  - {id: a, type: utility.python, parameters: {script: x, code: y}}\n")
    with pytest.raises(SchemaError, match="unexpected 'code'"):
        validate(typo, schema, schema)
    with pytest.raises(SchemaError, match="not in enum"):
        validate(yaml.safe_load("name: X\nversion: 1\nsteps:\n  - {id: a, type: utility.slep}\n"), schema, schema)
    step_types = schema["$defs"]["step"]["properties"]["type"]["enum"]
    assert {"utility.python", "playbook.run", "debug.breakpoint"} <= set(step_types)


def test_usage_errors_exit_2_and_help_lists_every_command(home: Path) -> None:
    help_text = igtk("--help", home=home)
    assert help_text.returncode == 0
    for command in ("run", "validate", "schema", "info", "migrate"):
        assert f"    {command} " in help_text.stdout
    assert igtk("run", home=home).returncode == 2
    assert "the following arguments are required: PLAYBOOK" in igtk("run", home=home).stderr
    unknown = igtk("frobnicate", home=home)
    assert unknown.returncode == 2 and "invalid choice: 'frobnicate'" in unknown.stderr
    run_help = igtk("run", "--help", home=home)
    assert run_help.returncode == 0 and "--params-file" in run_help.stdout


def test_legacy_playbooks_validate_and_run_with_the_pasting_warning(tmp_path: Path, home: Path) -> None:
    legacy = Path(__file__).resolve().parents[2] / "data" / "legacy"
    val = igtk("validate", str(legacy), home=home)
    assert val.returncode == 0, val.stdout + val.stderr
    warnings = [line for line in val.stdout.splitlines() if "warning: references inside script source" in line]
    assert len(warnings) == 4 and all(line.startswith(str(legacy)) for line in warnings)
    assert igtk("validate", "--strict", str(legacy), home=home).returncode == 2
    proc = igtk("run", str(legacy / "trial_status_check.yaml"), "-p", "gateway_url=http://gw:8088",
                "-p", "status_text=45 minutes remaining", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    assert "warning: references inside script source are pasted as text" in proc.stderr
    assert "params: {name: '{{ parameter.x }}'}" in proc.stderr
    parse = next(e for e in json_lines(proc.stdout) if e["event"] == "step_finished" and e["step_id"] == "parse")
    assert parse["output"]["NEEDS_RESET"] == "False" and parse["output"]["MINUTES"] == "45"


def test_the_quick_exit_loses_no_output_and_runs_exit_handlers(tmp_path: Path, home: Path) -> None:
    """`igtk` leaves with os._exit once `main` returns: every JSON line of a chatty run still
    reaches the pipe, the exit code is kept, and exit handlers (the browser reaper's kind) run."""
    lines = "\n".join(f"  - {{id: s{i}, name: s{i}, type: utility.log, parameters: {{message: 'line {i} "
                      f"{'x' * 200}'}}}}" for i in range(400))
    pb = tmp_path / "chatty.yaml"
    pb.write_text(f"name: Chatty\nversion: 1\nsteps:\n{lines}\n"
                  "  - {id: boom, name: boom, type: utility.python, parameters: {script: 'raise SystemExit(3)'}}\n")
    marker = tmp_path / "exit-handler-ran"
    code = ("import atexit, pathlib, sys\n"
            f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'ran')\n"
            "from igtk_tui.cli import entry\n"
            "sys.argv = ['igtk', *sys.argv[1:]]\n"
            "entry()\n")
    proc = subprocess.run([PY, "-c", code, "run", str(pb), "--json"], capture_output=True, text=True, timeout=60,
                          env=child_env(home))
    assert proc.returncode == 1, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sum(e["event"] == "log" for e in events) >= 400
    assert events[-1]["event"] == "execution_finished" and events[-1]["status"] == "failed"
    assert marker.read_text() == "ran"
