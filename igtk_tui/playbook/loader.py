"""YAML -> typed Playbook, with every problem reported as file:line:col.

Unknown keys (top level, step fields, step parameters) are errors with a
"did you mean" hint: the earlier toolkit silently ignored typos such as
`code:` for `script:` or `retry_count` inside `parameters`. A playbook in the
earlier toolkit's own format (`playbook.earlier`) loads with a located warning
for each of them instead, and they are dropped as that toolkit dropped them.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from igtk_tui.playbook import earlier, safe_yaml
from igtk_tui.playbook.conditions import ConditionError, names_in
from igtk_tui.playbook.errors import PlaybookError, Problem, did_you_mean
from igtk_tui.playbook.model import (
    PARAM_KEYS,
    STEP_KEYS,
    TOP_KEYS,
    Location,
    OnFailure,
    Parameter,
    ParamType,
    Playbook,
    Step,
)
from igtk_tui.playbook.refs import has_refs, iter_refs, literal_braces
from igtk_tui.playbook.reporter import Reporter
from igtk_tui.playbook.step_checks import check_step_params
from igtk_tui.steptypes import REGISTRY, Registry

STEP_ID_RE = re.compile(r"^\w+$")
_STEP_KEY_SET = frozenset(STEP_KEYS)
_BASIC_KEYS = frozenset(("id", "name", "type", "parameters"))
_ON_FAILURE = {o.value: o for o in OnFailure}
E = TypeVar("E", bound=Enum)


def load_file(path: str | Path, *, registry: Registry | None = None) -> Playbook:
    path = Path(path)
    return load_text(safe_yaml.read_file(path), path=path, registry=registry)


def load_text(text: str, *, path: str | Path | None = None, registry: Registry | None = None) -> Playbook:
    """Parse and validate against the step types of `registry` (default: the global one, built-in
    and plugin steps); raises PlaybookError listing every problem found."""
    registry = registry or REGISTRY
    file = str(path) if path else "<playbook>"
    document = safe_yaml.parse(text, file)
    if document is None:
        raise PlaybookError([Problem(Location(file, 1, 1), "the playbook is empty")])
    report = Reporter(file, document)
    playbook = _Builder(report, registry).build(document.value, text, Path(path) if path else None)
    report.problems = list(dict.fromkeys(report.problems))  # once per location and message
    if any(p.severity == "error" for p in report.problems):
        raise PlaybookError(report.problems)
    return playbook


class _Builder:
    def __init__(self, report: Reporter, registry: Registry) -> None:
        self.r = report
        self.registry = registry
        self.step_ids: dict[str, None] = {}  # ordered for hints, O(1) lookups: 40k steps load in linear time
        self.param_names: list[str] = []
        self.param_types: dict[str, ParamType] = {}

    def build(self, data: Any, text: str, path: Path | None) -> Playbook:
        if not isinstance(data, dict):
            self.r.err((), "a playbook must be a mapping with name, version and steps")
            return _empty(path, text)
        self.r.earlier = earlier.is_earlier_format(data)
        self.r.check_keys(data, (), TOP_KEYS, "top-level key")
        name = self.text_field(data, (), "name", required=True)
        version_raw = data.get("version")
        if version_raw is None:
            self.r.err((), "missing required key 'version'")
        version = "" if version_raw is None else str(version_raw)
        params = self.parameters(data.get("parameters"))
        raw_steps = data.get("steps")
        steps: list[Step] = []
        if raw_steps is None:
            self.r.err((), "missing required key 'steps'")
        elif not isinstance(raw_steps, list) or not raw_steps:
            self.r.err(("steps",), "'steps' must be a non-empty list")
        else:
            steps = self.steps(raw_steps, ("steps",))
        rollback = self.steps(data["on_rollback"], ("on_rollback",)) if isinstance(data.get("on_rollback"), list) else []
        if "on_rollback" in data and not isinstance(data["on_rollback"], list):
            self.r.err(("on_rollback",), "'on_rollback' must be a list of steps")
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            self.r.err(("metadata",), "'metadata' must be a mapping")
            metadata = {}
        verified = data.get("verified", False)
        if not isinstance(verified, bool):
            self.r.err(("verified",), "'verified' must be true or false")
            verified = False
        warnings = tuple(str(p) for p in self.r.problems if p.severity == "warning")
        return Playbook(
            name=name or "",
            version=version,
            description=self.text_field(data, (), "description") or "",
            parameters=tuple(params),
            steps=tuple(steps),
            domain=self.text_field(data, (), "domain") or "",
            group=self.text_field(data, (), "group") or "",
            verified=verified,
            metadata=metadata,
            on_rollback=tuple(rollback),
            path=path.resolve() if path else None,
            source=text,
            warnings=warnings,
            earlier_format=self.r.earlier,
        )

    def text_field(self, data: dict[str, Any], path: tuple[Any, ...], key: str, *, required: bool = False) -> str | None:
        if key not in data or data[key] is None:
            if required:
                self.r.err(path, f"missing required key {key!r}")
            return None
        value = data[key]
        if isinstance(value, (dict, list)):
            self.r.err(path + (key,), f"{key!r} must be text")
            return None
        return str(value)

    # -- parameters -------------------------------------------------------
    def parameters(self, raw: Any) -> list[Parameter]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.r.err(("parameters",), "'parameters' must be a list")
            return []
        out = []
        for i, item in enumerate(raw):
            path = ("parameters", i)
            if not isinstance(item, dict):
                self.r.err(path, "each parameter must be a mapping with name and type")
                continue
            self.r.check_keys(item, path, PARAM_KEYS, "parameter field")
            name = self.text_field(item, path, "name", required=True)
            type_raw = self.text_field(item, path, "type", required=True)
            if not name or not type_raw:
                continue
            if name in self.param_names:
                self.r.err(path + ("name",), f"duplicate parameter {name!r}")
            ptype = _member(ParamType, type_raw)
            if ptype is None:
                valid = [t.value for t in ParamType]
                self.r.err(path + ("type",), f"unknown parameter type {type_raw!r}{did_you_mean(type_raw, valid)}; "
                           f"valid types: {', '.join(valid)}")
                continue
            required = item.get("required", True)
            if not isinstance(required, bool):
                self.r.err(path + ("required",), "'required' must be true or false")
                required = True
            choices = item.get("choices")
            if choices is not None and not isinstance(choices, list):
                self.r.err(path + ("choices",), "'choices' must be a list")
                choices = None
            for bound in ("min", "max"):
                if bound in item and not isinstance(item[bound], (int, float)):
                    self.r.err(path + (bound,), f"'{bound}' must be a number")
            default = item.get("default")
            param = Parameter(
                name=name, type=ptype, required=required, default=default,
                description=str(item.get("description") or ""),
                choices=tuple(choices) if choices else None,
                min=item.get("min") if isinstance(item.get("min"), (int, float)) else None,
                max=item.get("max") if isinstance(item.get("max"), (int, float)) else None,
                secret=bool(item.get("secret", False)), label=str(item.get("label") or ""),
                location=self.r.locs.get(path),
            )
            if default is not None and not has_refs(default):
                from igtk_tui.playbook.params import ParameterValueError, coerce_value

                try:
                    coerce_value(param, default, check_files=False)
                except ParameterValueError as exc:
                    self.r.err(path + ("default",), f"default of {name!r}: {exc}")
            self.param_names.append(name)
            self.param_types[name] = ptype
            out.append(param)
        return out

    # -- steps ------------------------------------------------------------
    def steps(self, raw: list[Any], path: tuple[Any, ...]) -> list[Step]:
        out = []
        for i, item in enumerate(raw):
            step = self.step(item, path + (i,))
            if step:
                out.append(step)
        return out

    def step(self, item: Any, path: tuple[Any, ...]) -> Step | None:
        if not isinstance(item, dict):
            self.r.err(path, "each step must be a mapping with id, name and type")
            return None
        keys = item.keys()
        if not keys <= _STEP_KEY_SET:
            self.r.check_keys(item, path, STEP_KEYS, "step field")
        step_id = item.get("id")
        if type(step_id) is not str:
            step_id = self.text_field(item, path, "id", required=True)
        type_name = item.get("type")
        if type(type_name) is not str:
            type_name = self.text_field(item, path, "type", required=True)
        if step_id is None or type_name is None:
            return None
        if step_id in self.step_ids:
            self.r.err(path + ("id",), f"duplicate step id {step_id!r}")
        elif not STEP_ID_RE.match(step_id):
            self.r.err(path + ("id",), f"step id {step_id!r} must use only letters, digits and _ "
                       "(references like {{ step.ID.key }} need it)")
        name = item.get("name")
        if type(name) is not str:
            name = self.text_field(item, path, "name")
        name = name or step_id
        step_type = self.registry.get(type_name)
        if step_type is None:
            self.r.err(path + ("type",), f"unknown step type {type_name!r}{did_you_mean(type_name, self.registry.names())}")
        params = item.get("parameters") or {}
        if not isinstance(params, dict):
            self.r.err(path + ("parameters",), "'parameters' must be a mapping")
            params = {}
        params_path = path + ("parameters",)
        if step_type is not None:
            params = check_step_params(self.r, step_type, params, params_path)
        for key, value in params.items():  # per value, so problems point at the value written
            kind = type(value)
            if (kind is str and "{{" in value) or kind is dict or kind is list:  # other values hold no reference
                self.check_refs(value, params_path + (key,))
        if keys <= _BASIC_KEYS:  # most steps: none of the optional fields below
            self.step_ids[step_id] = None
            return Step(id=step_id, name=name, type=type_name, parameters=params,
                        location=self.r.locs.get(path), param_locations=self.r.locs.under(params_path, params))
        timeout = self.number(item, path, "timeout", 300.0, minimum=0.001)
        retry_count = self.number(item, path, "retry_count", 0, minimum=0, integer=True)
        retry_delay = self.number(item, path, "retry_delay", 5.0, minimum=0)
        backoff = self.number(item, path, "backoff", 1.0, minimum=1.0)
        on_failure = OnFailure.ABORT
        if "on_failure" in item:
            raw = str(item["on_failure"])
            found = _ON_FAILURE.get(raw)
            if found is None:
                valid = [o.value for o in OnFailure]
                self.r.err(path + ("on_failure",), f"on_failure must be one of {', '.join(valid)}, got {raw!r}"
                           f"{did_you_mean(raw, valid)}")
            else:
                on_failure = found
        when = item.get("when")
        if when is not None:
            when = str(when) if not isinstance(when, bool) else ("true" if when else "false")
            try:
                for ref in names_in(when):
                    self.check_ref(ref, path + ("when",))
            except ConditionError as exc:
                self.r.err(path + ("when",), str(exc))
        rollback: list[Step] = []
        if "on_rollback" in item:
            if isinstance(item["on_rollback"], list):
                known = step_id in self.step_ids
                self.step_ids[step_id] = None
                rollback = self.steps(item["on_rollback"], path + ("on_rollback",))
                if not known:
                    del self.step_ids[step_id]
            else:
                self.r.err(path + ("on_rollback",), "'on_rollback' must be a list of steps")
        bp = item.get("breakpoint", False)
        if not isinstance(bp, bool):
            self.r.err(path + ("breakpoint",), "'breakpoint' must be true or false")
            bp = False
        self.step_ids[step_id] = None
        return Step(
            id=step_id, name=name, type=type_name, parameters=params, timeout=float(timeout),
            retry_count=int(retry_count), retry_delay=float(retry_delay), backoff=float(backoff),
            on_failure=on_failure, when=when, on_rollback=tuple(rollback), breakpoint=bp,
            description=str(item.get("description") or ""), location=self.r.locs.get(path),
            param_locations=self.r.locs.under(params_path, params),
        )

    def number(self, item: dict[str, Any], path: tuple[Any, ...], key: str, default: float,
               *, minimum: float, integer: bool = False) -> float:
        if key not in item:
            return default
        value = item[key]
        if isinstance(value, str):
            try:
                value = float(value) if not integer else int(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
            kind = "a whole number" if integer else "a number"
            self.r.err(path + (key,), f"{key!r} must be {kind}, got {item[key]!r}")
            return default
        if value < minimum:
            self.r.err(path + (key,), f"{key!r} must be at least {minimum:g}, got {value!r}")
            return default
        return value

    def check_refs(self, value: Any, path: tuple[Any, ...]) -> None:
        for ref in iter_refs(value):
            self.check_ref(ref, path)
        if path[-1] == "script":
            return  # braces in script source are code (f-strings, dicts), never references
        for text in _texts(value):
            for literal in literal_braces(text):
                self.r.err(path, f"{literal} is not a reference (references are dotted names such as "
                           "parameter.x): kept as literal text", severity="warning")

    def check_ref(self, ref: Any, path: tuple[Any, ...]) -> None:
        root, rest = ref.root, ref.rest
        if not rest:
            self.r.err(path, f"reference {ref.text} names no value")
        elif root == "parameter":
            if rest[0] not in self.param_names:
                self.r.err(path, f"reference {ref.text}: no parameter {rest[0]!r} is declared"
                           f"{did_you_mean(rest[0], self.param_names)}")
        elif root == "step":
            if rest[0] not in self.step_ids:
                self.r.err(path, f"reference {ref.text}: no earlier step has id {rest[0]!r}"
                           f"{did_you_mean(rest[0], self.step_ids)}")
            elif len(rest) < 2:
                self.r.err(path, f"reference {ref.text} must name an output key: step.{rest[0]}.KEY")


def _member(enum: type[E], raw: str) -> E | None:
    """The member of a str enum written as `raw`, or None."""
    try:
        return enum(raw)
    except ValueError:
        return None


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _empty(path: Path | None, text: str) -> Playbook:
    return Playbook(name="", version="", steps=(), path=path, source=text)
