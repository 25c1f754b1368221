"""YAML -> typed Playbook, with every problem reported as file:line:col.

Unknown keys (top level, step fields, step parameters) are errors with a
"did you mean" hint: the earlier toolkit silently ignored typos such as
`code:` for `script:` or `retry_count` inside `parameters`. A playbook in the
earlier toolkit's own format (`playbook.earlier`) loads with a located warning
for each of them instead, and they are dropped as that toolkit dropped them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from igtk_tui.playbook import earlier, safe_yaml
from igtk_tui.playbook.conditions import ConditionError, names_in
from igtk_tui.playbook.errors import PlaybookError, Problem, did_you_mean
from igtk_tui.playbook.model import Location, OnFailure, Parameter, ParamType, Playbook, Step
from igtk_tui.playbook.refs import has_refs, iter_refs, literal_braces
from igtk_tui.playbook.safe_yaml import Document
from igtk_tui.steptypes import REGISTRY, Registry, StepType, check_value

TOP_KEYS = (
    "name", "version", "description", "domain", "group", "verified",
    "parameters", "steps", "metadata", "on_rollback",
)
PARAM_KEYS = ("name", "type", "required", "default", "description", "choices", "min", "max", "secret", "label")
STEP_KEYS = (
    "id", "name", "type", "parameters", "timeout", "retry_count", "retry_delay", "backoff",
    "on_failure", "when", "on_rollback", "breakpoint", "description",
)
STEP_ID_RE = re.compile(r"^\w+$")
# Parameter names the earlier toolkit's playbooks and docs used for a parameter
# that is called differently here; suggested when the step declares the target
# (difflib alone does not see that `code` means `script`).
PARAM_ALIASES = {
    "code": "script",
    "source": "script",
    "wait_for": "wait_until",
    "playbook_path": "playbook",
    "report": "report_id",
}


class _Located:
    """A plain value's node locations (keyed by path tuple) and the problems found building on it."""

    def __init__(self, file: str, document: Document) -> None:
        self.file = file
        self.locs = document.locs
        self.key_locs = document.key_locs
        self.problems: list[Problem] = []


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
    located = _Located(file, document)
    builder = _Builder(located, registry)
    playbook = builder.build(document.value, text, Path(path) if path else None)
    located.problems = list(dict.fromkeys(located.problems))  # once per location and message
    errors = [p for p in located.problems if p.severity == "error"]
    if errors:
        raise PlaybookError(located.problems)
    return playbook


