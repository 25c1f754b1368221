"""The loader: YAML -> typed Playbook, every problem as file:line:col with a plain message."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from igtk_tui.playbook.errors import PlaybookError, Problem
from igtk_tui.playbook.loader import load_file, load_text
from igtk_tui.playbook.model import OnFailure, ParamType

LOCATED = re.compile(r"^pb\.yaml:\d+:\d+: \S")


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(PlaybookError) as info:
        load_text(textwrap.dedent(text), path="pb.yaml")
    problems = info.value.problems
    assert problems, "a PlaybookError must list at least one problem"
    for p in problems:
        assert LOCATED.match(str(p)), f"problem without file:line:col: {p}"
    return problems


def only(problems: list[Problem], needle: str) -> Problem:
    hits = [p for p in problems if needle in p.message]
    assert len(hits) == 1, f"expected one problem containing {needle!r}, got {[str(p) for p in problems]}"
    return hits[0]


def at(problem: Problem) -> tuple[int, int]:
    return problem.location.line, problem.location.col


GOOD = """\
name: Good
version: 1.5
description: a playbook
domain: gateway
group: Gateway (Base Playbooks)
verified: true
metadata:
  author: someone
  category: maintenance
  tags: [a, b]
parameters:
  - name: count
    type: integer
    default: 3
  - name: label
    type: string
    required: false
steps:
  - id: first
    name: "Step 1: log"
    type: utility.log
    parameters:
      message: "count is {{ parameter.count }}"
  - id: second
    name: "Step 2: set"
    type: utility.set_variable
    timeout: 30
    retry_count: 2
    retry_delay: 1
    backoff: 2
    on_failure: continue
    parameters:
      name: total
      value: "{{ step.first.logged }}"
"""


def test_a_valid_playbook_loads_into_the_typed_model() -> None:
    pb = load_text(GOOD, path="pb.yaml")
    assert pb.name == "Good"
    assert pb.version == "1.5"  # free-form text even when YAML reads a number
    assert (pb.domain, pb.group, pb.verified) == ("gateway", "Gateway (Base Playbooks)", True)
    assert pb.metadata == {"author": "someone", "category": "maintenance", "tags": ["a", "b"]}
    count = pb.parameter("count")
    assert count is not None and count.type == ParamType.INTEGER and count.default == 3 and count.required
    label = pb.parameter("label")
    assert label is not None and not label.required
    second = pb.step("second")
    assert second is not None
    assert (second.timeout, second.retry_count, second.retry_delay, second.backoff) == (30.0, 2, 1.0, 2.0)
    assert second.on_failure == OnFailure.CONTINUE
    first = pb.step("first")
    assert first is not None and first.timeout == 300.0 and first.on_failure == OnFailure.ABORT
    assert first.location is not None and (first.location.line, first.location.col) == (19, 5)
    assert pb.warnings == ()


def test_unknown_top_level_key_is_an_error_with_a_hint_at_its_location() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        descripton: typo
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: hi}}
        """)
    p = only(problems, "unknown top-level key 'descripton'")
    assert "did you mean 'description'?" in p.message
    assert at(p) == (3, 1)


def test_unknown_step_field_is_an_error_with_a_hint() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.sleep
            retry_cont: 2
            parameters: {seconds: 1}
        """)
    p = only(problems, "unknown step field 'retry_cont'")
    assert "did you mean 'retry_count'?" in p.message
    assert at(p) == (7, 5)


def test_code_instead_of_script_on_utility_python_suggests_script() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.python
            parameters:
              code: print("hi")
        """)
    p = only(problems, "unknown parameter 'code' for utility.python")
    assert "did you mean 'script'?" in p.message
    assert at(p) == (8, 7)
    # The missing real parameter is reported too, at the parameters mapping.
    only(problems, "utility.python needs parameter 'script'")


def test_step_field_written_inside_parameters_says_to_move_it_out() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.python
            parameters:
              script: print("hi")
              retry_count: 3
        """)
    p = only(problems, "unknown parameter 'retry_count'")
    assert "step field" in p.message and "move it out of 'parameters'" in p.message
    assert at(p) == (9, 7)


def test_misspelt_step_parameter_gets_did_you_mean() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.sleep
            parameters: {secnds: 2}
        """)
    p = only(problems, "unknown parameter 'secnds' for utility.sleep")
    assert "did you mean 'seconds'?" in p.message


def test_parameter_value_of_the_wrong_kind_or_out_of_range_is_an_error() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - {id: a, name: a, type: utility.sleep, parameters: {seconds: soon}}
          - {id: b, name: b, type: utility.sleep, parameters: {seconds: -1}}
          - {id: c, name: c, type: utility.log, parameters: {message: x, level: loud}}
        """)
    assert at(only(problems, "seconds must be a number, got 'soon'")) == (4, 65)
    only(problems, "seconds must be at least 0")
    only(problems, "level must be one of")


def test_duplicate_keys_are_reported_at_the_second_key() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: first name
            name: second name
            type: utility.log
            parameters: {message: hi}
        """)
    assert at(only(problems, "duplicate key 'name'")) == (6, 5)


