"""`igtk migrate`: script references become data, edited in place, with a backup."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

import pytest

from igtk_tui.commands import migrate as migrate_command
from igtk_tui.playbook.errors import PlaybookError
from igtk_tui.playbook.loader import load_text
from igtk_tui.playbook.migrate import migrate_file, migrate_text
from igtk_tui.playbook.script_refs import rewrite_script

DATA = Path(__file__).resolve().parents[2] / "data" / "migrate"
BEFORE = DATA / "forms.before.yaml"
AFTER = DATA / "forms.after.yaml"


def test_before_becomes_after_exactly() -> None:
    migration = migrate_text(BEFORE.read_text(), path=BEFORE)
    assert migration.text == AFTER.read_text()
    assert migration.steps == ["safe", "flow", "existing", "undo"]


def test_every_change_and_every_leftover_is_reported_with_its_location() -> None:
    migration = migrate_text(BEFORE.read_text(), path="forms.yaml")
    moved = [str(n) for n in migration.moved]
    assert moved[:3] == [
        "forms.yaml:27:17: step 'safe': moved {{ parameter.folder }} (in a comment) into params",
        "forms.yaml:28:22: step 'safe': moved {{ parameter.folder }} into params",
        "forms.yaml:29:17: step 'safe': moved {{ folder }} into params",
    ]
    assert len(moved) == 11
    assert [str(n) for n in migration.left] == [
        "forms.yaml:58:15: step 'unsafe': left {{ parameter.folder }} in place: it is inside an f-string",
        "forms.yaml:59:18: step 'unsafe': left {{ parameter.count }} in place: the string is joined to another "
        "literal next to it",
        "forms.yaml:60:13: step 'unsafe': left {{ parameter.folder }} in place: the old toolkit evaluated its text "
        "as Python code; rewrite it by hand (read params[...] and convert)",
    ]
    lines = BEFORE.read_text().splitlines()
    assert lines[27][21:].startswith("{{ parameter.folder }}")  # 28:22 is exactly where it was written
    assert lines[59][12:].startswith("{{ parameter.folder }}")


def test_comments_and_formatting_outside_the_edits_are_kept() -> None:
    before, after = BEFORE.read_text(), AFTER.read_text()
    for line in before.splitlines():
        if "{{" not in line and "params:" not in line:
            assert line in after.splitlines(), line
    assert "# a Windows path in practice" in after and "# Step 1 uses every safe form." in after


def test_the_result_loads_and_carries_the_data_form() -> None:
    pb = load_text(AFTER.read_text(), path="after.yaml")
    safe = pb.step("safe")
    assert safe is not None
    assert safe.parameters["params"] == {
        "folder": "{{ parameter.folder }}", "count": "{{ parameter.count }}",
        "strict": "{{ parameter.strict }}", "note": "{{ parameter.note }}"}
    assert "{{" not in safe.parameters["script"]
    # Only the step left for review still pastes text.
    assert len(pb.warnings) == 1 and "references inside script source" in pb.warnings[0]
    unsafe = pb.step("unsafe")
    assert unsafe is not None and unsafe.param_locations["script"].line == int(pb.warnings[0].split(":")[1])


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('x = "{{ parameter.count }}"\n', 'x = str(params["count"])\n'),
        ("x = '{{ parameter.name }}' + 'y'\n", "x = params[\"name\"] + 'y'\n"),
        ('x = "a{{ parameter.name }}b" * 2\n', 'x = ("a" + params["name"] + "b") * 2\n'),
        ('x = r"C:\\{{ parameter.name }}"\n', 'x = \'C:\\\\\' + params["name"]\n'),
        ('f({{ parameter.count }}, y)\n', 'f(params["count"], y)\n'),
        ('x = "{{ step.a.out }}"\n', 'x = str(params["out"])\n'),
        ('x = "{{ credential.gw.username }}"\n', 'x = params["username"]\n'),
        ('x = "{{ parameter.opt }}"\n', 'x = (params["opt"] or \'\')\n'),
        ('x = "{{ parameter.flag }}"\n', 'x = str(params["flag"])\n'),
        ('x = """\nline {{ parameter.name }}\n"""\n', 'x = """\nline """ + params["name"] + """\n"""\n'),
    ],
)
def test_rewrite_forms(script: str, expected: str) -> None:
    pb = load_text("""\
name: X
version: 1
parameters:
  - {name: count, type: integer, default: 1}
  - {name: name, type: string, default: n}
  - {name: opt, type: string, required: false}
  - {name: flag, type: boolean, default: true}
steps:
  - {id: a, name: a, type: utility.log, parameters: {message: hi}}
""")
    result = rewrite_script(script, pb, {})
    assert result.script == expected and not result.left


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ('x = f"{{ parameter.name }}"\n', "inside an f-string"),
        ('x = b"{{ parameter.name }}"\n', "inside a bytes literal"),
        ('x = "\\{{ parameter.name }}"\n', "a backslash escape runs into it"),
        ("x = {{ parameter.name }}\n", "evaluated its text as Python code"),
        ("x_{{ parameter.count }} = 1\n", "glued to other code"),
        ('x = "a" "{{ parameter.name }}"\n', "joined to another literal"),
    ],
)
def test_unsafe_forms_are_left_with_a_reason(script: str, reason: str) -> None:
    pb = load_text("""\
