"""Live steps of the selected execution: a Tree (nested playbooks are children).

Updated by diff at the UI tick: new steps are added, labels are replaced only
when their text changed, nothing is cleared and rebuilt (the cursor and the
scroll position survive, and an idle run writes nothing to the terminal).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from igtk_tui.tui.keymap import bindings_for
from igtk_tui.tui.render import step_label
from igtk_tui.tui.viewmodel import ExecutionView


class TreeNav(Tree[Any], inherit_bindings=False):
    """The registry's "tree" keys (moving, expand, parent) for the library and steps trees."""

    BINDINGS = bindings_for("tree")

    def action_scroll_top(self) -> None:
        self.action_scroll_home()

    def action_scroll_bottom(self) -> None:
        self.action_scroll_end()


def move_to(tree: Tree, node: TreeNode) -> None:  # type: ignore[type-arg]
    """Move the cursor to a node just added (its line number exists only once the tree is built)."""
    _ = tree.last_line
    tree.move_cursor(node)


class StepTree(TreeNav):
    """Enter is left to the screen's registry binding (run/open), not Tree's select."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("steps", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.view: ExecutionView | None = None
        self._step_nodes: dict[str, TreeNode[str]] = {}
        self._label_keys: dict[str, str] = {}
        self._shown_version = -1

    @property
    def selected_path(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and node.data else None

    def show(self, view: ExecutionView | None, now: float, styles: dict[str, str]) -> None:
        """Switch to another execution: rebuild once."""
        self.view = view
        self.clear()
        self._step_nodes.clear()
        self._label_keys.clear()
        self._shown_version = -1
        self.update_view(now, styles)
        if self._step_nodes:
            move_to(self, next(iter(self._step_nodes.values())))

    def update_view(self, now: float, styles: dict[str, str], *, force: bool = False) -> None:
        view = self.view
        if view is None:
            return
        running = view.status == "running"
        if view.version == self._shown_version and not running and not force:
            return
        self._shown_version = view.version
        for path, step in view.steps.items():
            node = self._step_nodes.get(path)
            label = step_label(step, view, now, styles)
            if node is None:
                parent = self._step_nodes.get(step.parent) if step.parent else None
                parent_node = parent if parent is not None else self.root
                node = parent_node.add(label, data=path, expand=True, allow_expand=False)
                if parent is not None:
                    parent.allow_expand = True
                    parent.expand()
                self._step_nodes[path] = node
                self._label_keys[path] = label.plain + str(label.style) + str(label.spans)
                continue
            key = label.plain + str(label.style) + str(label.spans)
            if force or self._label_keys.get(path) != key:
                self._label_keys[path] = key
                node.set_label(label)
