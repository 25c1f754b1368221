"""Bad input to `igtk run` / `igtk validate` (issue 15, items 4 and 8): each is a clear error naming
what is wrong, exit 2, no traceback, and nothing runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import Igtk, Result

PLAYBOOK = """\
name: Inputs
version: 1
parameters:
  - {name: f, type: file, required: false}
  - {name: x, type: float, min: 10, max: 20, required: false}
  - {name: gateway_url, type: string, required: false}
steps:
  - {id: a, type: utility.log, parameters: {message: hi}}
"""


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    path = tmp_path / "inputs.yaml"
    path.write_text(PLAYBOOK)
    return path


def refused(done: Result, message: str) -> None:
    assert done.code == 2, (done.code, done.stdout, done.stderr)
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "running 'Inputs'" not in done.stderr, "the run started"


def test_binary_params_file(tmp_path: Path, playbook: Path) -> None:
    (tmp_path / "p.yaml").write_bytes(bytes(range(256)) * 4)
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--params-file", "p.yaml"), "p.yaml:1:1: not UTF-8 text")


def test_params_file_that_is_a_pipe(tmp_path: Path, playbook: Path) -> None:
    os.mkfifo(tmp_path / "p.yaml")
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--params-file", "p.yaml"), "is not a regular file")


def test_params_file_with_a_bad_tag_is_located(tmp_path: Path, playbook: Path) -> None:
    (tmp_path / "p.yaml").write_text("x: 12\nf: !!python/name:os.system\n")
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--params-file", "p.yaml"), "p.yaml:2:4: tag")


def test_igtk_home_pointing_at_a_file(tmp_path: Path, playbook: Path) -> None:
    home = tmp_path / "home-file"
    home.write_text("")
    refused(Igtk(home, cwd=tmp_path)("run", str(playbook)), f"IGTK_HOME={home}: {home} is a file, not a folder")


def test_file_parameter_given_a_folder(tmp_path: Path, playbook: Path) -> None:
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "-p", f"f={tmp_path}"), f"parameter 'f': {tmp_path} is a folder")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_float_parameter(tmp_path: Path, playbook: Path, value: str) -> None:
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "-p", f"x={value}"), "parameter 'x': must be a finite number")


@pytest.mark.parametrize("url", ["not a url", "ftp://host", "http://", "http://host:port"])
def test_gateway_that_is_not_a_url(tmp_path: Path, playbook: Path, url: str) -> None:
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--gateway", url), f"--gateway {url!r}: expected a gateway URL")


def test_gateway_url_with_user_info_points_to_credentials(tmp_path: Path, playbook: Path) -> None:
    done = Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--gateway", "http://admin:Pw+can/ary@host:8088")
    refused(done, "store them in a vault credential and pass -c NAME")
    assert "Pw+can" not in done.stdout + done.stderr


def test_junit_to_a_folder(tmp_path: Path, playbook: Path) -> None:
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--junit", str(tmp_path)), "is a folder; give a file name")
    assert not list(tmp_path.parent.glob("*.tmp"))


@pytest.mark.parametrize("where", ["/proc/report.xml", "blocker/report.xml"])
def test_junit_to_an_unwritable_path(tmp_path: Path, playbook: Path, where: str) -> None:
    (tmp_path / "blocker").write_text("a file where the folder should be")
    refused(Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--junit", where), "--junit ")


def test_junit_report_is_written_atomically_next_to_its_target(tmp_path: Path, playbook: Path) -> None:
    report = tmp_path / "reports" / "run.xml"
    done = Igtk(tmp_path / "home", cwd=tmp_path)("run", str(playbook), "--junit", str(report))
    assert done.code == 0, done.stderr
    assert sorted(p.name for p in report.parent.iterdir()) == ["run.xml"]  # no temporary left behind
    assert report.read_text().startswith('<?xml version="1.0"') and 'testcase' in report.read_text()


def test_validate_a_folder_without_playbooks(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a playbook")
    done = Igtk(tmp_path / "home", cwd=tmp_path)("validate", "empty")
    assert done.code == 2 and "no playbooks (*.yaml, *.yml) found in empty" in done.stderr, done
