"""`igtk report` and `igtk run --report/--junit` on a real run recorded in a real SQLite
history: every format written, JUnit valid against Jenkins' XSD, JSON valid against the
shipped schema, nested playbooks as their own sections/suites, a canary secret in none
of them, exit 2 for an unknown id or format, and atomic writes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.cli import Igtk
from tests.support.report import valid_junit, valid_report_json

CANARY = "cAnArY-7f3a91-tok"
MASK = "••••"

PARENT = """\
name: Report subject
version: "2.1"
verified: true
parameters:
  - {name: api_token, type: string, secret: true}
  - {name: who, type: string, default: plant}
steps:
  - {id: hello, name: Say hello, type: utility.log,
     parameters: {message: "hello {{ parameter.who }} with {{ parameter.api_token }}"}}
  - {id: child, name: Run the child, type: playbook.run,
     parameters: {playbook: child.yaml, token: "{{ parameter.api_token }}"}}
  - {id: flaky, name: Fails twice, type: utility.python, retry_count: 1, retry_delay: 0, on_failure: continue,
     parameters: {params: {t: "{{ parameter.api_token }}"}, script: "raise SystemExit('refused ' + params['t'])"}}
  - {id: never, name: Not today, type: utility.log, when: "false", parameters: {message: x}}
"""
CHILD = """\
name: Report child
version: "1.0"
verified: true
parameters:
  - {name: token, type: string}
steps:
  - {id: use, name: Use the token, type: utility.log, parameters: {message: "child has {{ parameter.token }}"}}
  - {id: done, name: Done, type: utility.log, parameters: {message: done}}
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Igtk, str, Path]:
    """One run (exit 0: the failing step continues) with four --report files written after it."""
    root = tmp_path_factory.mktemp("report-cli")
    (root / "parent.yaml").write_text(PARENT, encoding="utf-8")
    (root / "child.yaml").write_text(CHILD, encoding="utf-8")
    igtk = Igtk(root / "home")
    out = root / "out"
    r = igtk("run", str(root / "parent.yaml"), "--json", "-p", f"api_token={CANARY}",
             "--report", f"html:{out}/r.html", "--report", f"json:{out}/r.json", "--report", f"md:{out}/r.md",
             "--junit", f"{out}/junit.xml")
    assert r.code == 0, r.describe()
    return igtk, r.execution["execution_id"], out


def test_run_writes_every_report_it_was_asked_for(recorded: tuple[Igtk, str, Path]) -> None:
    _, execution_id, out = recorded
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "r.html", "r.json", "r.md"]
    doc = valid_report_json(out / "r.json")
    assert doc["execution"]["id"] == execution_id and doc["execution"]["playbook_version"] == "2.1"
    assert doc["execution"]["status"] == "completed" and doc["execution"]["result"] == "failed"
    root, child = doc["sections"]
    assert [s["path"] for s in root["steps"]] == ["hello", "child", "flaky", "never"]
    assert [s["status"] for s in root["steps"]] == ["completed", "completed", "failed", "skipped"]
    flaky = root["steps"][2]
    assert flaky["attempts"] == 2 and flaky["error"] == f"script failed (exit 1): refused {MASK}"
    assert child["path"] == "child" and child["title"] == "Run the child — Report child"
    assert [s["path"] for s in child["steps"]] == ["child/use", "child/done"]
    assert doc["parameters"] == {"api_token": MASK, "who": "plant"}


def test_junit_is_valid_with_a_suite_per_playbook_level(recorded: tuple[Igtk, str, Path]) -> None:
    _, execution_id, out = recorded
    valid_junit(out / "junit.xml")
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["Report subject", "Report subject / Run the child — Report child"]
    top, child = suites
    assert (top.get("tests"), top.get("failures"), top.get("skipped"), top.get("id")) == ("4", "1", "1", execution_id)
    assert [c.get("name") for c in child.findall("testcase")] == ["use: Use the token", "done: Done"]
    failure = top.findall("testcase")[2].find("failure")
    assert failure is not None and failure.get("message") == f"script failed (exit 1): refused {MASK}"
    assert failure.text == "attempts: 2"


