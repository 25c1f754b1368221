"""Live steps of the selected execution: a Tree (nested playbooks are children).

Updated by diff at the UI tick: new steps are added, labels are replaced only
when their text changed, nothing is cleared and rebuilt (the cursor and the
scroll position survive, and an idle run writes nothing to the terminal).

Each line is fitted to the pane when drawn (narrow terminals, resizes): the step's
name gives way, its status never does. The running step stays in view: the cursor
follows it while the operator leaves the cursor on it, and a resize scrolls it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from igtk_tui.tui.fit import Part, fit
from igtk_tui.tui.keymap import bindings_for
from igtk_tui.tui.render import step_parts
from igtk_tui.tui.viewmodel import ExecutionView


class TreeNav(Tree[Any], inherit_bindings=False):
    """The registry's "tree" keys (moving, expand, parent) for the library and steps trees,
    and lines fitted to the pane (`set_parts`): names give way, status does not."""

    BINDINGS = bindings_for("tree")

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(label, id=id)
        self.node_parts: dict[int, Sequence[Part]] = {}

    def action_scroll_top(self) -> None:
        self.action_scroll_home()

    def action_scroll_bottom(self) -> None:
        self.action_scroll_end()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.keep_in_view)

    def keep_in_view(self) -> None:
        """After a resize: the cursor back in view (Textual keeps the scroll offset, not the cursor)."""
        _ = self.last_line
        if self.cursor_node is not None:
            self.scroll_to_node(self.cursor_node, animate=False)

    def set_parts(self, node: TreeNode[Any], parts: Sequence[Part]) -> None:
        """What `node` shows, fitted when drawn; the node's label is their full text (for searches)."""
        self.node_parts[node.id] = parts
        full = Text()
        for part in parts:
            full.append(part.text, style=part.style)
        node.set_label(full)

    def forget_parts(self) -> None:
        self.node_parts.clear()

    def label_width(self, node: TreeNode[Any]) -> int:
        """Cells left for `node`'s label: the pane less its guides, its expand icon and the scrollbar."""
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        icon = (self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE) if node.allow_expand else ""
        return self.size.width - self.styles.scrollbar_size_vertical - depth * self.guide_depth - cell_len(icon)

    def render_label(self, node: TreeNode[Any], base_style: Style, style: Style) -> Text:
        parts = self.node_parts.get(node.id)
        if parts is None or self.size.width <= 0:
            return super().render_label(node, base_style, style)
        label = fit(parts, self.label_width(node))
        label.stylize(style)
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            return Text.assemble((icon, base_style + Style(bold=True)), label)
        return label


def move_to(tree: Tree, node: TreeNode) -> None:  # type: ignore[type-arg]
    """Move the cursor to a node just added (its line number exists only once the tree is built)."""
    _ = tree.last_line
    tree.move_cursor(node)


def running_path(view: ExecutionView | None) -> str | None:
    """The innermost running step (a nested playbook's step, not the playbook.run around it)."""
    if view is None:
        return None
    running = [p for p, s in view.steps.items() if s.status == "running"]
    return max(running, key=lambda p: p.count("/")) if running else None


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
        self.running_step: str | None = None

    @property
    def selected_path(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and node.data else None

    def show(self, view: ExecutionView | None, now: float, styles: dict[str, str]) -> None:
        """Switch to another execution: rebuild once."""
        self.view = view
        self.clear()
        self.forget_parts()
        self._step_nodes.clear()
        self._label_keys.clear()
        self._shown_version = -1
        self.running_step = None
        self.update_view(now, styles)
        if self._step_nodes and self.running_step is None:
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
            parts = step_parts(step, view, now, styles)
            key = "".join(f"{p.text}\0{p.style}\0" for p in parts)
            if node is None:
                parent = self._step_nodes.get(step.parent) if step.parent else None
                parent_node = parent if parent is not None else self.root
                node = parent_node.add("", data=path, expand=True, allow_expand=False)
                if parent is not None:
                    parent.allow_expand = True
                    parent.expand()
                self._step_nodes[path] = node
            elif not force and self._label_keys.get(path) == key:
                continue
            self._label_keys[path] = key
            self.set_parts(node, parts)
        self._follow_running()

    def _follow_running(self) -> None:
        """A new running step: the cursor moves with it when it was on the last one (or nowhere);
        otherwise the operator's cursor stays and the running step is only scrolled into view."""
        path = running_path(self.view)
        if path is None or path == self.running_step:
            return
        cursor = self.cursor_node
        follow = self.running_step is None or cursor is None or cursor.data == self.running_step
        self.running_step = path
        node = self._step_nodes[path]
        if follow:
            move_to(self, node)
        else:
            _ = self.last_line
            self.scroll_to_node(node, animate=False)

    def keep_in_view(self) -> None:
        """After a resize: the running step (or, with none, the cursor) back in view."""
        _ = self.last_line
        target = self._step_nodes.get(self.running_step or "") or self.cursor_node
        if target is not None:
            self.scroll_to_node(target, animate=False)
