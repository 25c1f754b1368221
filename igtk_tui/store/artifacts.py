"""Removing one execution's artifact folder, and nothing else.

Why so careful: `delete` and retention run unattended with the operator's
rights. The folder is only ever `paths.execution_artifacts(id)`; an id that is
not a single plain name, a folder that resolves outside the artifacts root, or
the root itself are refused, and a symlink is unlinked, never followed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from igtk_tui.errors import InvalidInput
from igtk_tui.paths import Paths


class UnsafeArtifactPath(InvalidInput):
    """An execution id or folder that would reach outside the artifacts root: nothing is removed."""


def execution_folder(paths: Paths, execution_id: str) -> Path:
    """The execution's folder; raises UnsafeArtifactPath if it would leave the artifacts root."""
    if (not execution_id or execution_id in (".", "..") or "/" in execution_id or "\\" in execution_id
            or "\x00" in execution_id):
        raise UnsafeArtifactPath(f"refusing artifact folder for execution id {execution_id!r}")
    folder = paths.execution_artifacts(execution_id)
    root = paths.artifacts_dir.resolve()
    parent = folder.parent.resolve()
    if parent != root:
        raise UnsafeArtifactPath(f"refusing {folder}: not directly inside {root}")
    return parent / folder.name


def remove_execution_folder(paths: Paths, execution_id: str) -> bool:
    """Delete the folder (True if something was removed)."""
    folder = execution_folder(paths, execution_id)
    if folder.is_symlink():
        folder.unlink()
        return True
    if not folder.exists():
        return False
    if not folder.is_dir():
        folder.unlink()
        return True
    shutil.rmtree(folder)
    return True
