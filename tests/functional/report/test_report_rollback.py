"""Compensation steps in every report format (issue 14 item 4): a run of the shipped
rollback example whose `verify` step fails with on_failure: rollback lists Take lock,
Change setpoint, Verify, then Restore setpoint, Release lock, Tell the operator, in
execution order, each compensation step marked with the step it undoes, as `igtk show`
marks it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.support.cli import Igtk
from tests.support.report import valid_junit, valid_report_json

PLAYBOOK = Path(__file__).resolve().parents[3] / "playbooks" / "examples" / "rollback.yaml"
RAN = ["take_lock", "change_setpoint", "verify", "restore_setpoint", "release_lock", "notify"]
MARKS = {"restore_setpoint": "[rollback of change_setpoint]", "release_lock": "[rollback of take_lock]",
         "notify": "[rollback]"}


def test_every_format_lists_rollback_steps_in_execution_order_and_marks_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = Igtk(tmp_path / "home")("run", str(PLAYBOOK), "-p", "simulate_failure=true",
                                "--report", f"html:{out}/r.html", "--report", f"json:{out}/r.json",
                                "--report", f"md:{out}/r.md", "--report", f"junit:{out}/r.xml")
    assert r.code == 1, r.describe()

    doc = valid_report_json(out / "r.json")
    steps = doc["sections"][0]["steps"]
    assert [s["path"] for s in steps] == RAN
    assert {s["path"]: (s["role"], s["rollback_of"]) for s in steps} == {
        "take_lock": ("step", None), "change_setpoint": ("step", None), "verify": ("step", None),
        "restore_setpoint": ("rollback", "change_setpoint"), "release_lock": ("rollback", "take_lock"),
        "notify": ("rollback", None)}

    valid_junit(out / "r.xml")
    names = [case.get("name") or "" for case in ET.parse(out / "r.xml").iter("testcase")]
    assert [n.split(":", 1)[0] for n in names] == RAN
    for step_id, name in zip(RAN, names, strict=True):
        assert name.endswith(MARKS[step_id]) if step_id in MARKS else "[rollback" not in name, name

    md_rows = [line for line in (out / "r.md").read_text(encoding="utf-8").splitlines()
               if re.match(r"\| \d+ \|", line)]
    assert [re.search(r"`(\w+)`", row).group(1) for row in md_rows] == RAN  # type: ignore[union-attr]
    for step_id, row in zip(RAN, md_rows, strict=True):
        assert (MARKS[step_id] in row) if step_id in MARKS else "[rollback" not in row, row

    html = (out / "r.html").read_text(encoding="utf-8")
    table = html[html.index('<table class="steps">'):]
    rows = re.findall(r"<tr><td class=\"num\">\d+</td>(.*?)</tr>", table[:table.index("</table>")], re.DOTALL)
    assert [re.search(r'<span class="muted">(\w+)</span>', row).group(1) for row in rows] == RAN  # type: ignore[union-attr]
    for step_id, row in zip(RAN, rows, strict=True):
        assert (f'<em class="rollback">{MARKS[step_id]}</em>' in row) if step_id in MARKS else "[rollback" not in row
    assert html.count("[rollback") == len(MARKS)
