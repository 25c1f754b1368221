"""The earlier toolkit's format (Ignition Automation Toolkit 5.x): how a playbook
is recognised as one, and what igtk does differently for it (docs/migration.md).

Recognition: a playbook is in the earlier format when it has a top-level
`domain:` (the earlier toolkit needed it to decide whether to start a browser;
every playbook it shipped or created had one) and uses none of igtk's
additions (`when`, `on_rollback`, `backoff`, `breakpoint`, a step
`description`, parameter `choices`/`min`/`max`/`secret`/`label`). Anything
else is igtk's own format, where unknown keys stay errors.

For an earlier-format playbook, keys the earlier toolkit silently dropped
load with a located warning and are dropped here too; `igtk validate --strict`
makes those warnings errors. Its defaults that differ from igtk's are filled
in, so playbooks that relied on them behave the same.
"""

from __future__ import annotations

from typing import Any

IGTK_TOP_KEYS = ("on_rollback",)
IGTK_STEP_KEYS = ("when", "on_rollback", "backoff", "breakpoint", "description")
IGTK_PARAM_KEYS = ("choices", "min", "max", "secret", "label")

IGNORED = "ignored, as the earlier toolkit did"

# Step parameter defaults of the earlier toolkit where igtk's differ (its handlers' own defaults).
DEFAULTS: dict[str, dict[str, Any]] = {
    "gateway.restart": {"wait_for_ready": False, "timeout": 120},
    "utility.sleep": {"seconds": 1},
    "utility.log": {"message": ""},
}

# Parameters the earlier toolkit declared in its docs but its handler never read.
UNREAD: dict[str, dict[str, str]] = {
    "browser.navigate": {
        "timeout": "the earlier toolkit never read it (Playwright's 30 s applied)",
    },
}

# Earlier-format utility.python scripts had these names without importing them.
SCRIPT_NAMES = ("subprocess", "asyncio")


def is_earlier_format(data: dict[str, Any]) -> bool:
    """True for a playbook written in the earlier toolkit's format (see the module docstring)."""
    if "domain" not in data or any(key in data for key in IGTK_TOP_KEYS):
        return False
    for param in data.get("parameters") or ():
        if isinstance(param, dict) and any(key in param for key in IGTK_PARAM_KEYS):
            return False
    return not any(_uses_igtk_step_keys(step) for step in data.get("steps") or ())


def _uses_igtk_step_keys(step: Any) -> bool:
    return isinstance(step, dict) and any(key in step for key in IGTK_STEP_KEYS)


def ignored(what: str, hint: str) -> str:
    """`unknown step field 'x' ignored, as the earlier toolkit did; did you mean 'y'?`"""
    hint = hint.strip().removeprefix(";").strip()
    if hint.startswith("(") and hint.endswith(")"):
        hint = hint[1:-1]
    return f"{what} {IGNORED}" + (f"; {hint}" if hint else "")
