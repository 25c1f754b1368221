"""Parameter values: coercion to declared types and validation before any step runs.

Command-line values arrive as text: `"3"` -> 3 for integer, `"yes"` -> True for
boolean, YAML/JSON text -> list or dict.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.errors import did_you_mean
from igtk_tui.playbook.model import Parameter, ParamType, Playbook
from igtk_tui.playbook.refs import has_refs
from igtk_tui.values import check_bounds, coerce

# The value kind each playbook parameter type is coerced as (igtk_tui.values): a file or a
# credential parameter holds a name, i.e. text.
KIND_OF = {
    ParamType.STRING: "string", ParamType.CREDENTIAL: "string", ParamType.FILE: "string",
    ParamType.INTEGER: "integer", ParamType.FLOAT: "number", ParamType.BOOLEAN: "boolean",
    ParamType.LIST: "list", ParamType.DICT: "dict",
}


class ParameterValueError(InvalidInput):
    """A parameter value that is not of its declared type or out of its bounds (exit 2)."""


def coerce_value(param: Parameter, value: Any, *, check_files: bool = True, base: Path | None = None) -> Any:
    """`value` as the parameter's type, within its choices and bounds; ParameterValueError otherwise.
    Text is parsed (a list or dict may be YAML or JSON text): command-line and form values are text."""
    try:
        out = coerce(KIND_OF[param.type], value, parse_text=True)
        if param.type == ParamType.FILE and check_files:
            out = _existing_file(out, base)
        check_bounds(out, choices=param.choices, minimum=param.min, maximum=param.max)
    except ValueError as exc:
        raise ParameterValueError(str(exc)) from None
    return out


def _existing_file(name: str, base: Path | None) -> str:
    path = Path(name).expanduser()
    if not path.is_absolute() and base is not None and not path.exists():
        path = base / path
    if not path.exists():
        raise ValueError(f"file not found: {name}")
    if path.is_dir():
        raise ValueError(f"{name} is a folder, not a file")
    return str(path)


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
