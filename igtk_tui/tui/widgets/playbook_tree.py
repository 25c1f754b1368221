"""The playbook library as a Tree grouped by folder/domain, with a fuzzy filter,
badges (verified / disabled / invalid) and the last result from the store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from igtk_tui.glyphs import GLYPHS
from igtk_tui.tui.fit import Part, badge, gap, name
from igtk_tui.tui.render import elapsed
from igtk_tui.tui.widgets.step_tree import TreeNav, move_to


def fuzzy_score(query: str, text: str) -> float:
    """0 when `query`'s characters do not appear in order in `text`; higher is a tighter match."""
    query, text = query.lower().strip(), text.lower()
    if not query:
        return 1.0
    if query in text:
        return 2.0 + len(query) / max(len(text), 1)
    pos, gaps, last = 0, 0, -1
    for ch in query:
        found = text.find(ch, pos)
        if found < 0:
            return 0.0
        if last >= 0:
            gaps += found - last - 1
        last, pos = found, found + 1
    return 1.0 / (1 + gaps)


def library_score(query: str, entry: Any) -> float:
    """The filter's rank of one playbook: an exact name or path first, then a prefix of the
    name or path (or its file name), then a word of either starting with the query, then
    any substring or fuzzy match over name, path, group and description."""
    import re

    hay = " ".join((entry.name, entry.rel_path, entry.group or "",
                    entry.playbook.description if entry.playbook else ""))
    base = fuzzy_score(query, hay)
    q = query.lower().strip()
    if base <= 0 or not q:
        return base
    name = entry.name.lower()
    path = entry.rel_path.lower().removesuffix(".yaml").removesuffix(".yml")
    file = path.rsplit("/", 1)[-1]
    if q in (name, path, file):
        return 30 + base
    if name.startswith(q) or path.startswith(q) or file.startswith(q):
        return 20 + base
    if any(word.startswith(q) for word in re.split(r"[\s/_.-]+", f"{name} {path}")):
        return 10 + base
    return base


def entry_flags(entry: Any) -> dict[str, bool]:
    """What the badges say, read defensively (library metadata may be absent)."""
    valid = entry.playbook is not None and not entry.problems
    verified = bool(getattr(entry, "verified", False) if hasattr(entry, "verified")
                    else (entry.playbook is not None and entry.playbook.verified))
    enabled = bool(getattr(entry, "enabled", True))
    if entry.playbook is not None and entry.playbook.metadata.get("enabled") is False:
        enabled = False
    return {"valid": valid, "verified": verified and valid, "enabled": enabled}


def entry_group(entry: Any) -> str:
    if "/" in entry.rel_path:
        return str(entry.rel_path).split("/", 1)[0]
    return str(entry.group or "(top level)")


class PlaybookTree(TreeNav):

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("playbooks", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.entries: list[Any] = []
        self.results: Mapping[str, Any] = {}
        self.filter_text = ""
        self.tints: dict[str, str] = {}

    @property
    def selected_entry(self) -> Any | None:
        node = self.cursor_node
        return node.data if node is not None and node.data is not None else None

    def set_entries(self, entries: list[Any]) -> None:
        self.entries = entries
        self.rebuild()

    def set_results(self, results: Mapping[str, Any]) -> None:
        self.results = results
        self.rebuild()

    def set_query(self, query: str) -> None:
        self.filter_text = query
        self.rebuild()

    def parts_for(self, entry: Any) -> list[Part]:
        """The name gives way to the badges and the last result when the pane is narrow."""
        flags = entry_flags(entry)
        parts = [name(entry.name, "" if flags["enabled"] and flags["valid"] else "dim")]
        if not flags["valid"]:
            parts += [gap(), badge("✗ invalid", self.tints.get("failed", ""))]
        elif not flags["enabled"]:
            parts += [gap(), badge("⊘ disabled", "dim")]
        elif flags["verified"]:
            parts += [gap(), badge("✓ verified", self.tints.get("verified", ""))]
        last = self.results.get(entry.rel_path) or self.results.get(entry.name)
        if last:
            status = str(last.get("status", ""))
            glyph, took = GLYPHS.get(status, "?"), elapsed(last.get("duration"))
            parts += [gap(), badge(f"{glyph} {status} {took}".rstrip(), "dim", narrow=f"{glyph} {took}".rstrip())]
        return parts

    def rebuild(self) -> None:
        selected = self.selected_entry
        keep = selected.rel_path if selected is not None else None
        self.clear()
        self.forget_parts()
        scored = []
        for entry in self.entries:
            score = library_score(self.filter_text, entry)
            if score > 0:
                scored.append((score, entry))
        if self.filter_text:
            # Plain substring matches win; subsequence ("fuzzy") matches are the fallback for typos and initials.
            if any(score >= 2 for score, _ in scored):
                scored = [(score, e) for score, e in scored if score >= 2]
            scored.sort(key=lambda se: -se[0])
        groups: dict[str, Any] = {}
        target = None
        for _score, entry in scored:
            group = entry_group(entry)
            if group not in groups:
                groups[group] = self.root.add("", data=None, expand=True)
                self.set_parts(groups[group], [name(group, "bold", keep=4)])
            node = groups[group].add_leaf("", data=entry)
            self.set_parts(node, self.parts_for(entry))
            if entry.rel_path == keep:
                target = node
        if target is None:
            for group in groups.values():
                if group.children:
                    target = group.children[0]
                    break
        if target is not None:
            move_to(self, target)

    @property
    def visible_count(self) -> int:
        return sum(len(g.children) for g in self.root.children)
