"""Resolving `playbook.run` children: where they live, whether they may run,
and cycles/depth checked before the parent starts (running one: `children`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.model import Playbook
from igtk_tui.playbook.refs import has_refs
from igtk_tui.steptypes import Registry

MAX_DEPTH = 3


class NestingError(InvalidInput):
    """A child playbook that cannot run: not found, disabled, unverified, a cycle, too deep (exit 2)."""


class PlaybookResolver:
    """Finds child playbooks: relative to the parent's folder, then to each folder above it
    (nearest first), then to the library roots. The earlier toolkit's paths were relative to its
    playbooks root (`gateway/gateway_login.yaml` from inside `playbooks/gateway/`): searching
    upwards finds them, and a playbook's own tree always wins over a built-in of the same path.

    `is_verified(playbook)` and `is_enabled(playbook)` come from the library's
    metadata; by default the YAML's own `verified:` decides and all are enabled.
    """

    def __init__(
        self,
        roots: Iterable[Path] = (),
        *,
        is_verified: Callable[[Playbook], bool] | None = None,
        is_enabled: Callable[[Playbook], bool] | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.roots = [Path(r) for r in roots]
        self.registry = registry  # the step types children are checked against (default: the global ones)
        self.is_verified = is_verified or (lambda pb: pb.verified)
        self.is_enabled = is_enabled or (lambda pb: True)

    def find(self, parent: Playbook, ref: str) -> Path:
        candidates: list[Path] = []
        rel = Path(ref).expanduser()
        if rel.is_absolute():
            candidates.append(rel)
        else:
            if parent.folder:
                folder = parent.folder.resolve()
                candidates.extend(above / rel for above in (folder, *folder.parents))
            candidates.extend(root / rel for root in self.roots)
        for c in candidates:
            for variant in (c, c.with_suffix(".yaml"), c.with_suffix(".yml")):
                if variant.is_file():
                    return variant.resolve()
        searched = ", ".join(str(c.parent) for c in candidates) or "nowhere"
        raise NestingError(f"playbook.run: {ref!r} not found (looked in {searched})")

    def load_child(self, parent: Playbook, ref: str, stack: tuple[str, ...]) -> Playbook:
        from igtk_tui.playbook.loader import load_file

        path = self.find(parent, ref)
        if str(path) in stack:
            chain = " -> ".join(Path(p).name for p in (*stack, str(path)))
            raise NestingError(f"playbook.run: cycle {chain}")
        child = load_file(path, registry=self.registry)
        if not self.is_enabled(child):
            raise NestingError(f"playbook.run: {ref!r} is disabled in the library")
        if not self.is_verified(child):
            raise NestingError(
                f"playbook.run: {ref!r} is not verified; only verified playbooks may be nested "
                "(set `verified: true` after reviewing it, or mark it verified in the library)"
            )
        return child

    def check_tree(self, root: Playbook) -> list[Playbook]:
        """Reject cycles (A->A included), depth over 3 and unknown/unverified children before running.

        Returns the root and every child named by a literal path, each loaded once, so the
        pre-run checks that look through the tree (e.g. the browser pre-flight) need not load it again.
        """
        root_key = str(root.path) if root.path else "<root>"
        tree = [root]
        self._walk(root, (root_key,), 0, tree)
        return tree

    def _walk(self, playbook: Playbook, stack: tuple[str, ...], depth: int, tree: list[Playbook]) -> None:
        for step in (*playbook.steps, *playbook.on_rollback):
            if step.type != "playbook.run":
                continue
            ref = step.parameters.get("playbook")
            if not isinstance(ref, str) or has_refs(ref):
                continue  # decided at run time
            where = f"{step.location}: " if step.location else ""
            if depth + 1 > MAX_DEPTH:
                raise NestingError(f"{where}playbook.run nests deeper than {MAX_DEPTH} levels")
            try:
                child = self.load_child(playbook, ref, stack)
            except InvalidInput as exc:
                raise NestingError(f"{where}{exc}") from None
            tree.append(child)
            self._walk(child, (*stack, str(child.path)), depth + 1, tree)
