"""Only `paths.execution_artifacts(id)` is ever removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.paths import Paths
from igtk_tui.store.artifacts import UnsafeArtifactPath, execution_folder, remove_execution_folder


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(config_dir=tmp_path / "c", data_dir=tmp_path / "d", state_dir=tmp_path / "s")
    p.artifacts_dir.mkdir(parents=True)
    return p


@pytest.mark.parametrize("bad", ["", ".", "..", "../x", "a/b", "a\\b", "x\x00y"])
def test_ids_that_would_leave_the_folder_are_refused(paths: Paths, bad: str) -> None:
    with pytest.raises(UnsafeArtifactPath):
        execution_folder(paths, bad)


def test_removes_the_folder_and_nothing_beside_it(paths: Paths, tmp_path: Path) -> None:
    mine = paths.execution_artifacts("e1")
    (mine / "deep").mkdir(parents=True)
    (mine / "deep" / "f").write_text("x")
    other = paths.execution_artifacts("e2")
    other.mkdir()
    assert remove_execution_folder(paths, "e1")
    assert not mine.exists() and other.exists()
    assert not remove_execution_folder(paths, "e1")


def test_a_symlinked_folder_is_unlinked_not_followed(paths: Paths, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    paths.execution_artifacts("e3").symlink_to(target)
    assert remove_execution_folder(paths, "e3")
    assert (target / "keep.txt").read_text() == "keep"


def test_an_artifacts_root_reached_through_a_symlink_still_works(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "d" / "artifacts" / "e4").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    paths = Paths(config_dir=tmp_path / "link" / "c", data_dir=tmp_path / "link" / "d", state_dir=tmp_path / "s")
    assert remove_execution_folder(paths, "e4")
    assert not (real / "d" / "artifacts" / "e4").exists()