def test_duplicate_step_ids_are_an_error() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: hi}}
          - {id: a, name: b, type: utility.log, parameters: {message: hi}}
        """)
    assert at(only(problems, "duplicate step id 'a'")) == (5, 10)


def test_step_ids_must_be_referencable() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - {id: my-step, name: a, type: utility.log, parameters: {message: hi}}
        """)
    only(problems, "step id 'my-step' must use only letters, digits and _")


def test_unknown_step_type_is_an_error_with_a_suggestion() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.slep
            parameters: {seconds: 1}
        """)
    p = only(problems, "unknown step type 'utility.slep'")
    assert "did you mean 'utility.sleep'?" in p.message
    assert at(p) == (6, 11)


def test_bad_on_failure_is_an_error_listing_the_valid_values() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.log
            on_failure: skip
            parameters: {message: hi}
        """)
    p = only(problems, "on_failure must be one of abort, continue, rollback, got 'skip'")
    assert at(p) == (7, 17)


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("timeout", "0", "'timeout' must be at least"),
        ("timeout", "soon", "'timeout' must be a number"),
        ("retry_count", "1.5", "'retry_count' must be a whole number"),
        ("retry_count", "-1", "'retry_count' must be at least 0"),
        ("backoff", "0.5", "'backoff' must be at least 1"),
        ("breakpoint", "maybe", "'breakpoint' must be true or false"),
    ],
)
def test_step_field_values_are_checked(field: str, value: str, needle: str) -> None:
    problems = problems_of(f"""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.log
            {field}: {value}
            parameters: {{message: hi}}
        """)
    assert at(only(problems, needle)) == (7, len(field) + 7)


def test_yaml_syntax_error_carries_its_location() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: "Step 1: bad
            type: utility.log
        """)
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML syntax error")
    assert problems[0].location.line >= 5


def test_unquoted_colon_in_a_step_name_is_a_located_yaml_error() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: Step 1: open
            type: utility.log
        """)
    assert problems[0].message.startswith("YAML syntax error") and at(problems[0]) == (5, 17)


def test_reference_to_an_undeclared_parameter_is_an_error_with_a_hint() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        parameters:
          - {name: folder, type: string}
        steps:
          - id: a
            name: a
            type: utility.log
            parameters: {message: "in {{ parameter.foldr }}"}
        """)
    p = only(problems, "no parameter 'foldr' is declared")
    assert "did you mean 'folder'?" in p.message
    assert at(p) == (9, 27)


def test_bare_reference_to_an_undeclared_name_is_an_error() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: "{{ nothing }}"}}
        """)
    only(problems, "no parameter 'nothing' is declared")


def test_reference_to_a_later_or_unknown_step_is_an_error() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: "{{ step.b.logged }}"}}
          - {id: b, name: b, type: utility.log, parameters: {message: "{{ step.a }}"}}
        """)
    only(problems, "no earlier step has id 'b'")
    only(problems, "must name an output key")


def test_braces_that_are_not_a_reference_stay_literal_text_with_a_warning() -> None:
    pb = load_text(textwrap.dedent("""\
        name: X
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: "{{ parameter.x + 1 }} {{ color: red }}"}}
        """), path="x.yaml")
    assert pb.steps[0].parameters["message"] == "{{ parameter.x + 1 }} {{ color: red }}"
    assert pb.warnings == (
        "x.yaml:4:63: warning: {{ parameter.x + 1 }} is not a reference (references are dotted names "
        "such as parameter.x): kept as literal text",
        "x.yaml:4:63: warning: {{ color: red }} is not a reference (references are dotted names "
        "such as parameter.x): kept as literal text",
    )


@pytest.mark.parametrize(
    "condition",
    [
        "len(parameter.items) > 0",  # function call
        "__import__('os').system('true')",  # function call on an import
        "'abc'.upper",  # attribute access on a literal
        "(1).real == 1",  # attribute access on a literal
        "(lambda: True)()",  # lambda
        "parameter.items[0] == 1",  # subscript
        "[x for x in parameter.items]",  # comprehension
        "parameter.count + 1 > 2",  # arithmetic
    ],
)
def test_when_with_disallowed_syntax_is_rejected(condition: str) -> None:
    problems = problems_of(f"""\
        name: X
        version: 1
        parameters:
          - {{name: items, type: list, default: []}}
          - {{name: count, type: integer, default: 1}}
        steps:
          - id: a
            name: a
            type: utility.log
            when: "{condition}"
            parameters: {{message: hi}}
        """)
    p = only(problems, "not allowed")
    assert at(p) == (10, 11)


def test_when_references_are_checked_like_parameters() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        parameters:
          - {name: mode, type: string, default: fast}
        steps:
          - {id: a, name: a, type: utility.log, when: "mood == 'fast'", parameters: {message: hi}}
          - {id: b, name: b, type: utility.log, when: "step.c.x == 1", parameters: {message: hi}}
          - {id: c, name: c, type: utility.log, parameters: {message: hi}}
        """)
    assert "did you mean 'mode'?" in only(problems, "no parameter 'mood'").message
    only(problems, "no earlier step has id 'c'")


