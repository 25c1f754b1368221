"""The step-type registry: what each step type takes, returns and runs, read by everything
that checks or describes steps.

Below the playbook layer so the loader (file:line:col checks), the JSON Schema builder, the
engine and the TUI's parameter editor read step schemas without importing the step modules.
Step modules fill it with `igtk_tui.steps.registry.step` (which checks each declaration against
its handler's signature); the registry imports them by name on first use, built-ins by naming
convention (a utility-only run never imports httpx or Playwright) and third-party packs through
the `igtk.steps` entry-point group, so the loader sees plugin steps like built-in ones.

Tests build private registries (`Registry(base=REGISTRY)`): what they add stays theirs.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from igtk_tui.errors import IgtkError
from igtk_tui.values import KINDS, check_bounds, coerce

Handler = Callable[..., Awaitable[dict[str, Any]]]

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
# Step-name prefixes whose built-in module is not named after them.
_PREFIX_MODULES = {"playbook": "flow", "debug": "flow", "fat": "report"}


class StepDeclarationError(IgtkError):
    """A step type declared wrongly (a kind, a parameter that its handler does not take, a name
    registered twice): raised when its module is imported, naming the step type and parameter."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # a Param's default/required not written: taken from the handler's signature


@dataclass(frozen=True)
class Param:
    """One step parameter: its kind, bounds, documentation and, where it matters, its unit.

    Whether it is required and its default come from the handler's signature when the step is
    registered (a parameter without a default is required); written here too, they must agree."""

    name: str
    kind: str = "string"
    required: bool = UNSET
    default: Any = UNSET
    description: str = ""
    unit: str | None = None
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    secret: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise StepDeclarationError(f"parameter {self.name}: unknown kind {self.kind!r} "
                                       f"(kinds: {', '.join(KINDS)})")


@dataclass(frozen=True)
class Output:
    """One key a step returns: its kind and what it holds; `nullable` when it may be None."""

    name: str
    kind: str = "any"
    description: str = ""
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise StepDeclarationError(f"output {self.name}: unknown kind {self.kind!r} (kinds: {', '.join(KINDS)})")


@dataclass(frozen=True)
class StepType:
    name: str
    handler: Handler
    description: str
    params: tuple[Param, ...] = ()
    outputs: tuple[Output, ...] = ()
    # playbook.run passes undeclared keys through as the child's parameters.
    extra_params: bool = False
    # The kind of outputs beyond the declared ones (utility.python: a script's KEY=value lines).
    extra_outputs: str | None = None
    uses_browser: bool = False
    origin: str = "builtin"
    by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A parameter no signature spoke for: required only if declared so, no default unless written.
        object.__setattr__(self, "params", tuple(
            replace(p, required=p.required is True, default=None if p.default is UNSET else p.default)
            if p.required is UNSET or p.default is UNSET else p for p in self.params))
        # Looked up for every parameter of every step loaded and run: by name, not by a scan.
        object.__setattr__(self, "by_name", {p.name: p for p in self.params})

    def param(self, name: str) -> Param | None:
        return self.by_name.get(name)

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def output_names(self) -> list[str]:
        return [o.name for o in self.outputs]

    def output_problems(self, output: dict[str, Any]) -> list[str]:
        """How a handler's result differs from the declared outputs (names and kinds); for the
        tests of a step pack as for igtk's own."""
        problems = [f"{self.name}: output {o.name!r} is missing" for o in self.outputs if o.name not in output]
        declared = {o.name: o for o in self.outputs}
        for key, value in output.items():
            spec = declared.get(key)
            if spec is None:
                if self.extra_outputs is None:
                    problems.append(f"{self.name}: output {key!r} is not declared")
                elif not is_kind(self.extra_outputs, value):
                    problems.append(f"{self.name}: output {key!r} must be {self.extra_outputs}, got {value!r}")
            elif value is None:
                if not spec.nullable:
                    problems.append(f"{self.name}: output {key!r} is None but not declared nullable")
            elif not is_kind(spec.kind, value):
                problems.append(f"{self.name}: output {key!r} must be {spec.kind}, got {type(value).__name__} "
                                f"{value!r:.80}")
        return problems


def is_kind(kind: str, value: Any) -> bool:
    """Whether a value (not None) already is of `kind`, as a step returns it."""
    if kind == "any":
        return True
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    expected: dict[str, type | tuple[type, ...]] = {
        "string": str, "integer": int, "number": (int, float), "boolean": bool, "list": list, "dict": dict}
    return isinstance(value, expected[kind])


def check_value(param: Param, value: Any) -> tuple[Any, str | None]:
    """A resolved value coerced to the parameter's kind and checked against its bounds;
    (value, None), or (value, the problem naming the parameter)."""
    if value is None or (type(value) is str and param.kind == "string" and param.choices is None):
        return value, None  # text for a text parameter: nothing to coerce or bound (most values)
    written = value
    try:
        value = coerce(param.kind, value)
        check_bounds(value, choices=param.choices, minimum=param.min, maximum=param.max, unit=param.unit,
                     written=written)
    except ValueError as exc:
        return value, f"{param.name} {exc}"
    return value, None


class Registry:
    """Step types by name. The global `REGISTRY` imports built-in modules and plugins on first
    use; a private one (`Registry(base=REGISTRY)`) holds what a test adds and falls back to its base."""

    def __init__(self, *, base: Registry | None = None, modules: Iterable[str] = (), plugins: bool = False) -> None:
        self.types: dict[str, StepType] = {}
        self.base = base
        self.load_errors: list[str] = []
        self._modules = tuple(modules)
        self._plugins = plugins
        self._loaded = not self._modules and not plugins

    def add(self, step_type: StepType) -> None:
        existing = self.types.get(step_type.name)
        if existing and existing.handler is not step_type.handler:
            raise StepDeclarationError(f"step type {step_type.name!r} is registered twice")
        self.types[step_type.name] = step_type

    def get(self, name: str) -> StepType | None:
        """The step type `name`, importing only the built-in module(s) that can define it
        first: `igtk run` of a utility playbook must not pay for httpx or Playwright.
        Anything not found that way loads everything (all built-ins, then plugins)."""
        found = self.types.get(name)
        if found is None and not self._loaded:
            for module in self._modules_for(name):
                importlib.import_module(module)
            found = self.types.get(name)
            if found is None:
                self.ensure_loaded()
                found = self.types.get(name)
        if found is None and self.base is not None:
            return self.base.get(name)
        return found

    def names(self) -> list[str]:
        self.ensure_loaded()
        return sorted({*self.types, *(self.base.names() if self.base is not None else ())})

    def all(self) -> list[StepType]:
        """Every step type (built-ins and plugins loaded), by name."""
        found = (self.get(name) for name in self.names())
        return [st for st in found if st is not None]

    def ensure_loaded(self) -> None:
        """Import built-in step modules and entry-point plugins once, on first use."""
        if self._loaded:
            return
        self._loaded = True
        for module in self._modules:
            importlib.import_module(module)
        if self._plugins:
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
                self.types[name] = replace(self.types[name], origin=f"plugin:{ep.name}")

    def _modules_for(self, name: str) -> list[str]:
        """Built-in modules that, by naming convention, define step types named `name`."""
        stem = name.split(".", 1)[0]
        stem = _PREFIX_MODULES.get(stem, stem)
        return [m for m in self._modules if (last := m.rsplit(".", 1)[-1]) == stem or last.startswith(stem + "_")]


REGISTRY = Registry(modules=BUILTIN_MODULES, plugins=True)
