"""Parameter values: coercion to the declared type and validation before any step runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.loader import load_file, load_text
from igtk_tui.playbook.model import Parameter, ParamType
from igtk_tui.playbook.params import (
    ParameterValueError,
    bind_parameters,
    coerce_value,
    is_secret_parameter,
    parse_assignments,
    secret_parameter_names,
)

PB = textwrap.dedent("""\
    name: Params
    version: 1
    parameters:
      - {name: count, type: integer, default: 3, min: 1, max: 10}
      - {name: ratio, type: float, required: false}
      - {name: enabled, type: boolean, default: false}
      - {name: items, type: list, required: false}
      - {name: options, type: dict, required: false}
      - {name: mode, type: string, default: fast, choices: [fast, slow]}
      - {name: module_file, type: file, required: false}
      - {name: gateway_credential, type: credential, required: false}
      - {name: label, type: string, default: "{{ parameter.mode }}-run"}
      - {name: gateway_url, type: string, description: "where the gateway answers"}
    steps:
      - {id: a, name: a, type: utility.log, parameters: {message: hi}}
    """)


@pytest.fixture
def pb(tmp_path: Path):  # noqa: ANN201 - a Playbook
    path = tmp_path / "params.yaml"
    path.write_text(PB)
    (tmp_path / "my.modl").write_bytes(b"PK")
    return load_file(path)


def test_defaults_apply_and_text_values_are_coerced(pb) -> None:  # noqa: ANN001
    bound = bind_parameters(pb, {
        "count": "7", "ratio": "2.5", "enabled": "yes", "items": "[1, 2]", "options": '{"a": 1}',
        "mode": "slow", "gateway_url": "http://gw:8088",
    })
    assert bound["count"] == 7 and isinstance(bound["count"], int)
    assert bound["ratio"] == 2.5
    assert bound["enabled"] is True
    assert bound["items"] == [1, 2]
    assert bound["options"] == {"a": 1}
    assert bound["mode"] == "slow"
    # A default naming another parameter stays a reference, resolved when a step reads it.
    assert bound["label"] == "{{ parameter.mode }}-run"
    assert bound["module_file"] is None and bound["gateway_credential"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", True), ("no", False), ("true", True), ("False", False), ("1", True), ("0", False),
     ("on", True), ("off", False), (True, True)],
)
def test_boolean_text_forms(pb, text, expected) -> None:  # noqa: ANN001
    assert bind_parameters(pb, {"enabled": text, "gateway_url": "x"})["enabled"] is expected


@pytest.mark.parametrize(
    ("ptype", "text", "expected"),
    [
        (ParamType.LIST, "[a, b]", ["a", "b"]),
        (ParamType.LIST, "- a\n- b\n", ["a", "b"]),
        (ParamType.LIST, "a, b , c", ["a", "b", "c"]),
        (ParamType.LIST, '["x", 1]', ["x", 1]),
        (ParamType.DICT, "a: 1\nb: [x]\n", {"a": 1, "b": ["x"]}),
        (ParamType.DICT, '{"a": {"b": 2}}', {"a": {"b": 2}}),
        (ParamType.INTEGER, 4.0, 4),
        (ParamType.INTEGER, " 12 ", 12),
        (ParamType.FLOAT, "1e3", 1000.0),
        (ParamType.STRING, 42, "42"),
    ],
)
def test_coerce_value_forms(ptype: ParamType, text: object, expected: object) -> None:
    assert coerce_value(Parameter("p", ptype), text) == expected


@pytest.mark.parametrize(
    ("ptype", "value", "needle"),
    [
        (ParamType.INTEGER, "3.5", "must be a whole number"),
        (ParamType.INTEGER, True, "must be a whole number"),
        (ParamType.INTEGER, 2.5, "must be a whole number"),
        (ParamType.FLOAT, "fast", "must be a number"),
        (ParamType.BOOLEAN, "maybe", "must be true or false"),
        (ParamType.LIST, "a: 1", "must be a list, got .a: 1."),
        (ParamType.DICT, "[1, 2]", r"must be a dict, got .\[1, 2\]."),
        (ParamType.DICT, "{unclosed", "must be a dict as YAML or JSON text"),
        (ParamType.STRING, ["a"], "must be text"),
    ],
)
def test_coerce_value_rejects(ptype: ParamType, value: object, needle: str) -> None:
    with pytest.raises(ParameterValueError, match=needle):
        coerce_value(Parameter("p", ptype), value)


def test_choices_min_and_max(pb) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput) as info:
        bind_parameters(pb, {"count": "0", "mode": "medium", "gateway_url": "x"})
    text = str(info.value)
    assert "parameter 'count': must be at least 1, got 0" in text
    assert "parameter 'mode': must be one of 'fast', 'slow', got 'medium'" in text
    with pytest.raises(InvalidInput, match="parameter 'count': must be at most 10, got 11"):
        bind_parameters(pb, {"count": 11, "gateway_url": "x"})


def test_file_parameters_resolve_against_the_playbook_folder(pb, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path.parent)
    bound = bind_parameters(pb, {"module_file": "my.modl", "gateway_url": "x"})
    assert bound["module_file"] == str(tmp_path / "my.modl")
    absolute = bind_parameters(pb, {"module_file": str(tmp_path / "my.modl"), "gateway_url": "x"})
    assert absolute["module_file"] == str(tmp_path / "my.modl")
    with pytest.raises(InvalidInput, match="parameter 'module_file': file not found: nope.modl"):
        bind_parameters(pb, {"module_file": "nope.modl", "gateway_url": "x"})
    # Validation without touching the disk (e.g. checking a form before files exist).
    assert bind_parameters(pb, {"module_file": "nope.modl", "gateway_url": "x"}, check_files=False)[
        "module_file"] == "nope.modl"


def test_missing_required_and_unknown_parameters_are_all_named(pb) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput) as info:
        bind_parameters(pb, {"cuont": 3, "count": "many"})
    text = str(info.value)
    assert "unknown parameter 'cuont' (did you mean 'count'?)" in text
    assert "missing required parameter 'gateway_url' (string): where the gateway answers" in text
    assert "parameter 'count': must be a whole number, got 'many'" in text


def test_a_playbook_without_parameters_says_so() -> None:
    pb = load_text("name: X\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, parameters: {message: x}}\n")
    with pytest.raises(InvalidInput, match="this playbook takes none"):
        bind_parameters(pb, {"x": 1})


def test_parse_assignments() -> None:
    assert parse_assignments(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(InvalidInput, match="-p 'novalue': expected NAME=VALUE"):
        parse_assignments(["novalue"])
    with pytest.raises(InvalidInput, match="expected NAME=VALUE"):
        parse_assignments(["=1"])


def test_secret_parameters_by_flag_or_by_name() -> None:
    pb = load_text(textwrap.dedent("""\
        name: X
        version: 1
        parameters:
          - {name: gateway_password, type: string}
          - {name: api_token, type: string}
          - {name: pin, type: string, secret: true}
          - {name: username, type: string}
          - {name: passage, type: string}
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: hi}}
        """))
    assert secret_parameter_names(pb) == {"gateway_password", "api_token", "pin"}
    assert not is_secret_parameter(Parameter("bypass_cache", ParamType.BOOLEAN))