class _Builder:
    def __init__(self, located: _Located, registry: Registry) -> None:
        self.l = located
        self.registry = registry
        self.step_ids: dict[str, None] = {}  # ordered for hints, O(1) lookups: 40k steps load in linear time
        self.param_names: list[str] = []
        self.param_types: dict[str, ParamType] = {}
        self.earlier = False

    def err(self, path: tuple[Any, ...], message: str, *, key: bool = False, severity: str = "error") -> None:
        loc = (self.l.key_locs if key else self.l.locs).get(path) or self.l.locs.get(path) or self._nearest(path)
        self.l.problems.append(Problem(loc, message, severity))

    def _nearest(self, path: tuple[Any, ...]) -> Location:
        while path:
            path = path[:-1]
            if path in self.l.locs:
                return self.l.locs[path]
        return self.l.locs.get((), Location(self.l.file, 1, 1))

    def unknown(self, path: tuple[Any, ...], what: str, hint: str) -> None:
        """An unknown key: an error, or in the earlier format a warning (the key is dropped)."""
        if self.earlier:
            self.err(path, earlier.ignored(what, hint), key=True, severity="warning")
        else:
            self.err(path, f"{what}{hint}", key=True)

    def check_keys(self, data: dict[str, Any], path: tuple[Any, ...], allowed: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.unknown(path + (key,), f"unknown {what} {key!r}", did_you_mean(str(key), allowed))

    def build(self, data: Any, text: str, path: Path | None) -> Playbook:
        if not isinstance(data, dict):
            self.err((), "a playbook must be a mapping with name, version and steps")
            return _empty(path, text)
        self.earlier = earlier.is_earlier_format(data)
        self.check_keys(data, (), TOP_KEYS, "top-level key")
        name = self.text_field(data, (), "name", required=True)
        version_raw = data.get("version")
        if version_raw is None:
            self.err((), "missing required key 'version'")
        version = "" if version_raw is None else str(version_raw)
        params = self.parameters(data.get("parameters"))
        raw_steps = data.get("steps")
        steps: list[Step] = []
        if raw_steps is None:
            self.err((), "missing required key 'steps'")
        elif not isinstance(raw_steps, list) or not raw_steps:
            self.err(("steps",), "'steps' must be a non-empty list")
        else:
            steps = self.steps(raw_steps, ("steps",))
        rollback = self.steps(data["on_rollback"], ("on_rollback",)) if isinstance(data.get("on_rollback"), list) else []
        if "on_rollback" in data and not isinstance(data["on_rollback"], list):
            self.err(("on_rollback",), "'on_rollback' must be a list of steps")
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, dict):
            self.err(("metadata",), "'metadata' must be a mapping")
            metadata = {}
        verified = data.get("verified", False)
        if not isinstance(verified, bool):
            self.err(("verified",), "'verified' must be true or false")
            verified = False
        warnings = tuple(str(p) for p in self.l.problems if p.severity == "warning")
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
            earlier_format=self.earlier,
        )

    def text_field(self, data: dict[str, Any], path: tuple[Any, ...], key: str, *, required: bool = False) -> str | None:
        if key not in data or data[key] is None:
            if required:
                self.err(path, f"missing required key {key!r}")
            return None
        value = data[key]
        if isinstance(value, (dict, list)):
            self.err(path + (key,), f"{key!r} must be text")
            return None
        return str(value)

    # -- parameters -------------------------------------------------------
    def parameters(self, raw: Any) -> list[Parameter]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.err(("parameters",), "'parameters' must be a list")
            return []
        out = []
        for i, item in enumerate(raw):
            path = ("parameters", i)
            if not isinstance(item, dict):
                self.err(path, "each parameter must be a mapping with name and type")
                continue
            self.check_keys(item, path, PARAM_KEYS, "parameter field")
            name = self.text_field(item, path, "name", required=True)
            type_raw = self.text_field(item, path, "type", required=True)
            if not name or not type_raw:
                continue
            if name in self.param_names:
                self.err(path + ("name",), f"duplicate parameter {name!r}")
            try:
                ptype = ParamType(type_raw)
            except ValueError:
                valid = [t.value for t in ParamType]
                self.err(path + ("type",), f"unknown parameter type {type_raw!r}{did_you_mean(type_raw, valid)}; "
                         f"valid types: {', '.join(valid)}")
                continue
            required = item.get("required", True)
            if not isinstance(required, bool):
                self.err(path + ("required",), "'required' must be true or false")
                required = True
            choices = item.get("choices")
            if choices is not None and not isinstance(choices, list):
                self.err(path + ("choices",), "'choices' must be a list")
                choices = None
            for bound in ("min", "max"):
                if bound in item and not isinstance(item[bound], (int, float)):
                    self.err(path + (bound,), f"'{bound}' must be a number")
            default = item.get("default")
            param = Parameter(
                name=name, type=ptype, required=required, default=default,
                description=str(item.get("description") or ""),
                choices=tuple(choices) if choices else None,
                min=item.get("min") if isinstance(item.get("min"), (int, float)) else None,
                max=item.get("max") if isinstance(item.get("max"), (int, float)) else None,
                secret=bool(item.get("secret", False)), label=str(item.get("label") or ""),
                location=self.l.locs.get(path),
            )
            if default is not None and not has_refs(default):
                from igtk_tui.playbook.params import ParameterValueError, coerce_value

                try:
                    coerce_value(param, default, check_files=False)
                except ParameterValueError as exc:
                    self.err(path + ("default",), f"default of {name!r}: {exc}")
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
            self.err(path, "each step must be a mapping with id, name and type")
            return None
        self.check_keys(item, path, STEP_KEYS, "step field")
        step_id = self.text_field(item, path, "id", required=True)
        type_name = self.text_field(item, path, "type", required=True)
        if step_id is None or type_name is None:
            return None
        if step_id in self.step_ids:
            self.err(path + ("id",), f"duplicate step id {step_id!r}")
        elif not STEP_ID_RE.match(step_id):
            self.err(path + ("id",), f"step id {step_id!r} must use only letters, digits and _ "
                     "(references like {{ step.ID.key }} need it)")
        name = self.text_field(item, path, "name") or step_id
        step_type = self.registry.get(type_name)
        if step_type is None:
            self.err(path + ("type",), f"unknown step type {type_name!r}{did_you_mean(type_name, self.registry.names())}")
        params = item.get("parameters") or {}
        if not isinstance(params, dict):
            self.err(path + ("parameters",), "'parameters' must be a mapping")
            params = {}
        if step_type is not None:
            params = self.check_step_params(step_type, params, path + ("parameters",))
        for key, value in params.items():  # per value, so problems point at the value written
            self.check_refs(value, path + ("parameters", key))
        timeout = self.number(item, path, "timeout", 300.0, minimum=0.001)
        retry_count = self.number(item, path, "retry_count", 0, minimum=0, integer=True)
        retry_delay = self.number(item, path, "retry_delay", 5.0, minimum=0)
        backoff = self.number(item, path, "backoff", 1.0, minimum=1.0)
        on_failure = OnFailure.ABORT
        if "on_failure" in item:
            raw = str(item["on_failure"])
            try:
                on_failure = OnFailure(raw)
            except ValueError:
                valid = [o.value for o in OnFailure]
                self.err(path + ("on_failure",), f"on_failure must be one of {', '.join(valid)}, got {raw!r}"
                         f"{did_you_mean(raw, valid)}")
        when = item.get("when")
        if when is not None:
            when = str(when) if not isinstance(when, bool) else ("true" if when else "false")
            try:
                for ref in names_in(when):
                    self.check_ref(ref, path + ("when",))
            except ConditionError as exc:
                self.err(path + ("when",), str(exc))
        rollback: list[Step] = []
        if "on_rollback" in item:
            if isinstance(item["on_rollback"], list):
                known = step_id in self.step_ids
                self.step_ids[step_id] = None
                rollback = self.steps(item["on_rollback"], path + ("on_rollback",))
                if not known:
                    del self.step_ids[step_id]
            else:
                self.err(path + ("on_rollback",), "'on_rollback' must be a list of steps")
        bp = item.get("breakpoint", False)
        if not isinstance(bp, bool):
            self.err(path + ("breakpoint",), "'breakpoint' must be true or false")
            bp = False
        self.step_ids[step_id] = None
        param_locs = {k: self.l.locs[path + ("parameters", k)] for k in params if path + ("parameters", k) in self.l.locs}
        return Step(
            id=step_id, name=name, type=type_name, parameters=params, timeout=float(timeout),
            retry_count=int(retry_count), retry_delay=float(retry_delay), backoff=float(backoff),
            on_failure=on_failure, when=when, on_rollback=tuple(rollback), breakpoint=bp,
            description=str(item.get("description") or ""), location=self.l.locs.get(path),
            param_locations=param_locs,
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
            self.err(path + (key,), f"{key!r} must be {kind}, got {item[key]!r}")
            return default
        if value < minimum:
            self.err(path + (key,), f"{key!r} must be at least {minimum:g}, got {value!r}")
            return default
        return value

    def check_step_params(self, step_type: StepType, params: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
        """Check a step's parameters; returns those the step gets (earlier format: ignored ones dropped,
        the earlier toolkit's defaults filled in)."""
        declared = step_type.param_names
        kept: dict[str, Any] = {}
        unread = earlier.UNREAD.get(step_type.name, {}) if self.earlier else {}
        for key, value in params.items():
            spec = step_type.param(key)
            if key in unread:
                self.err(path + (key,), f"parameter {key!r} of {step_type.name} {earlier.IGNORED}: {unread[key]}",
                         key=True, severity="warning")
                continue
            if self.earlier and step_type.name == "browser.navigate" and key == "wait_for":
                waits = getattr(step_type.param("wait_until"), "choices", None) or ()
                if isinstance(value, str) and not has_refs(value) and value not in waits:
                    self.err(path + (key,), f"parameter 'wait_for' of browser.navigate {earlier.IGNORED}: it never "
                             f"read it (only {', '.join(waits)} mean wait_until)", key=True, severity="warning")
                    continue
            if spec is None:
                if step_type.extra_params:
                    kept[key] = value
                    continue
                alias = PARAM_ALIASES.get(str(key))
                hint = f" (did you mean {alias!r}?)" if alias in declared else did_you_mean(str(key), declared)
                if not hint and key in STEP_KEYS:
                    hint = f" ({key!r} is a step field: move it out of 'parameters')"
                    if self.earlier:
                        hint = (f" (so the step ran once, as written; {key!r} is a step field: "
                                "move it out of 'parameters')")
                known = f"; known: {', '.join(declared)}" if declared and not hint else ""
                what = f"unknown parameter {key!r} for {step_type.name}"
                if step_type.name == "utility.python" and key == "code":
                    # The earlier toolkit failed such a step too (its handler reads only `script`).
                    self.err(path + (key,), f"{what}{hint}: the earlier toolkit failed this step too, "
                             "its handler reads only 'script'", key=True)
                    continue
                self.unknown(path + (key,), what, hint or known)
                continue
            kept[key] = value
            if not has_refs(value):
                _, error = check_value(spec, value)
                if error:
                    self.err(path + (key,), error)
        if self.earlier:
            for key, value in earlier.DEFAULTS.get(step_type.name, {}).items():
                kept.setdefault(key, value)
        for spec in step_type.params:
            if spec.required and spec.name not in kept:
                self.err(path, f"{step_type.name} needs parameter {spec.name!r}")
        if step_type.name == "utility.python" and has_refs(kept.get("script", "")):
            self.err(path + ("script",),
                     "references inside script source are pasted as text (kept for the earlier toolkit); "
                     "pass them as data instead: `params: {name: '{{ parameter.x }}'}` and read params['name'] "
                     "(igtk migrate rewrites this)", severity="warning")
        return kept

    def check_refs(self, value: Any, path: tuple[Any, ...]) -> None:
        for ref in iter_refs(value):
            self.check_ref(ref, path)
        if path[-1] == "script":
            return  # braces in script source are code (f-strings, dicts), never references
        for text in _texts(value):
            for literal in literal_braces(text):
                self.err(path, f"{literal} is not a reference (references are dotted names such as "
                         "parameter.x): kept as literal text", severity="warning")

    def check_ref(self, ref: Any, path: tuple[Any, ...]) -> None:
        root, rest = ref.root, ref.rest
        if not rest:
            self.err(path, f"reference {ref.text} names no value")
        elif root == "parameter":
            if rest[0] not in self.param_names:
                self.err(path, f"reference {ref.text}: no parameter {rest[0]!r} is declared"
                         f"{did_you_mean(rest[0], self.param_names)}")
        elif root == "step":
            if rest[0] not in self.step_ids:
                self.err(path, f"reference {ref.text}: no earlier step has id {rest[0]!r}"
                         f"{did_you_mean(rest[0], self.step_ids)}")
            elif len(rest) < 2:
                self.err(path, f"reference {ref.text} must name an output key: step.{rest[0]}.KEY")


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
