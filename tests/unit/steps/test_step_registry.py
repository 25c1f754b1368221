"""The step-type registry: declarations checked against their handlers at registration,
typed outputs, private registries, and the one set of value rules it shares with playbook
parameters and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from igtk_tui.config import load_settings
from igtk_tui.errors import InvalidInput
from igtk_tui.paths import resolve_paths
from igtk_tui.playbook.loader import load_text
from igtk_tui.playbook.model import Parameter, ParamType
from igtk_tui.playbook.params import ParameterValueError, coerce_value
from igtk_tui.playbook.schema import build_schema
from igtk_tui.steps.registry import Output, Param, step
from igtk_tui.steptypes import REGISTRY, Registry, StepDeclarationError, StepType, check_value
from igtk_tui.values import to_bool


def test_builtin_step_types_are_registered_with_schemas() -> None:
    names = REGISTRY.names()
    for name in ("utility.sleep", "utility.log", "utility.set_variable", "utility.python",
                 "playbook.run", "debug.breakpoint"):
        assert name in names
    sleep = REGISTRY.get("utility.sleep")
    assert sleep is not None and sleep.param("seconds") is not None
    assert sleep.param("seconds").unit == "s" and sleep.param("seconds").required
    assert REGISTRY.get("playbook.run").extra_params
    assert REGISTRY.get("no.such") is None


def test_builtin_declarations_take_required_and_defaults_from_the_handlers() -> None:
    restart = REGISTRY.get("gateway.restart")
    assert restart is not None
    timeout = restart.param("timeout")
    assert timeout is not None and not timeout.required and timeout.default == 240.0 and timeout.unit == "s"
    # The connection parameters come from gateway_step's prelude, not from each declaration.
    assert {"gateway_url", "credential", "api_token"} <= set(restart.param_names)
    scan = REGISTRY.get("gateway.scan")
    assert scan is not None and scan.param("timeout").default == 120.0
    upload = REGISTRY.get("gateway.upload_module")
    assert upload is not None and upload.param("file").required and not upload.param("accept_license").required


def test_every_builtin_parameter_and_output_is_documented() -> None:
    for st in REGISTRY.all():
        if not st.handler.__module__.startswith("igtk_tui.steps."):
            continue  # a test's or a plugin's step
        for p in st.params:
            assert p.description, f"{st.name}: parameter {p.name} has no description"
        for o in st.outputs:
            assert o.description, f"{st.name}: output {o.name} has no description"


def _declare(registry: Registry, params: list[Param], source: str, **options: Any) -> StepType:
    scope: dict[str, Any] = {"Any": Any}
    exec(source, scope)  # noqa: S102 - a handler written as a plugin author would
    step("t.step", description="a test step", params=params, registry=registry, **options)(scope["handler"])
    found = registry.get("t.step")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("params", "source", "message"),
    [
        ([Param("a", "integer")], "async def handler(ctx, a: str): return {}",
         "step t.step: parameter 'a' is declared integer, but the handler's annotation is 'str'"),
        ([Param("a", "integer", default=3)], "async def handler(ctx, a: int = 4): return {}",
         "step t.step: parameter 'a' is declared with default 3, but the handler's default is 4"),
        ([Param("a", "integer", required=True)], "async def handler(ctx, a: int = 4): return {}",
         "step t.step: parameter 'a' is declared required=True, but the handler defaults it to 4"),
        ([Param("a", "integer")], "async def handler(ctx, b: int = 4): return {}",
         "step t.step: the handler takes parameter 'b', which is not declared"),
        ([Param("a", "integer"), Param("b")], "async def handler(ctx, a: int): return {}",
         "step t.step: parameter 'b' is declared, but the handler does not take it"),
        ([Param("a", "integer", min=5)], "async def handler(ctx, a: int = 4): return {}",
         "step t.step: the handler's default does not pass the declaration: a must be at least 5, got 4"),
        ([Param("a", "any")], "async def handler(ctx, a: str): return {}",
         "step t.step: parameter 'a' is declared any, but the handler's annotation is 'str'"),
        ([], "async def handler(ctx, *rest): return {}", "step t.step: the handler takes *args"),
    ],
)
def test_a_declaration_that_disagrees_with_its_handler_is_refused_naming_step_and_parameter(
        params: list[Param], source: str, message: str) -> None:
    with pytest.raises(StepDeclarationError) as info:
        _declare(Registry(), params, source)
    assert str(info.value).startswith(message), str(info.value)


def test_required_and_default_come_from_the_signature() -> None:
    st = _declare(Registry(), [Param("who", "string", description="w"), Param("times", "integer", min=1)],
                  "async def handler(ctx, who: str, times: int = 2): return {}")
    who, times = st.params
    assert (who.required, who.default) == (True, None)
    assert (times.required, times.default) == (False, 2)
    # An unannotated handler (as a plugin may write it) is checked for names and defaults only.
    plain = _declare(Registry(), [Param("who", "string", required=True)], "async def handler(ctx, who): return {}")
    assert plain.params[0].required


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(StepDeclarationError, match="unknown kind 'float'"):
        Param("x", "float")
    with pytest.raises(StepDeclarationError, match="output y: unknown kind 'text'"):
        Output("y", "text")


def test_a_step_name_cannot_be_registered_twice_with_different_handlers() -> None:
    async def one(ctx):  # noqa: ANN001, ANN202
        return {}

    async def two(ctx):  # noqa: ANN001, ANN202
        return {}

    reg = Registry()
    reg.add(StepType("x.one", one, "one"))
    reg.add(StepType("x.one", one, "one"))  # the same handler again is harmless (re-import)
    with pytest.raises(StepDeclarationError, match="registered twice"):
        reg.add(StepType("x.one", two, "two"))


def test_a_private_registry_sees_the_builtins_and_keeps_its_own_steps(tmp_path: Path) -> None:
    private = Registry(base=REGISTRY)
    _declare(private, [Param("n", "integer", description="n")], "async def handler(ctx, n: int = 1): return {}")
    assert private.get("t.step") is not None and private.get("utility.log") is not None
    assert "t.step" in private.names() and "utility.log" in private.names()
    assert REGISTRY.get("t.step") is None and "t.step" not in REGISTRY.names()
    text = "name: x\nversion: 1\nsteps:\n  - {id: a, type: t.step, parameters: {n: 3}}\n"
    assert load_text(text, registry=private).steps[0].type == "t.step"
    with pytest.raises(InvalidInput, match="unknown step type 't.step'"):
        load_text(text)
    schema = build_schema(private)
    assert "t.step" in schema["$defs"]["step"]["properties"]["type"]["enum"]


def test_outputs_are_compared_by_name_and_kind() -> None:
    st = _declare(Registry(), [], "async def handler(ctx): return {}",
                  outputs=[Output("n", "integer", "n"), Output("s", "string", "s", nullable=True),
                           Output("x", "number", "x")])
    assert st.output_problems({"n": 1, "s": None, "x": 2}) == []
    assert st.output_problems({"n": True, "s": 3, "x": 1.5, "extra": 1}) == [
        "t.step: output 'n' must be integer, got bool True",
        "t.step: output 's' must be string, got int 3",
        "t.step: output 'extra' is not declared",
    ]
    assert st.output_problems({"n": None, "x": 1}) == [
        "t.step: output 's' is missing", "t.step: output 'n' is None but not declared nullable"]
    open_ended = _declare(Registry(), [], "async def handler(ctx): return {}",
                          outputs=[Output("_output", "string", "o")], extra_outputs="string")
    assert open_ended.output_problems({"_output": "", "KEY": "v"}) == []
    assert open_ended.output_problems({"_output": "", "KEY": 1}) == ["t.step: output 'KEY' must be string, got 1"]


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        (Param("n", "integer"), "5", 5),
        (Param("n", "integer"), 5.0, 5),
        (Param("x", "number"), "2.5", 2.5),
        (Param("b", "boolean"), "no", False),
        (Param("s", "string"), 3, "3"),
        (Param("l", "list"), ("a",), ["a"]),
        (Param("d", "dict"), {"a": 1}, {"a": 1}),
        (Param("a", "any"), object, object),
        (Param("n", "integer"), None, None),
    ],
)
def test_check_value_coerces(param: Param, value: object, expected: object) -> None:
    assert check_value(param, value) == (expected, None)


@pytest.mark.parametrize(
    ("param", "value", "needle"),
    [
        (Param("n", "integer"), True, "n must be a whole number, got True"),
        (Param("n", "integer"), 2.5, "n must be a whole number, got 2.5"),
        (Param("x", "number"), "x", "x must be a number, got 'x'"),
        (Param("x", "number"), "nan", "x must be a finite number, got 'nan'"),
        (Param("s", "string"), {"a": 1}, "s must be text, got {'a': 1}"),
        (Param("l", "list"), "a", "l must be a list, got 'a'"),
        (Param("d", "dict"), [1], "d must be a dict, got [1]"),
        (Param("c", "string", choices=("a", "b")), "c", "c must be one of 'a', 'b', got 'c'"),
        (Param("t", "number", min=1, unit="s"), 0, "t must be at least 1 s, got 0"),
        (Param("t", "number", max=10, unit="ms"), 11, "t must be at most 10 ms, got 11"),
    ],
)
def test_check_value_errors(param: Param, value: object, needle: str) -> None:
    assert check_value(param, value)[1] == needle


def test_step_playbook_and_setting_values_follow_one_set_of_rules(tmp_path: Path) -> None:
    """The same written value is read, or refused with the same words, as a step parameter,
    a playbook parameter and a setting."""
    assert to_bool("Y") is True and to_bool(0) is False
    with pytest.raises(ValueError, match="must be true or false"):
        to_bool("perhaps")
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    for text, expected in (("30", 30.0), ("2.5", 2.5)):
        assert check_value(Param("t", "number"), text)[0] == expected
        assert coerce_value(Parameter("t", ParamType.FLOAT), text) == expected
        assert load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": text}).execution_timeout == expected
    for word, expected in (("off", False), ("yes", True)):
        assert check_value(Param("b", "boolean"), word)[0] is expected
        assert coerce_value(Parameter("b", ParamType.BOOLEAN), word) is expected
        assert load_settings(paths, {"IGTK_VERIFY_TLS": word}).verify_tls is expected
    assert check_value(Param("t", "number"), "soon")[1] == "t must be a number, got 'soon'"
    with pytest.raises(ParameterValueError, match="^must be a number, got 'soon'$"):
        coerce_value(Parameter("t", ParamType.FLOAT), "soon")
    with pytest.raises(InvalidInput, match="setting 'execution_timeout': must be a number, got 'soon'$"):
        load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "soon"})
