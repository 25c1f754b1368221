"""Values shown to an operator as YAML they can read and edit: multi-line text
(a script, a page excerpt) as a literal block, not an escaped one-line string."""

from __future__ import annotations

from typing import Any

import yaml


class _ReadableDumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:  # (PyYAML itself falls back to quotes for text a block cannot hold exactly)
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_ReadableDumper.add_representer(str, _text)


def readable_yaml(value: Any) -> str:
    """Block-style YAML, keys in their order, unicode kept, multi-line strings as `|` blocks."""
    return yaml.dump(value, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=100)
