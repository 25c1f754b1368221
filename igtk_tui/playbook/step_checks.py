"""A step's parameters checked against its step type's declaration: unknown names (with the
earlier toolkit's names for them as hints), values of the wrong kind or out of bounds, missing
required ones; in the earlier toolkit's format, what it ignored is dropped with a warning and
its defaults are filled in."""

from __future__ import annotations

from typing import Any

from igtk_tui.playbook import earlier
from igtk_tui.playbook.errors import did_you_mean
from igtk_tui.playbook.model import STEP_KEYS
from igtk_tui.playbook.refs import has_refs
from igtk_tui.playbook.reporter import Path as NodePath
from igtk_tui.playbook.reporter import Reporter
from igtk_tui.steptypes import StepType, check_value

# Parameter names the earlier toolkit's playbooks and docs used for a parameter
# that is called differently here; suggested when the step declares the target
# (difflib alone does not see that `code` means `script`).
_NUMBERS = (int, float, bool)
PARAM_ALIASES = {
    "code": "script",
    "source": "script",
    "wait_for": "wait_until",
    "playbook_path": "playbook",
    "report": "report_id",
}


def check_step_params(r: Reporter, step_type: StepType, params: dict[str, Any], path: NodePath) -> dict[str, Any]:
    """Check a step's parameters; returns those the step gets (earlier format: ignored ones dropped,
    the earlier toolkit's defaults filled in)."""
    kept: dict[str, Any] = {}
    unread = earlier.UNREAD.get(step_type.name, {}) if r.earlier else {}
    by_name = step_type.by_name
    for key, value in params.items():
        spec = by_name.get(key)
        if spec is not None and not r.earlier and (type(value) in _NUMBERS or (type(value) is str and "{{" not in value)):
            kept[key] = value  # the common case: a declared parameter, a value written out
            _, error = check_value(spec, value)
            if error:
                r.err(path + (key,), error)
            continue
        if key in unread:
            r.err(path + (key,), f"parameter {key!r} of {step_type.name} {earlier.IGNORED}: {unread[key]}",
                  key=True, severity="warning")
            continue
        if r.earlier and step_type.name == "browser.navigate" and key == "wait_for":
            waits = getattr(step_type.param("wait_until"), "choices", None) or ()
            if isinstance(value, str) and not has_refs(value) and value not in waits:
                r.err(path + (key,), f"parameter 'wait_for' of browser.navigate {earlier.IGNORED}: it never "
                      f"read it (only {', '.join(waits)} mean wait_until)", key=True, severity="warning")
                continue
        if spec is None:
            if step_type.extra_params:
                kept[key] = value
                continue
            declared = step_type.param_names
            alias = PARAM_ALIASES.get(str(key))
            hint = f" (did you mean {alias!r}?)" if alias in declared else did_you_mean(str(key), declared)
            if not hint and key in STEP_KEYS:
                hint = f" ({key!r} is a step field: move it out of 'parameters')"
                if r.earlier:
                    hint = (f" (so the step ran once, as written; {key!r} is a step field: "
                            "move it out of 'parameters')")
            known = f"; known: {', '.join(declared)}" if declared and not hint else ""
            what = f"unknown parameter {key!r} for {step_type.name}"
            if step_type.name == "utility.python" and key == "code":
                # The earlier toolkit failed such a step too (its handler reads only `script`).
                r.err(path + (key,), f"{what}{hint}: the earlier toolkit failed this step too, "
                      "its handler reads only 'script'", key=True)
                continue
            r.unknown(path + (key,), what, hint or known)
            continue
        kept[key] = value
        if not has_refs(value):
            _, error = check_value(spec, value)
            if error:
                r.err(path + (key,), error)
    if r.earlier:
        for key, value in earlier.DEFAULTS.get(step_type.name, {}).items():
            kept.setdefault(key, value)
    for spec in step_type.params:
        if spec.required and spec.name not in kept:
            r.err(path, f"{step_type.name} needs parameter {spec.name!r}")
    if step_type.name == "utility.python" and has_refs(kept.get("script", "")):
        r.err(path + ("script",),
              "references inside script source are pasted as text (kept for the earlier toolkit); "
              "pass them as data instead: `params: {name: '{{ parameter.x }}'}` and read params['name'] "
              "(igtk migrate rewrites this)", severity="warning")
    return kept
