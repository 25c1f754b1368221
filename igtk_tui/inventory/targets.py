"""`--on` targets: gateway names, group names, `tag:X` and `all`, resolved against the inventory.

Why the inventory's order and not the order given: batches (`--serial`) follow a fixed,
visible order (the file's, as Ansible follows its inventory's), so `--on line-3,line-1`
and `--on line-1,line-3` run the same waves. A gateway named twice runs once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from igtk_tui.errors import InvalidInput
from igtk_tui.inventory.model import ALL, Gateway, Inventory

TAG_PREFIX = "tag:"


def split_targets(given: Iterable[str]) -> list[str]:
    """`--on a,b --on tag:x` -> ["a", "b", "tag:x"] (blanks dropped, order kept, no repeats)."""
    out: list[str] = []
    for text in given:
        for part in text.split(","):
            token = part.strip()
            if token and token not in out:
                out.append(token)
    return out


def select(inventory: Inventory, given: Iterable[str], flag: str = "--on") -> list[Gateway]:
    """The gateways the targets name, in inventory order; InvalidInput (exit 2) names every unknown one."""
    tokens = split_targets(given)
    if not tokens:
        raise InvalidInput(f"{flag}: name at least one gateway, group, tag:X or {ALL!r}")
    if not inventory.gateways:
        raise InvalidInput(f"{flag}: the inventory {inventory.path} has no gateways; add them with "
                           "`igtk inventory add NAME --url URL --credential CRED`")
    groups, tags = inventory.groups, inventory.tags
    chosen: set[str] = set()
    problems: list[str] = []
    for token in tokens:
        if token == ALL:
            chosen.update(inventory.names)
        elif token.startswith(TAG_PREFIX):
            tag = token[len(TAG_PREFIX):]
            if tag in tags:
                chosen.update(g.name for g in tags[tag])
            else:
                problems.append(f"{flag}: no gateway has the tag {tag!r}"
                                + _close(tag, tags, prefix=TAG_PREFIX))
        elif inventory.get(token) is not None:
            chosen.add(token)
        elif token in groups:
            chosen.update(g.name for g in groups[token])
        else:
            problems.append(f"{flag}: {token!r} is not a gateway, a group or tag:X in the inventory"
                            + _close(token, [*inventory.names, *groups, *(TAG_PREFIX + t for t in tags)]))
    if problems:
        raise InvalidInput("\n".join(problems))
    return [g for g in inventory.gateways if g.name in chosen]


def unknown_name(inventory: Inventory, name: str) -> str:
    """The message for a gateway name that is not in the inventory, with close matches."""
    return f"no gateway {name!r} in the inventory {inventory.path}" + _close(name, inventory.names)


def _close(word: str, candidates: Iterable[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + ", ".join(repr(prefix + c if prefix and not c.startswith(prefix) else c)
                                         for c in close) + "?)"
