"""`igtk run`'s human output, as cron mail carries it: positions, info-level lines, `-q`."""

from __future__ import annotations

import textwrap
from pathlib import Path

from igtk_tui.engine.events import ExecutionStarted, StepInfo, StepsAdded, StepStarted
from igtk_tui.sinks.human import HumanProgress
from tests.support.cli import Igtk


def write_parent_and_child(folder: Path) -> Path:
    (folder / "child.yaml").write_text(textwrap.dedent("""\
        name: Child
        version: 1
        verified: true
        steps:
          - {id: inner, name: inner, type: utility.log, parameters: {message: child says hi}}
        """))
    parent = folder / "parent.yaml"
    parent.write_text(textwrap.dedent("""\
        name: Parent
        version: 1
        steps:
          - {id: check, name: check, type: utility.log, parameters: {message: healthy=yes}}
          - {id: call, name: call child, type: playbook.run, parameters: {playbook: child.yaml}}
          - {id: disk, name: disk, type: utility.log, parameters: {message: disk 91% full, level: warning}}
          - {id: noise, name: noise, type: utility.log, parameters: {message: internal detail, level: debug}}
        """))
    return parent


def test_human_output_carries_info_lines_and_quiet_hides_them(tmp_path: Path) -> None:
    parent = write_parent_and_child(tmp_path)
    loud = Igtk(tmp_path / "home", cwd=tmp_path)("run", str(parent))
    assert loud.code == 0, loud.stderr
    lines = loud.stdout.splitlines()
    assert "    info: healthy=yes" in lines and "    info: child says hi" in lines
    assert "    warning: disk 91% full" in lines
    assert "internal detail" not in loud.stdout  # debug lines stay in the history
    # Positions count top-level steps only; a child's steps are indented, unnumbered.
    assert "  ▶ [1/4] check: check" in lines and "  ✓ [4/4] noise: noise completed 0.00s" in lines
    assert "  ▶   inner: inner" in lines

    quiet = Igtk(tmp_path / "home", cwd=tmp_path)("run", "-q", str(parent))
    assert quiet.code == 0, quiet.stderr
    assert "healthy=yes" not in quiet.stdout and "child says hi" not in quiet.stdout
    assert "    warning: disk 91% full" in quiet.stdout.splitlines()
    assert quiet.stdout.splitlines()[-1].startswith("igtk: ✓ completed in")
    long_form = Igtk(tmp_path / "home", cwd=tmp_path)("run", "--quiet", str(parent))
    assert "healthy=yes" not in long_form.stdout and long_form.code == 0


def test_positions_are_numbered_as_steps_are_listed_and_added() -> None:
    import io

    out = io.StringIO()
    sink = HumanProgress(out)
    steps = tuple(StepInfo(path=f"s{i}", id=f"s{i}", name=f"n{i}", type="utility.log") for i in range(3))
    sink(ExecutionStarted("e1", playbook="p", playbook_path=None, playbook_hash="h", parameters={}, steps=steps))
    sink(StepsAdded("e1", parent="s1", steps=(StepInfo(path="s1/c", id="c", name="child", type="utility.log",
                                                       parent="s1"),)))
    sink(StepsAdded("e1", parent=None, steps=(StepInfo(path="late", id="late", name="late", type="utility.log"),
                                              steps[0])))  # an already-listed step is not counted twice
    for path in ("s0", "s1/c", "late"):
        sink(StepStarted("e1", step_id=path, attempt=1, max_attempts=1))
    assert out.getvalue().splitlines()[1:] == ["  ▶ [1/4] s0: n0", "  ▶   c: child", "  ▶ [4/4] late: late"]
