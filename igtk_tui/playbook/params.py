"""Parameter values: coercion to declared types and validation before any step runs.

Command-line values arrive as text: `"3"` -> 3 for integer, `"yes"` -> True for
boolean, YAML/JSON text -> list or dict.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.errors import did_you_mean
from igtk_tui.playbook.model import Parameter, ParamType, Playbook
from igtk_tui.playbook.refs import has_refs
from igtk_tui.values import to_bool


class ParameterValueError(ValueError):
    pass


def _bool(value: Any) -> bool:
    try:
        return to_bool(value)
    except ValueError:
        raise ParameterValueError(f"expected a boolean (true/false, yes/no, 1/0), got {value!r}") from None


def coerce_value(param: Parameter, value: Any, *, check_files: bool = True, base: Path | None = None) -> Any:
    t = param.type
    if t in (ParamType.STRING, ParamType.CREDENTIAL):
        if isinstance(value, (dict, list)):
            raise ParameterValueError(f"expected text, got {type(value).__name__}")
        out: Any = value if isinstance(value, str) else str(value)
    elif t == ParamType.INTEGER:
        if isinstance(value, bool):
            raise ParameterValueError(f"expected a whole number, got {value!r}")
        try:
            out = int(value) if not isinstance(value, float) or value.is_integer() else None
        except (TypeError, ValueError):
            out = None
        if out is None:
            raise ParameterValueError(f"expected a whole number, got {value!r}")
    elif t == ParamType.FLOAT:
        if isinstance(value, bool):
            raise ParameterValueError(f"expected a number, got {value!r}")
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ParameterValueError(f"expected a number, got {value!r}") from None
        if not math.isfinite(out):  # nan passes every comparison with min/max
            raise ParameterValueError(f"expected a finite number, got {value!r}")
    elif t == ParamType.BOOLEAN:
        out = _bool(value)
    elif t in (ParamType.LIST, ParamType.DICT):
        out = value
        if isinstance(value, str):
            import json

            try:
                out = json.loads(value)
            except ValueError:
                try:
                    out = yaml.safe_load(value)
                except yaml.YAMLError as exc:
                    raise ParameterValueError(f"expected {t.value} as YAML or JSON text: {exc}") from None
            if t == ParamType.LIST and isinstance(out, str):
                out = [s.strip() for s in value.split(",") if s.strip()]
        expected = list if t == ParamType.LIST else dict
        if not isinstance(out, expected):
            raise ParameterValueError(f"expected a {t.value}, got {type(out).__name__}")
    elif t == ParamType.FILE:
        out = str(value)
        if check_files:
            path = Path(out).expanduser()
            if not path.is_absolute() and base is not None and not path.exists():
                path = base / path
            if not path.exists():
                raise ParameterValueError(f"file not found: {out}")
            if path.is_dir():
                raise ParameterValueError(f"{out} is a folder, not a file")
            out = str(path)
    else:  # pragma: no cover - enum is exhaustive
        out = value
    if param.choices is not None and out not in param.choices:
        raise ParameterValueError(f"must be one of {', '.join(map(repr, param.choices))}, got {out!r}")
    if isinstance(out, (int, float)) and not isinstance(out, bool):
        if param.min is not None and out < param.min:
            raise ParameterValueError(f"must be at least {param.min:g}, got {out!r}")
        if param.max is not None and out > param.max:
            raise ParameterValueError(f"must be at most {param.max:g}, got {out!r}")
    return out


def bind_parameters(playbook: Playbook, given: dict[str, Any], *, check_files: bool = True) -> dict[str, Any]:
    """Apply defaults, coerce and validate; raises InvalidInput naming each bad parameter."""
    problems: list[str] = []
    declared = [p.name for p in playbook.parameters]
    for name in given:
        if playbook.parameter(name) is None:
            problems.append(f"unknown parameter {name!r}{did_you_mean(name, declared)}"
                            + (f"; declared: {', '.join(declared)}" if declared else "; this playbook takes none"))
    bound: dict[str, Any] = {}
    base = playbook.folder
    for param in playbook.parameters:
        if param.name in given and given[param.name] is not None:
            value = given[param.name]
        elif param.default is not None:
            value = param.default
        else:
            if param.required:
                problems.append(f"missing required parameter {param.name!r} ({param.type.value})"
                                + (f": {param.description}" if param.description else ""))
            bound[param.name] = None
            continue
        if isinstance(value, str) and has_refs(value):
            bound[param.name] = value  # resolved at step time (e.g. a default naming another parameter)
            continue
        try:
            bound[param.name] = coerce_value(param, value, check_files=check_files, base=base)
        except ParameterValueError as exc:
            problem = f"parameter {param.name!r}: {exc}"
            if is_secret_parameter(param):  # a rejected secret is still a secret: never quote it
                problem = _masked(problem, value)
            problems.append(problem)
    if problems:
        raise InvalidInput("invalid parameters:\n  " + "\n  ".join(problems))
    return bound


def _masked(text: str, value: Any) -> str:
    """`text` with `value` masked by the one scrubber, without registering a value that is not
    used (the global registry masks its secrets in every later line of the process)."""
    from igtk_tui.redact import Redactor

    one = Redactor()
    one.register(value)
    return one.scrub(text)


def parse_assignments(items: list[str]) -> dict[str, str]:
    """`-p NAME=VALUE` pairs; raises InvalidInput naming the malformed one."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"-p {item!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


SECRET_NAME_RE = re.compile(r"(^|_)(password|passwd|pass|secret|token|api_key|apikey|passphrase)($|_)", re.I)


def is_secret_parameter(param: Parameter) -> bool:
    """Declared `secret: true`, or named like one (earlier playbooks never declared it)."""
    return param.secret or bool(SECRET_NAME_RE.search(param.name))


def secret_parameter_names(playbook: Playbook) -> set[str]:
    return {p.name for p in playbook.parameters if is_secret_parameter(p)}
