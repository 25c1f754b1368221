"""The safe YAML layer: every hostile or broken construct is a located problem (exit 2), never a
traceback, a hang, a segfault or an explosion of memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from igtk_tui.playbook import safe_yaml
from igtk_tui.playbook.errors import PlaybookError
from igtk_tui.playbook.loader import load_file, load_text
from tests.support.cli import Igtk

HEAD = "name: a\nversion: 1\n"
LAUGHS = HEAD + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else 'lol'] * 9)}]\n"
    for prev, name in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh")
)

CASES = {
    "recursive alias": (HEAD + "steps: &s\n  - *s\n", (4, 5), "refers to its own anchor"),
    "undefined alias": (HEAD + "steps: *nope\n", (3, 8), "names no anchor"),
    "deep flow nesting": (HEAD + "steps: " + "[" * 100 + "\n", (3, 71), "nested deeper than 64 levels"),
    "deep block nesting": ("".join("  " * i + f"k{i}:\n" for i in range(100)), (65, 129), "nested deeper than 64"),
    "bad int": (HEAD + "x: !!int abc\n", (3, 4), "'abc' is not a valid int"),
    "bad bool": (HEAD + "x: !!bool maybe\n", (3, 4), "'maybe' is not a valid bool"),
    "custom tag": (HEAD + "x: !custom x\n", (3, 4), "tag '!custom' is not allowed"),
    "python tag": (HEAD + "x: !!python/object/apply:os.system [echo]\n", (3, 4), "is not allowed"),
    "binary tag": (HEAD + "x: !!binary aGk=\n", (3, 4), "is not allowed"),
    "set tag": (HEAD + "x: !!set {a: null}\n", (3, 4), "is not allowed"),
    "bad timestamp": (HEAD + "x: !!timestamp 2020-99-99\n", (3, 4), "'2020-99-99' is not a valid timestamp"),
    "merge key": ("b: &b {x: 1}\n" + HEAD + "c:\n  <<: *b\n", (5, 3), "merge keys ('<<') are not supported"),
    "400-digit integer": (HEAD + "steps:\n  - {id: a, type: utility.sleep, timeout: " + "9" * 400 + "}\n",
                          (4, 43), "integer out of range"),
    "billion laughs": (LAUGHS, (7, 8), "aliases expand to more than 10,000 values"),
    "two documents": ("a: 1\n---\nb: 2\n", (2, 1), "one YAML document"),
    "syntax error": (HEAD + "steps: [a\n", (4, 1), "YAML syntax error"),
    "collection as key": (HEAD + "? [a]\n: 1\n", (3, 3), "mapping keys must be plain text"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_yaml_is_a_located_problem(name: str) -> None:
    text, (line, col), needle = CASES[name]
    with pytest.raises(PlaybookError) as info:
        load_text(text, path="pb.yaml")
    hits = [p for p in info.value.problems if needle in p.message]
    assert hits, [str(p) for p in info.value.problems]
    assert (hits[0].location.file, hits[0].location.line, hits[0].location.col) == ("pb.yaml", line, col)


def test_aliases_within_the_budget_still_load_and_keep_their_locations() -> None:
    text = HEAD + "metadata: {d: &d {message: hi}}\nsteps:\n  - id: a\n    type: utility.log\n    parameters: *d\n"
    playbook = load_text(text, path="pb.yaml")
    assert playbook.steps[0].parameters == {"message": "hi"}
    assert playbook.steps[0].location is not None and playbook.steps[0].location.line == 5


def test_depth_and_size_limits_are_settings() -> None:
    nested = HEAD + "metadata: " + "{a: " * 10 + "1" + "}" * 10 + "\nsteps: [{id: a, type: utility.log, parameters: {message: m}}]\n"
    load_text(nested, path="pb.yaml")  # 11 levels: fine by default
    with pytest.raises(PlaybookError, match="nested deeper than 8 levels"):
        safe_yaml.parse(nested, "pb.yaml", safe_yaml.YamlLimits(max_depth=8))
    with pytest.raises(PlaybookError, match="larger than the 100-byte limit"):
        safe_yaml.parse(nested, "pb.yaml", safe_yaml.YamlLimits(max_bytes=100))


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(11 * 1024 * 1024)  # sparse: its size is known without reading it
    with pytest.raises(PlaybookError, match="larger than the 10,485,760-byte limit"):
        load_file(big)


def test_unreadable_file_is_a_located_problem(tmp_path: Path) -> None:
    """Run in a child that cannot bypass file modes: as root (CI, containers) the child's
    bounding set drops CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so mode 0 really refuses it."""
    target = tmp_path / "pb.yaml"
    target.write_text(HEAD)
    target.chmod(0)
    probe = ("from igtk_tui.playbook.loader import load_file\n"
             "from igtk_tui.playbook.errors import PlaybookError\n"
             f"try:\n    load_file({str(target)!r})\nexcept PlaybookError as exc:\n    print(exc)\n")
    command = [sys.executable, "-c", probe]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert f"{target}:1:1: cannot read the file: permission denied" in done.stdout


@pytest.mark.parametrize("kind", ["100,000-deep [", "fifo", "/dev/zero"])
def test_validate_refuses_hostile_files_with_exit_2(kind: str, tmp_path: Path) -> None:
    target = tmp_path / "pb.yaml"
    if kind == "100,000-deep [":
        target.write_text(HEAD + "steps: " + "[" * 100_000 + "\n")
        expected = "nested deeper than 64 levels"
    elif kind == "fifo":
        os.mkfifo(target)  # nobody ever writes: opening or reading it must not block
        expected = "is not a regular file"
    else:
        target = Path("/dev/zero")  # endless: reading it must not eat memory
        expected = "is not a regular file"
    done = Igtk(tmp_path / "home")("validate", str(target))
    assert done.code == 2, done
    assert f"{target}:1:1: " in done.stdout or f"{target}:3:" in done.stdout, done
    assert expected in done.stdout and "Traceback" not in done.stdout + done.stderr, done


def test_max_depth_setting_reaches_the_loader_from_the_environment(tmp_path: Path) -> None:
    target = tmp_path / "pb.yaml"
    target.write_text(HEAD + "metadata: {a: " + "[" * 10 + "]" * 10
                      + "}\nsteps: [{id: a, type: utility.log, parameters: {message: m}}]\n")
    assert Igtk(tmp_path / "home")("validate", str(target)).code == 0
    done = Igtk(tmp_path / "home")("validate", str(target), env={"IGTK_PLAYBOOK_MAX_DEPTH": "5"})
    assert done.code == 2 and "nested deeper than 5 levels" in done.stdout, done
