"""Declaring a step type: `@step(...)`, for igtk's own step modules and third-party packs alike.

A step's parameters are declared once: `Param` gives each one's kind, bounds and description,
the handler's signature gives whether it is required and its default. `step` checks the two
against each other when the module is imported (a parameter one side has and the other lacks,
a default or `required` written in both that differ, a kind its annotation contradicts) and
raises StepDeclarationError naming the step type and the parameter. Outputs are declared with
their kinds and descriptions (`Output`). The result goes into the step-type registry
(`igtk_tui.steptypes`), which the loader, the schema and the engine read.

Handler wrappers that take parameters off the step's hands (`gateway_step`: the connection;
`browser_step`: the page) say so with a `Prelude`: its parameters are added to the step's and
the values it passes the handler after `ctx` are not step parameters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from igtk_tui.steptypes import (
    REGISTRY,
    UNSET,
    Handler,
    Output,
    Param,
    Registry,
    StepDeclarationError,
    StepType,
    check_value,
)

__all__ = ["REGISTRY", "Output", "Param", "Prelude", "Registry", "StepDeclarationError", "step", "with_prelude"]


@dataclass(frozen=True)
class Prelude:
    """What a handler wrapper does before the handler: the step parameters it consumes
    (`params`) and the values it passes the handler positionally after ctx (`injects`)."""

    params: tuple[Param, ...] = ()
    injects: tuple[str, ...] = ()


def with_prelude(wrapper: Handler, prelude: Prelude) -> Handler:
    """Mark `wrapper` (made with functools.wraps) as running `prelude` for the handler it wraps."""
    setattr(wrapper, "step_prelude", prelude)  # noqa: B010 - a function attribute mypy does not know
    return wrapper


def step(
    name: str,
    *,
    description: str,
    params: Iterable[Param] = (),
    outputs: Iterable[Output | str] = (),
    extra_params: bool = False,
    extra_outputs: str | None = None,
    uses_browser: bool = False,
    registry: Registry | None = None,
) -> Callable[[Handler], Handler]:
    """Register `handler(ctx, **params) -> dict` as the step type `name` (in `registry`, by
    default the global one). An output written as a plain name is of kind `any`."""

    def decorate(handler: Handler) -> Handler:
        prelude: Prelude = getattr(handler, "step_prelude", Prelude())
        own = _bind_signature(name, handler, tuple(params), prelude, extra_params)
        (registry or REGISTRY).add(
            StepType(
                name=name,
                handler=handler,
                description=description,
                params=(*own, *prelude.params),
                outputs=tuple(o if isinstance(o, Output) else Output(o) for o in outputs),
                extra_params=extra_params,
                extra_outputs=extra_outputs,
                uses_browser=uses_browser or name.startswith(("browser.", "perspective.")),
            )
        )
        return handler

    return decorate


def _bind_signature(name: str, handler: Handler, params: tuple[Param, ...], prelude: Prelude,
                    extra_params: bool) -> list[Param]:
    """`params` with `required` and `default` taken from the handler's signature, checked."""

    def fail(message: str) -> StepDeclarationError:
        return StepDeclarationError(f"step {name}: {message}")

    target = inspect.unwrap(handler)
    positional = list(inspect.signature(target).parameters.values())
    skip = 1 + len(prelude.injects)  # ctx, then what the wrapper passes
    if len(positional) < skip:
        raise fail(f"the handler must take ctx{''.join(', ' + i for i in prelude.injects)} first")
    taken = {p.name: p for p in positional[skip:] if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    absorbs = any(p.kind == p.VAR_KEYWORD for p in positional[skip:])
    if any(p.kind == p.VAR_POSITIONAL for p in positional[skip:]):
        raise fail("the handler takes *args; step parameters are passed by name")
    declared = {p.name for p in params}
    if len(declared) != len(params):
        raise fail("a parameter is declared twice")
    if extra_params:
        if "extra" not in taken:
            raise fail("extra_params: the handler must take `extra` (the undeclared parameters)")
        taken.pop("extra")
    for undeclared in set(taken) - declared:
        raise fail(f"the handler takes parameter {undeclared!r}, which is not declared")
    bound = []
    for param in params:
        arg = taken.get(param.name)
        if arg is None:
            if not absorbs:
                raise fail(f"parameter {param.name!r} is declared, but the handler does not take it")
            bound.append(param)  # absorbed by **kwargs: the declaration is all there is
            continue
        required = arg.default is inspect.Parameter.empty
        default = None if required else arg.default
        if param.required is not UNSET and param.required != required:
            raise fail(f"parameter {param.name!r} is declared required={param.required}, but the handler "
                       f"{'has no default' if required else f'defaults it to {default!r}'}")
        if param.default is not UNSET and param.default != default:
            raise fail(f"parameter {param.name!r} is declared with default {param.default!r}, but the handler's "
                       f"default is {default!r}")
        _check_annotation(fail, param, arg.annotation)
        problem = check_value(param, default)[1]
        if problem is not None:
            raise fail(f"the handler's default does not pass the declaration: {problem}")
        bound.append(replace(param, required=required, default=default))
    return bound


# The parameter kinds an annotation admits (`str | None` admits string; `Any` admits all).
_ANNOTATED = {"str": {"string"}, "int": {"integer"}, "float": {"number"}, "bool": {"boolean"},
              "list": {"list"}, "dict": {"dict"}, "Any": None, "object": None}


def _check_annotation(fail: Callable[[str], StepDeclarationError], param: Param, annotation: Any) -> None:
    if annotation is inspect.Parameter.empty:
        return  # an unannotated plugin handler: nothing to compare
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    kinds: set[str] = set()
    for part in (p.strip() for p in text.split("|")):
        base = part.split("[", 1)[0].rsplit(".", 1)[-1]
        if base == "None":
            continue
        if base not in _ANNOTATED:
            return  # a type this check does not know: leave it to mypy
        admitted = _ANNOTATED[base]
        if admitted is None:
            return
        kinds |= admitted
    if param.kind == "any" or param.kind not in kinds:
        raise fail(f"parameter {param.name!r} is declared {param.kind}, but the handler's annotation is {text!r}")
