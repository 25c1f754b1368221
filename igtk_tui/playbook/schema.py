"""A JSON Schema of the playbook format, generated from the step registry,
for yaml-language-server and other editors."""

from __future__ import annotations

from typing import Any

from igtk_tui.playbook.model import OnFailure, ParamType
from igtk_tui.steptypes import REGISTRY, Param, Registry

_KIND = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array"},
    "dict": {"type": "object"},
    "any": {},
}
_REF = {"type": "string", "pattern": r"\{\{.*\}\}"}


def _param_schema(p: Param) -> dict[str, Any]:
    base: dict[str, Any] = dict(_KIND[p.kind])
    if p.choices:
        base["enum"] = list(p.choices)
    if p.min is not None:
        base["minimum"] = p.min
    if p.max is not None:
        base["maximum"] = p.max
    desc = p.description + (f" (unit: {p.unit})" if p.unit else "")
    schema: dict[str, Any] = {"anyOf": [base, _REF]} if base else {}
    if desc:
        schema["description"] = desc
    if p.default is not None:
        schema["default"] = p.default
    return schema


def build_schema(registry: Registry | None = None) -> dict[str, Any]:
    """The playbook format as JSON Schema, with each step type's parameters (`registry`: default
    the global one, built-in and plugin steps)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "igtk playbook",
        "type": "object",
        "required": ["name", "version", "steps"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "version": {"type": ["string", "number"]},
            "description": {"type": "string"},
            "domain": {"type": "string"},
            "group": {"type": "string"},
            "verified": {"type": "boolean"},
            "metadata": {"type": "object"},
            "parameters": {"type": "array", "items": {"$ref": "#/$defs/parameter"}},
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
            "on_rollback": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        },
        "$defs": {"parameter": _parameter_def(), "step": _step_def(registry or REGISTRY)},
    }


def _parameter_def() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["name", "type"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "type": {"enum": [t.value for t in ParamType]},
            "required": {"type": "boolean", "default": True},
            "default": {},
            "description": {"type": "string"},
            "choices": {"type": "array"},
            "min": {"type": "number"},
            "max": {"type": "number"},
            "secret": {"type": "boolean"},
            "label": {"type": "string"},
        },
    }


def _step_def(registry: Registry) -> dict[str, Any]:
    """A step, with an if/then per step type for its parameters."""
    variants = [{
        "if": {"properties": {"type": {"const": st.name}}},
        "then": {"properties": {"parameters": {
            "type": "object",
            "properties": {p.name: _param_schema(p) for p in st.params},
            "required": [p.name for p in st.params if p.required],
            "additionalProperties": st.extra_params,
        }}},
    } for st in registry.all()]
    properties = {
        "id": {"type": "string", "pattern": r"^\w+$"},
        "name": {"type": "string"},
        "type": {"enum": registry.names(), "description": "step type"},
        "parameters": {"type": "object"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "seconds", "default": 300},
        "retry_count": {"type": "integer", "minimum": 0, "default": 0},
        "retry_delay": {"type": "number", "minimum": 0, "description": "seconds", "default": 5},
        "backoff": {"type": "number", "minimum": 1, "default": 1},
        "on_failure": {"enum": [o.value for o in OnFailure], "default": "abort"},
        "when": {"type": ["string", "boolean"], "description": "condition: comparisons, and/or/not"},
        "on_rollback": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        "breakpoint": {"type": "boolean"},
        "description": {"type": "string"},
    }
    return {"type": "object", "required": ["id", "type"], "additionalProperties": False,
            "properties": properties, "allOf": variants}