def test_markdown_and_html_carry_the_steps(recorded: tuple[Igtk, str, Path]) -> None:
    _, _, out = recorded
    md = (out / "r.md").read_text(encoding="utf-8")
    assert "**Result: ✗ FAILED** (execution completed)" in md
    assert "| 3 | Fails twice `flaky` | ✗ failed |" in md and "## Nested playbook: Run the child" in md
    html = (out / "r.html").read_text(encoding="utf-8")
    assert "✗ failed" in html and "Nested playbook: Run the child" in html and "<svg" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from a network


@pytest.mark.parametrize("fmt", ["html", "json", "junit", "md"])
def test_report_command_writes_each_format(recorded: tuple[Igtk, str, Path], fmt: str, tmp_path: Path) -> None:
    igtk, execution_id, _ = recorded
    target = tmp_path / f"doc.{fmt}"
    r = igtk.inproc("report", execution_id[:8], "--format", fmt, "-o", str(target))
    assert r.code == 0, r.describe()
    assert str(target) in r.stdout and "(failed)" in r.stdout
    if fmt == "junit":
        valid_junit(target)
    elif fmt == "json":
        assert valid_report_json(target)["execution"]["id"] == execution_id
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left behind


def test_report_defaults_to_html_in_the_artifacts_folder_and_dash_is_stdout(recorded: tuple[Igtk, str, Path]) -> None:
    igtk, execution_id, _ = recorded
    r = igtk.inproc("report", execution_id)
    assert r.code == 0, r.describe()
    target = igtk.home / "data" / "artifacts" / execution_id / "report.html"
    assert r.stdout.strip().endswith(str(target)) and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    printed = igtk.inproc("report", execution_id, "-f", "json", "-o", "-")
    assert json.loads(printed.stdout)["schema_version"] == 1


def test_unknown_id_or_format_is_exit_2_and_writes_nothing(recorded: tuple[Igtk, str, Path], tmp_path: Path) -> None:
    igtk, execution_id, _ = recorded
    target = tmp_path / "x"
    bad_id = igtk.inproc("report", "ffffffffff", "-o", str(target))
    assert bad_id.code == 2 and "no execution 'ffffffffff' in the history" in bad_id.stderr
    bad_fmt = igtk.inproc("report", execution_id, "--format", "pdf", "-o", str(target))
    assert bad_fmt.code == 2 and "--format: unknown report format 'pdf' (use one of html, json, junit, md)" in (
        bad_fmt.stderr)
    assert not target.exists()


def test_a_bad_report_option_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    (tmp_path / "pb.yaml").write_text("name: x\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, "
                                      "parameters: {message: hi}}\n", encoding="utf-8")
    igtk = Igtk(tmp_path / "home")
    for option, message in ((("--report", "pdf:x.pdf"), "--report: unknown report format 'pdf'"),
                            (("--report", "x.html"), "--report: expected FORMAT:FILE")):
        r = igtk("run", str(tmp_path / "pb.yaml"), *option)
        assert r.code == 2 and message in r.stderr, r.describe()
    assert igtk.json("history", "--json") == []


def test_a_failed_run_keeps_its_exit_code_and_still_gets_its_report(tmp_path: Path) -> None:
    (tmp_path / "pb.yaml").write_text("name: Broken\nversion: 1\nsteps:\n  - {id: boom, name: boom, "
                                      "type: utility.python, parameters: {script: \"raise SystemExit('no')\"}}\n"
                                      "  - {id: after, name: after, type: utility.log, parameters: {message: x}}\n",
                                      encoding="utf-8")
    igtk = Igtk(tmp_path / "home")
    r = igtk("run", str(tmp_path / "pb.yaml"), "--report", f"md:{tmp_path}/broken.md")
    assert r.code == 1, r.describe()
    md = (tmp_path / "broken.md").read_text(encoding="utf-8")
    assert "**Result: ✗ FAILED**" in md and "| 2 | after `after` | · pending |" in md


def test_the_canary_secret_is_in_no_report(recorded: tuple[Igtk, str, Path], tmp_path: Path) -> None:
    igtk, execution_id, out = recorded
    for fmt in ("html", "json", "junit", "md"):
        assert igtk.inproc("report", execution_id, "-f", fmt, "-o", str(tmp_path / fmt)).code == 0
    files = [*out.iterdir(), *tmp_path.iterdir()]
    assert len(files) == 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert CANARY not in text and CANARY[3:-3] not in text, path
        assert MASK in text, path  # the secret was there, masked (the file is not just empty)
