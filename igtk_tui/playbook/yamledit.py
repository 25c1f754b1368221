"""Small, surgical edits of playbook YAML text that keep comments and layout.

Re-dumping YAML would drop the comments that teach what a playbook does, so
the library edits the text in place at the positions the YAML parser reports.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml


def _root(text: str) -> yaml.MappingNode | None:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return node if isinstance(node, yaml.MappingNode) else None


def _key(mapping: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == name:
            return key_node, value_node
    return None


def set_top_level_scalar(text: str, key: str, literal: str) -> str:
    """Replace the value of a top-level scalar key (e.g. `verified`); unchanged if absent."""
    root = _root(text)
    found = _key(root, key) if root else None
    if not found or not isinstance(found[1], yaml.ScalarNode):
        return text
    value = found[1]
    return text[: value.start_mark.index] + literal + text[value.end_mark.index:]


def strip_parameter_defaults(text: str, names: Iterable[str]) -> tuple[str, list[str]]:
    """Remove the `default:` of the named parameters; returns (new text, names stripped).

    A block-style `default:` line (and any continuation lines of its value) is
    deleted; otherwise (flow style) the value is replaced by `null`.
    """
    wanted = set(names)
    root = _root(text)
    params = _key(root, "parameters") if root else None
    if not params or not isinstance(params[1], yaml.SequenceNode):
        return text, []
    edits: list[tuple[int, int, str, str]] = []
    for item in params[1].value:
        if not isinstance(item, yaml.MappingNode):
            continue
        name = _key(item, "name")
        default = _key(item, "default")
        if not name or not default or name[1].value not in wanted:
            continue
        key_node, value_node = default
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue
        edits.append((*_span(text, key_node, value_node), str(name[1].value)))
    out = text
    for start, end, replacement, _ in sorted(edits, reverse=True):
        out = out[:start] + replacement + out[end:]
    return out, sorted(e[3] for e in edits)


def _span(text: str, key_node: yaml.Node, value_node: yaml.Node) -> tuple[int, int, str]:
    """The text range to replace for one `default:` entry, and its replacement."""
    line_start = text.rfind("\n", 0, key_node.start_mark.index) + 1
    before = text[line_start: key_node.start_mark.index]
    start = value_node.start_mark.index
    # Block values (`|` scalars, nested mappings) end at the next token: trim back to their last character.
    end = start + len(text[start: value_node.end_mark.index].rstrip())
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    after = text[end:line_end].strip()
    if before.strip() == "" and (after == "" or after.startswith("#")):
        stop = line_end + 1 if line_end < len(text) else line_end
        return line_start, stop, ""
    return start, end, "null"
