"""fat.generate_report / fat.export_report without a browser: the earlier toolkit's
parameters (test_results as a dict or a list, visual_analysis, metadata, screenshots_dir,
template, format; report_id, format, output_path), each format written as an artifact
of the execution, a template from the config folder or the step, and clear failures."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.support.cli import Igtk
from tests.support.report import valid_junit, valid_report_json

# A 1x1 PNG: what screenshots_dir may hold besides the run's own screenshots.
CANARY = "cAnArY-site-55e1"
MASK = "••••"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg==")

LEGACY = """\
name: Legacy FAT
version: "3"
verified: true
parameters:
  - {name: fmt, type: string, default: html}
  - {name: shots, type: string, default: ""}
  - {name: template, type: string, default: ""}
  - {name: site_password, type: string, default: ""}
steps:
  - id: report
    name: Generate
    type: fat.generate_report
    parameters:
      format: "{{ parameter.fmt }}"
      screenshots_dir: "{{ parameter.shots }}"
      template: "{{ parameter.template }}"
      test_results:
        total: 2
        passed: 1
        failed: 1
        skipped: 0
        results:
          - {name: Start button, status: passed, expected: Running, actual: Running}
          - {name: Alarm banner, status: failed, error: banner missing}
      visual_analysis: {issues_count: 3, report: {compliance: {passed: 5, failed: 3, warnings: 1}}}
      metadata: {project_name: Line 3, test_date: "2026-12-01", tester: A. Tester, client: ACME,
                 site: "gate {{ parameter.site_password }}"}
  - id: export
    name: Export
    type: fat.export_report
    parameters: {report_id: "{{ step.report.report_id }}", output_path: "out/copy.{{ parameter.fmt }}"}
"""


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    path = tmp_path / "legacy.yaml"
    path.write_text(LEGACY, encoding="utf-8")
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "panel.png").write_bytes(PNG)
    return path


@pytest.mark.parametrize("fmt", ["html", "json", "junit", "md"])
def test_generate_and_export_each_format_as_artifacts(tmp_path: Path, playbook: Path, fmt: str) -> None:
    igtk = Igtk(tmp_path / "home")
    r = igtk("run", str(playbook), "--json", "-p", f"fmt={fmt}", "-p", "shots=shots", "-p",
             f"site_password={CANARY}")
    assert r.code == 0, r.describe()
    out = r.output("report")
    path = Path(out["report_path"])
    assert (out["status"], out["format"], out["total_tests"], out["passed_tests"], out["failed_tests"],
            out["visual_issues"]) == ("generated", fmt, 2, 1, 1, 3)
    assert path.parent == igtk.home / "data" / "artifacts" / r.execution["execution_id"]
    copy = playbook.parent / "out" / f"copy.{fmt}"  # relative output_path: the playbook's folder
    assert r.output("export") == {"status": "exported", "format": fmt, "output_path": str(copy),
                                  "report_id": out["report_id"]}
    assert copy.read_bytes() == path.read_bytes()
    kinds = [(Path(e["path"]).name, e["artifact_kind"]) for e in r.events if e["event"] == "artifact"]
    assert kinds == [(path.name, "report"), (copy.name, "report")]
    text = path.read_text(encoding="utf-8")
    assert CANARY not in text and CANARY[3:-3] not in text
    assert fmt == "junit" or MASK in text  # the secret parameter, masked (JUnit shows no parameters)
    if fmt == "json":
        doc = valid_report_json(path)
        assert doc["metadata"] == {"project_name": "Line 3", "test_date": "2026-12-01", "tester": "A. Tester",
                                   "client": "ACME", "site": f"gate {MASK}"}
        assert doc["execution"]["operator"] == "A. Tester" and doc["execution"]["result"] == "failed"
        assert [(c["target"], c["status"]) for c in doc["checks"]["results"]] == [("Start button", "passed"),
                                                                                  ("Alarm banner", "failed")]
        assert doc["visual_analysis"]["issues_count"] == 3
        assert [s["caption"] for s in doc["screenshots"]] == ["panel.png"]
    elif fmt == "junit":
        valid_junit(path)
    elif fmt == "md":
        assert "# Acceptance test report: Line 3" in text and "| 2 | check Alarm banner | ✗ failed |" in text
    else:
        assert "Line 3 for ACME" in text and text.count("data:image/png;base64,") == 1  # the panel.png
        assert "banner missing" in text and "issues_count" in text


def test_a_template_from_the_config_folder_then_the_steps_own(tmp_path: Path, playbook: Path) -> None:
    igtk = Igtk(tmp_path / "home")
    user = igtk.home / "config" / "report"
    user.mkdir(parents=True)
    (user / "report.html.j2").write_text("<p>site {{ report.metadata.project_name }}: {{ report.result }}</p>",
                                         encoding="utf-8")
    r = igtk("run", str(playbook), "--json")
    assert r.code == 0, r.describe()
    assert Path(r.output("report")["report_path"]).read_text(encoding="utf-8") == "<p>site Line 3: failed</p>"
    own = playbook.parent / "mine.html.j2"
    own.write_text("{% for c in report.checks %}[{{ c.glyph }} {{ c.target }}]{% endfor %}", encoding="utf-8")
    r = igtk("run", str(playbook), "--json", "-p", "template=mine.html.j2")
    assert r.code == 0, r.describe()
    assert Path(r.output("report")["report_path"]).read_text(encoding="utf-8") == "[✓ Start button][✗ Alarm banner]"


def test_export_and_generate_fail_clearly(tmp_path: Path) -> None:
    (tmp_path / "pb.yaml").write_text("""\
name: Bad exports
version: 1
steps:
  - {id: gen, name: gen, type: fat.generate_report, parameters: {format: md}}
  - {id: unknown, name: unknown, type: fat.export_report, on_failure: continue,
     parameters: {report_id: fat_report_19990101_000000, output_path: x.md}}
  - {id: pdf, name: pdf, type: fat.export_report, on_failure: continue,
     parameters: {report_id: "{{ step.gen.report_id }}", format: pdf, output_path: x.pdf}}
  - {id: other, name: other, type: fat.export_report, on_failure: continue,
     parameters: {report_id: "{{ step.gen.report_id }}", format: html, output_path: x.html}}
  - {id: tpl, name: tpl, type: fat.generate_report, on_failure: continue, parameters: {template: none.j2}}
""", encoding="utf-8")
    r = Igtk(tmp_path / "home")("run", str(tmp_path / "pb.yaml"), "--json")
    assert r.code == 0, r.describe()
    gen_id = r.output("gen")["report_id"]
    errors = {s: r.finished(s)["error"] for s in ("unknown", "pdf", "other", "tpl")}
    assert errors == {
        "unknown": "report_id: no report 'fat_report_19990101_000000' was generated in this execution",
        "pdf": "format: pdf is not produced; export the html report and print it to PDF from a browser "
               "(the page is laid out for printing)",
        "other": f"format: report {gen_id!r} was generated as md, not html",
        "tpl": f"template: {tmp_path / 'none.j2'} is not a file",
    }
    assert not any((tmp_path / name).exists() for name in ("x.md", "x.pdf", "x.html"))
    assert json.loads(json.dumps(r.output("gen")))["total_tests"] == 0