name: X
version: 1
parameters:
  - {name: count, type: integer, default: 1}
  - {name: name, type: string, default: n}
steps:
  - {id: a, name: a, type: utility.log, parameters: {message: hi}}
""")
    result = rewrite_script(script, pb, {})
    assert result.script == script and not result.moved
    assert len(result.left) == 1 and reason in result.left[0][1]


def test_migrate_file_keeps_a_backup_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "forms.yaml"
    path.write_text(BEFORE.read_text())
    migration = migrate_file(path, now=datetime(2026, 1, 2, 3, 4, 5))
    assert migration.backup == tmp_path / "forms.backup.20260102-030405.yaml"
    assert migration.backup.read_text() == BEFORE.read_text()
    assert path.read_text() == AFTER.read_text()
    again = migrate_file(path, now=datetime(2026, 1, 2, 3, 4, 5))
    assert not again.changed and again.backup is None and not again.moved
    assert len(again.left) == 3  # the unsafe ones are reported every time
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forms.backup.20260102-030405.yaml", "forms.yaml"]


def test_an_invalid_playbook_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    text = "name: X\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.python, parameters: {code: '{{ x }}'}}\n"
    path.write_text(text)
    with pytest.raises(PlaybookError):
        migrate_file(path)
    assert path.read_text() == text and list(tmp_path.iterdir()) == [path]


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="igtk")
    sub = parser.add_subparsers()
    migrate_command.add_parser(sub)
    args = parser.parse_args(["migrate", *argv])
    return args.func(args)


def test_the_command_prints_changes_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    safe = tmp_path / "safe.yaml"
    safe.write_text("""\
name: X
version: 1
parameters:
  - {name: folder, type: string, default: /tmp}
steps:
  - id: a
    name: a
    type: utility.python
    parameters:
      script: |
        print("F={{ parameter.folder }}")
""")
    assert cli("--dry-run", str(safe)) == 0
    out = capsys.readouterr().out
    assert f"{safe}:11:18: step 'a': moved {{{{ parameter.folder }}}} into params" in out
    assert f"{safe}: would migrate 1 reference(s) in step(s) 'a'" in out
    assert "{{" in safe.read_text() and len(list(tmp_path.iterdir())) == 1  # dry run wrote nothing
    assert cli(str(safe)) == 0
    out = capsys.readouterr().out
    assert f"{safe}: migrated 1 reference(s) in step(s) 'a'; backup: {tmp_path}/safe.backup." in out
    assert cli(str(safe)) == 0
    assert f"{safe}: nothing to migrate" in capsys.readouterr().out
    forms = tmp_path / "forms.yaml"
    forms.write_text(BEFORE.read_text())
    assert cli(str(forms)) == 1  # references left for review
    assert "warning: step 'unsafe': left {{ parameter.folder }} in place: it is inside an f-string" in (
        capsys.readouterr().out)
    bad = tmp_path / "sub" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("name: X\nversion: 1\nsteps: []\n")
    assert cli(str(bad.parent)) == 2
    assert f"{bad}:3:8: 'steps' must be a non-empty list" in capsys.readouterr().out


def test_existing_block_params_are_kept_with_their_comments_and_extended() -> None:
    text = """\
name: M
version: 1
parameters:
  - {name: n, type: integer, default: 3}
  - {name: extra, type: string, default: e}
steps:
  - id: a
    name: a
    type: utility.python
    parameters:
      params:
        extra: "{{ parameter.extra }}"
        other: [x, y]   # written by hand
      script: |
        print("N={{ parameter.n }}", params["extra"], '{{ parameter.extra }}')
    timeout: 5
"""
    migration = migrate_text(text, path="m.yaml")
    assert migration.text == """\
name: M
version: 1
parameters:
  - {name: n, type: integer, default: 3}
  - {name: extra, type: string, default: e}
steps:
  - id: a
    name: a
    type: utility.python
    parameters:
      params:
        extra: "{{ parameter.extra }}"
        other: [x, y]   # written by hand
        n: "{{ parameter.n }}"
      script: |
        print("N=" + str(params["n"]), params["extra"], params["extra"])
    timeout: 5
"""
    step = load_text(migration.text).step("a")
    assert step is not None and step.parameters["params"]["other"] == ["x", "y"] and step.timeout == 5


def test_a_params_key_already_used_for_something_else_is_not_overwritten() -> None:
    text = """\
name: M
version: 1
parameters:
  - {name: n, type: integer, default: 3}
steps:
  - id: a
    name: a
    type: utility.python
    parameters:
      params: {n: 42}
      script: "print(params['n'], {{ parameter.n }})"
"""
    migration = migrate_text(text, path="m.yaml")
    step = load_text(migration.text).step("a")
    assert step is not None
    assert step.parameters["params"] == {"n": 42, "parameter_n": "{{ parameter.n }}"}
    assert step.parameters["script"] == "print(params['n'], params[\"parameter_n\"])"
