"""`{{ ... }}` references and `when:` conditions."""

from __future__ import annotations

from typing import Any

import pytest

from igtk_tui.playbook import conditions, refs
from igtk_tui.playbook.refs import Ref, UnresolvedReference, dig, parse_refs, resolve

VALUES: dict[str, Any] = {
    "parameter": {"count": 3, "enabled": False, "items": ["a", "b"], "opts": {"k": "v"}, "folder": r"C:\mods",
                  "nothing": None, "mode": "fast"},
    "variable": {"total": 10},
    "step": {"first": {"out": {"list": [{"x": 1}]}, "text": "hello"}},
}


def lookup(ref: Ref) -> Any:
    return dig(VALUES[ref.root], ref.rest, ref.root)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ parameter.count }}", 3),
        ("{{parameter.enabled}}", False),
        ("  {{ parameter.items }}  ", ["a", "b"]),
        ("{{ parameter.opts }}", {"k": "v"}),
        ("{{ parameter.nothing }}", None),
        ("{{ count }}", 3),  # bare form = parameter
        ("{{ variable.total }}", 10),
        ("{{ step.first.out.list.0.x }}", 1),
    ],
)
def test_a_whole_value_reference_keeps_its_type(text: str, expected: Any) -> None:
    assert resolve(text, lookup) == expected
    assert type(resolve(text, lookup)) is type(expected)


def test_mixed_text_is_interpolated() -> None:
    assert resolve("n={{ count }} on={{ parameter.enabled }} none={{ parameter.nothing }}", lookup) == (
        "n=3 on=False none=")
    assert resolve(r"path {{ parameter.folder }}\x", lookup) == r"path C:\mods\x"


def test_resolution_is_recursive_through_dicts_and_lists() -> None:
    value = {"a": ["{{ count }}", {"b": "{{ step.first.text }}!"}], "c": 5, "d": None}
    assert resolve(value, lookup) == {"a": [3, {"b": "hello!"}], "c": 5, "d": None}


def test_parse_refs_and_roots() -> None:
    found = parse_refs("{{ parameter.x }} {{ y }} {{ credential.gw.password }} {{ step.s.k }} {{ variable.v }}")
    assert [(r.root, r.rest) for r in found] == [
        ("parameter", ("x",)), ("parameter", ("y",)), ("credential", ("gw", "password")),
        ("step", ("s", "k")), ("variable", ("v",)),
    ]
    assert refs.has_refs({"a": [1, "{{ x }}"]}) and not refs.has_refs({"a": [1, "{ x }"]})
    # The earlier toolkit's rule: anything but a dotted name is literal text, not an error.
    assert parse_refs("{{ x y }} body {{ color: red; }}") == []
    assert refs.literal_braces("{{ x y }} {{ x }}") == ["{{ x y }}"]
    assert resolve("<style>p {{ color: red }}</style>{{ y }}", lambda ref: "!") == "<style>p {{ color: red }}</style>!"


def test_dig_errors_say_what_is_missing() -> None:
    with pytest.raises(UnresolvedReference, match=r"step\.first\.nope does not exist \(available: out, text\)"):
        dig(VALUES["step"]["first"], ("nope",), "step.first")
    with pytest.raises(UnresolvedReference, match="index out of range"):
        dig(["a"], ("3",), "parameter.items")
    with pytest.raises(UnresolvedReference, match="has no field 'x'"):
        dig({"a": 1}, ("a", "x"), "parameter")


class _Secretish:
    """An object with field() and reference_text(), like a vault credential."""

    def field(self, name: str) -> str:
        if name != "username":
            raise KeyError(f"no field {name!r}")
        return "admin"

    def reference_text(self) -> str:
        return "cred:demo"


def test_dig_reads_fields_of_credential_like_objects() -> None:
    assert dig({"c": _Secretish()}, ("c", "username"), "credential") == "admin"
    with pytest.raises(UnresolvedReference, match="no field 'password'"):
        dig(_Secretish(), ("password",), "credential.demo")
    assert refs.to_text(_Secretish()) == "cred:demo"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("true", True),
        ("false", False),
        ("parameter.count == 3", True),
        ("count > 2 and not parameter.enabled", True),
        ("mode in ['fast', 'slow']", True),
        ("mode not in ('fast',)", False),
        ("parameter.nothing == null", True),
        ("parameter.nothing is None", True),
        ("variable.total >= 10 or false", True),
        ("step.first.text != 'hello'", False),
        ("1 < count < 5", True),
        ("-1 < 0", True),
        ("{{ parameter.enabled }}", False),
        ("{{ parameter.mode }} == 'fast' and {{ count }} == 3", True),
        ("parameter.items", True),
    ],
)
def test_conditions_evaluate(expr: str, expected: bool) -> None:
    assert conditions.evaluate(expr, lookup) is expected


def test_condition_comparing_incompatible_types_is_a_clear_error() -> None:
    with pytest.raises(conditions.ConditionError, match="cannot compare 'fast' and 3"):
        conditions.evaluate("mode > 3", lookup)


def test_names_in_lists_the_outermost_references() -> None:
    names = conditions.names_in("step.first.text == 'x' and mode and not true")
    assert sorted(r.path for r in names) == [("mode",), ("step", "first", "text")]


@pytest.mark.parametrize("expr", ["len(x)", "'a'.upper", "x[0]", "lambda: 1", "x + 1", "{1, 2}", "f'{x}'", "x := 1"])
def test_conditions_reject_everything_but_names_literals_and_logic(expr: str) -> None:
    with pytest.raises(conditions.ConditionError):
        conditions.compile_condition(expr)
