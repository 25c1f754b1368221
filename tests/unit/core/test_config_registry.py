"""Settings layering, IGTK_HOME paths, and the step registry's parameter checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.config import Settings, load_settings
from igtk_tui.errors import InvalidInput
from igtk_tui.paths import resolve_paths
from igtk_tui.steps.registry import REGISTRY, Param, Registry, StepType, check_value
from igtk_tui.values import to_bool


def test_igtk_home_roots_every_path(tmp_path: Path) -> None:
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    every = paths.as_dict()
    assert {"config_dir", "data_dir", "state_dir", "config_file", "db_file", "artifacts_dir",
            "user_playbooks_dir", "vault_file", "logs_dir", "crash_dir", "user_themes_dir"} <= set(every)
    for name, value in every.items():
        assert Path(value).is_relative_to(tmp_path.resolve()), name
    assert paths.execution_artifacts("abc") == paths.artifacts_dir / "abc"


def test_settings_layers_config_file_then_environment_then_cli(tmp_path: Path) -> None:
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("[engine]\nexecution_timeout = 600\n\n[gateway]\nverify_tls = false\n")
    s = load_settings(paths, {})
    assert s.execution_timeout == 600.0 and s.verify_tls is False
    assert str(paths.config_file) in s.sources
    s = load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "30", "IGTK_VERIFY_TLS": "yes"})
    assert s.execution_timeout == 30.0 and s.verify_tls is True
    s = load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "30"}, execution_timeout=5.0)
    assert s.execution_timeout == 5.0 and s.sources[-1] == "command line"
    # 0 or "none" means no limit.
    assert load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "0"}).execution_timeout is None
    assert Settings().execution_timeout == 4 * 3600.0


def test_unknown_or_bad_settings_are_reported(tmp_path: Path) -> None:
    paths = resolve_paths({"IGTK_HOME": str(tmp_path)})
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text("execution_timout = 5\n")
    with pytest.raises(InvalidInput, match="unknown setting 'execution_timout' \\(did you mean 'execution_timeout'\\?\\)"):
        load_settings(paths, {})
    paths.config_file.write_text("")
    with pytest.raises(InvalidInput, match="IGTK_EXECUTION_TIMEOUT: setting 'execution_timeout'"):
        load_settings(paths, {"IGTK_EXECUTION_TIMEOUT": "soon"})


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
        (Param("n", "integer"), True, "n must be an integer"),
        (Param("n", "integer"), 2.5, "n must be an integer"),
        (Param("x", "number"), "x", "x must be a number"),
        (Param("s", "string"), {"a": 1}, "s must be a string"),
        (Param("l", "list"), "a", "l must be a list"),
        (Param("d", "dict"), [1], "d must be a dict"),
        (Param("c", "string", choices=("a", "b")), "c", "c must be one of 'a', 'b', got 'c'"),
        (Param("t", "number", min=1, unit="s"), 0, "t must be at least 1 s, got 0"),
        (Param("t", "number", max=10, unit="ms"), 11, "t must be at most 10 ms, got 11"),
    ],
)
def test_check_value_errors(param: Param, value: object, needle: str) -> None:
    error = check_value(param, value)[1]
    assert error is not None and error.startswith(needle), error


def test_to_bool_and_param_kinds() -> None:
    assert to_bool("Y") is True and to_bool(0) is False
    with pytest.raises(ValueError):
        to_bool("perhaps")
    with pytest.raises(ValueError, match="unknown kind"):
        Param("x", "float")


def test_a_step_name_cannot_be_registered_twice_with_different_handlers() -> None:
    async def one(ctx):  # noqa: ANN001, ANN202
        return {}

    async def two(ctx):  # noqa: ANN001, ANN202
        return {}

    reg = Registry(_loaded=True)
    reg.add(StepType("x.one", one, "one"))
    reg.add(StepType("x.one", one, "one"))  # the same handler again is harmless (re-import)
    with pytest.raises(ValueError, match="registered twice"):
        reg.add(StepType("x.one", two, "two"))


def test_execution_ids_are_random_version_4_uuids() -> None:
    import uuid

    from igtk_tui.engine.execution import _uuid4

    ids = {_uuid4() for _ in range(200)}
    assert len(ids) == 200
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
