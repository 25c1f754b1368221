"""Value coercions shared by step parameters, playbook parameters and settings.

Below every layer that reads user-written values (config, playbook, steps), so each of them
spells "yes"/"off"/1 the same way without importing the step registry.
"""

from __future__ import annotations

from typing import Any

TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})


def to_bool(value: Any) -> bool:
    """A boolean from a bool, 0/1 or a yes/no word; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in TRUE_WORDS:
            return True
        if v in FALSE_WORDS:
            return False
    raise ValueError(f"not a boolean: {value!r}")
