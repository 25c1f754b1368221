"""The JUnit XML report (also `igtk run --junit FILE`): the one JUnit writer.

One testcase per step. The root playbook is the first testsuite; each nested playbook
(a `playbook.run` step's children) is its own testsuite named after the calling step,
as siblings under <testsuites>: CI dashboards (Jenkins, GitLab) read that shape, where
testsuites inside testsuites are ignored by some. Validates against Jenkins'
junit-10.xsd (tests/data/junit/junit-10.xsd).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from igtk_tui.report.model import Report, Section
from igtk_tui.timefmt import iso_utc

_FAILED = ("failed", "cancelled", "interrupted")


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name=report.playbook, time=f"{report.duration or 0:.3f}")
    totals = {"tests": 0, "failures": 0}
    for n, section in enumerate(report.sections):
        suite = _suite(report, section, n)
        totals["tests"] += int(suite.get("tests", "0"))
        totals["failures"] += int(suite.get("failures", "0"))
        root.append(suite)
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(report: Report, section: Section, n: int) -> ET.Element:
    name = report.playbook if section.path is None else f"{report.playbook} / {section.title}"
    classname = report.playbook if section.path is None else f"{report.playbook}.{section.path}"
    failures = skipped = 0
    cases = []
    duration = 0.0
    for s in section.steps:
        duration += s.duration or 0
        label = s.path if section.path is None else s.own_id
        case_name = f"{label}: {s.name}" + (f" {s.mark}" if s.mark else "")
        case = ET.Element("testcase", name=case_name, classname=classname, time=f"{s.duration or 0:.3f}")
        if s.status in _FAILED:
            failures += 1
            node = ET.SubElement(case, "failure", message=s.error or s.status, type=s.status)
            node.text = f"attempts: {s.attempts}"
        elif s.status in ("skipped", "pending"):
            skipped += 1
            ET.SubElement(case, "skipped", message=s.reason or s.status)
        cases.append(case)
    suite = ET.Element("testsuite", name=name, tests=str(len(cases)), failures=str(failures), errors="0",
                       skipped=str(skipped),
                       time=f"{(report.duration if section.path is None else duration) or 0:.3f}",
                       id=report.execution_id if section.path is None else f"{report.execution_id}/{section.path}",
                       timestamp=iso_utc(report.started_at) or "", hostname=report.host or "")
    props = ET.SubElement(suite, "properties")
    values = {"status": report.status, "result": report.result, "gateway_url": report.gateway_url,
              "gateway_version": report.gateway_version, "error": report.error} if section.path is None else {
              "step": section.path}
    for key, value in values.items():
        if value:
            ET.SubElement(props, "property", name=key, value=str(value))
    suite.extend(cases)
    return suite