def test_allowed_when_forms_load() -> None:
    pb = load_text(textwrap.dedent("""\
        name: X
        version: 1
        parameters:
          - {name: mode, type: string, default: fast}
          - {name: n, type: integer, default: 1}
        steps:
          - {id: a, name: a, type: utility.log, when: "{{ parameter.mode }}", parameters: {message: hi}}
          - {id: b, name: b, type: utility.log, when: "{{ parameter.mode }} == 'fast' and n >= 1",
             parameters: {message: hi}}
          - {id: c, name: c, type: utility.log, when: "not (mode in ['a', 'b']) or step.a.logged != null",
             parameters: {message: hi}}
          - {id: d, name: d, type: utility.log, when: false, parameters: {message: hi}}
        """), path="pb.yaml")
    assert [s.when for s in pb.steps] == [
        "{{ parameter.mode }}", "{{ parameter.mode }} == 'fast' and n >= 1",
        "not (mode in ['a', 'b']) or step.a.logged != null", "false",
    ]


def test_parameter_declarations_are_checked() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        parameters:
          - {name: a, type: interger}
          - {name: b, type: integer, default: many}
          - {name: c, type: string, requird: false}
          - {name: c, type: string}
          - {name: d, type: integer, min: low}
        steps:
          - {id: s, name: s, type: utility.log, parameters: {message: hi}}
        """)
    assert "did you mean 'integer'?" in only(problems, "unknown parameter type 'interger'").message
    only(problems, "default of 'b': must be a whole number")
    assert "did you mean 'required'?" in only(problems, "unknown parameter field 'requird'").message
    only(problems, "duplicate parameter 'c'")
    only(problems, "'min' must be a number")


def test_missing_required_keys_and_empty_steps() -> None:
    problems = problems_of("""\
        description: nothing else
        steps: []
        """)
    only(problems, "missing required key 'name'")
    only(problems, "missing required key 'version'")
    only(problems, "'steps' must be a non-empty list")


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of("""\
        name: X
        version: 1
        extra: 1
        steps:
          - {id: a, name: a, type: utility.nope}
          - {id: b, name: b, type: utility.log, on_failure: maybe, parameters: {message: hi}}
        """)
    assert len(problems) == 3


def test_references_in_script_source_load_with_a_warning_naming_the_safer_form() -> None:
    pb = load_text(textwrap.dedent("""\
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
                folder = r\"\"\"{{ parameter.folder }}\"\"\"
        """), path="pb.yaml")
    assert len(pb.warnings) == 1
    warning = pb.warnings[0]
    assert warning.startswith("pb.yaml:10:15: warning: references inside script source")
    assert "params:" in warning and "params['name']" in warning and "igtk migrate" in warning


def test_rollback_steps_load_and_are_checked() -> None:
    pb = load_text(textwrap.dedent("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.log
            parameters: {message: do}
            on_rollback:
              - {id: undo_a, name: undo a, type: utility.log, parameters: {message: undo}}
          - {id: b, name: b, type: utility.log, on_failure: rollback, parameters: {message: hi}}
        on_rollback:
          - {id: final, name: final, type: utility.log, parameters: {message: "{{ step.a.logged }}"}}
        """), path="pb.yaml")
    a = pb.step("a")
    assert a is not None and [s.id for s in a.on_rollback] == ["undo_a"]
    assert [s.id for s in pb.on_rollback] == ["final"]
    problems = problems_of("""\
        name: X
        version: 1
        steps:
          - id: a
            name: a
            type: utility.log
            parameters: {message: do}
            on_rollback:
              - {id: a, name: clash, type: utility.lg, parameters: {message: undo}}
        """)
    only(problems, "duplicate step id 'a'")
    only(problems, "unknown step type 'utility.lg'")


def test_load_file_problems_carry_the_file_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(PlaybookError) as info:
        load_file(missing)
    assert str(info.value) == f"{missing}:1:1: file not found"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: X\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, parameters: {}}\n")
    with pytest.raises(PlaybookError) as info:
        load_file(bad)
    assert str(info.value).startswith(f"{bad}:4:")
    assert "utility.log needs parameter 'message'" in str(info.value)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(PlaybookError, match="empty"):
        load_file(empty)


def test_loaded_file_remembers_its_resolved_path_and_source(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "pb.yaml"
    path.parent.mkdir()
    path.write_text(GOOD)
    pb = load_file(path)
    assert pb.path == path.resolve() and pb.folder == path.parent.resolve()
    assert pb.source == GOOD and len(pb.content_hash) == 64
