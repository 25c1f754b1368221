"""The step registry: one source of truth per step type.

`@step(...)` records a handler with its typed parameter schema, output keys and
a one-line description. The loader validates playbooks with it, `igtk schema`
turns it into JSON Schema, help text and TUI forms read it. Third-party packs
register through the `igtk.steps` entry-point group: each entry point names a
module (or callable) whose import registers its steps with this decorator.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from igtk_tui.values import to_bool

Handler = Callable[..., Awaitable[dict[str, Any]]]

# Parameter value kinds a step may declare.
KINDS = ("string", "integer", "number", "boolean", "list", "dict", "any")

BUILTIN_MODULES = (
    "igtk_tui.steps.utility",
    "igtk_tui.steps.flow",
    "igtk_tui.steps.gateway",
    "igtk_tui.steps.browser",
    "igtk_tui.steps.perspective",
    "igtk_tui.steps.perspective_fat",
    "igtk_tui.steps.designer",
    "igtk_tui.steps.report",
)
ENTRY_POINT_GROUP = "igtk.steps"


@dataclass(frozen=True)
class Param:
    """One step parameter: its kind, default and, where it matters, its unit."""

    name: str
    kind: str = "string"
    required: bool = False
    default: Any = None
    description: str = ""
    unit: str | None = None
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    secret: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class StepType:
    name: str
    handler: Handler
    description: str
    params: tuple[Param, ...] = ()
    outputs: tuple[str, ...] = ()
    # playbook.run passes undeclared keys through as the child's parameters.
    extra_params: bool = False
    uses_browser: bool = False
    origin: str = "builtin"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]


@dataclass
class Registry:
    types: dict[str, StepType] = field(default_factory=dict)
    _loaded: bool = False
    load_errors: list[str] = field(default_factory=list)

    def add(self, step_type: StepType) -> None:
        existing = self.types.get(step_type.name)
        if existing and existing.handler is not step_type.handler:
            raise ValueError(f"step type {step_type.name!r} is registered twice")
        self.types[step_type.name] = step_type

    def get(self, name: str) -> StepType | None:
        """The step type `name`, importing only the built-in module(s) that can define it
        first: `igtk run` of a utility playbook must not pay for httpx or Playwright.
        Anything not found that way loads everything (all built-ins, then plugins)."""
        found = self.types.get(name)
        if found is None and not self._loaded:
            for module in _modules_for(name):
                importlib.import_module(module)
            found = self.types.get(name)
            if found is None:
                self.ensure_loaded()
                found = self.types.get(name)
        return found

    def names(self) -> list[str]:
        self.ensure_loaded()
        return sorted(self.types)

    def ensure_loaded(self) -> None:
        """Import built-in step modules and entry-point plugins once, on first use."""
        if self._loaded:
            return
        self._loaded = True
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        self._load_plugins()

    def _load_plugins(self) -> None:
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            before = set(self.types)
            try:
                loaded = ep.load()
                if callable(loaded) and not isinstance(loaded, type(importlib)):
                    loaded()
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the tool
                self.load_errors.append(f"step plugin {ep.name!r} failed to load: {exc}")
                continue
            for name in set(self.types) - before:
                st = self.types[name]
                self.types[name] = StepType(**{**st.__dict__, "origin": f"plugin:{ep.name}"})


REGISTRY = Registry()

# Step-name prefixes whose built-in module is not named after them.
_PREFIX_MODULES = {"playbook": "flow", "debug": "flow", "fat": "report"}


def _modules_for(name: str) -> list[str]:
    """Built-in modules that, by naming convention, define step types named `name`."""
    stem = name.split(".", 1)[0]
    stem = _PREFIX_MODULES.get(stem, stem)
    out = []
    for module in BUILTIN_MODULES:
        last = module.rsplit(".", 1)[-1]
        if last == stem or last.startswith(stem + "_"):
            out.append(module)
    return out


def step(
    name: str,
    *,
    description: str,
    params: list[Param] | tuple[Param, ...] = (),
    outputs: list[str] | tuple[str, ...] = (),
    extra_params: bool = False,
    uses_browser: bool = False,
) -> Callable[[Handler], Handler]:
    """Register `handler(ctx, **params) -> dict` as the step type `name`."""

    def decorate(handler: Handler) -> Handler:
        REGISTRY.add(
            StepType(
                name=name,
                handler=handler,
                description=description,
                params=tuple(params),
                outputs=tuple(outputs),
                extra_params=extra_params,
                uses_browser=uses_browser or name.startswith(("browser.", "perspective.")),
            )
        )
        return handler

    return decorate


def check_value(param: Param, value: Any) -> tuple[Any, str | None]:
    """Coerce a resolved value to the parameter's kind; return (value, error)."""
    kind = param.kind
    if value is None:
        return value, None
    try:
        if kind == "integer":
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            value = int(value) if not isinstance(value, str) else int(value.strip())
        elif kind == "number":
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif kind == "boolean":
            value = to_bool(value)
        elif kind == "string":
            if isinstance(value, (dict, list)):
                raise ValueError
            value = str(value) if not isinstance(value, str) else value
        elif kind == "list":
            if isinstance(value, tuple):
                value = list(value)
            if not isinstance(value, list):
                raise ValueError
        elif kind == "dict":
            if not isinstance(value, dict):
                raise ValueError
    except (TypeError, ValueError):
        return value, f"{param.name} must be {_article(kind)}, got {value!r}"
    if param.choices is not None and value not in param.choices:
        allowed = ", ".join(repr(c) for c in param.choices)
        return value, f"{param.name} must be one of {allowed}, got {value!r}"
    if param.min is not None and isinstance(value, (int, float)) and value < param.min:
        return value, f"{param.name} must be at least {param.min:g}{_unit(param)}, got {value!r}"
    if param.max is not None and isinstance(value, (int, float)) and value > param.max:
        return value, f"{param.name} must be at most {param.max:g}{_unit(param)}, got {value!r}"
    return value, None


def _article(kind: str) -> str:
    return {"integer": "an integer", "any": "a value"}.get(kind, f"a {kind}")


def _unit(param: Param) -> str:
    return f" {param.unit}" if param.unit else ""
