"""Everything under the state root is its owner's alone (issue 15, item 7): a real `igtk run`
(database, WAL, log file, logs folder, artifacts) started with the usual umask 022."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from tests.support.cli import Igtk, Result

PLAYBOOK = """\
name: Permissions
version: 1
steps:
  - {id: a, name: a, type: utility.log, parameters: {message: hello}}
  - id: b
    name: b
    type: utility.python
    parameters: {script: "print('an output')"}
"""


def run_igtk(home: Path, *args: str) -> Result:
    """`igtk ARGS` started with the usual umask 022."""
    return Igtk(home)(*args, preexec_fn=lambda: os.umask(0o022))


def modes(root: Path) -> dict[str, str]:
    found = {str(p.relative_to(root.parent)): stat.filemode(p.stat().st_mode) for p in [root, *root.rglob("*")]}
    assert len(found) > 3, found  # the state root, its logs folder and log (and the SQLite file)
    return found


def test_a_run_leaves_only_owner_only_files_and_folders(tmp_path: Path, backend: Any) -> None:
    playbook = tmp_path / "pb.yaml"
    playbook.write_text(PLAYBOOK)
    home = tmp_path / "home"
    done = run_igtk(home, "run", str(playbook))
    assert done.code == 0, done.stderr
    found = modes(home)
    assert any(name.endswith("igtk.log") for name in found)
    # The history is the state root's SQLite file, or only on the PostgreSQL server when store_url is set.
    assert any(name.endswith("igtk.db") for name in found) != backend.is_postgres
    loose = {name: mode for name, mode in found.items()
             if mode not in ("drwx------", "-rw-------")}
    assert not loose, loose


def test_state_folders_made_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for name in ("config", "data", "state"):
        (home / name).mkdir(parents=True)
        (home / name).chmod(0o755)
    done = run_igtk(home, "history")
    assert done.code == 0, done.stderr
    assert {stat.filemode((home / n).stat().st_mode) for n in ("config", "data", "state")} == {"drwx------"}
