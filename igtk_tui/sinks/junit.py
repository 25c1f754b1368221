"""`--junit FILE`: one testsuite per execution, one testcase per step."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from igtk_tui import redact
from igtk_tui.engine.events import Event, ExecutionFinished, ExecutionStarted, StepFinished, StepsAdded


class JUnitWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.playbook = "playbook"
        self.order: list[str] = []
        self.names: dict[str, str] = {}
        self.results: dict[str, StepFinished] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, (ExecutionStarted, StepsAdded)):
            if isinstance(event, ExecutionStarted):
                self.playbook = event.playbook
            for s in event.steps:
                if s.path not in self.names:
                    self.order.append(s.path)
                    self.names[s.path] = s.name
        elif isinstance(event, StepFinished):
            self.results[event.step_id] = event
        elif isinstance(event, ExecutionFinished):
            self.write(event)

    def write(self, finished: ExecutionFinished) -> None:
        cases = []
        failures = skipped = 0
        for path in self.order:
            result = self.results.get(path)
            case = ET.Element("testcase", classname=self.playbook, name=f"{path}: {self.names[path]}",
                              time=f"{result.duration:.3f}" if result else "0")
            status = result.status.value if result else "pending"
            if status in ("failed", "cancelled"):
                failures += 1
                node = ET.SubElement(case, "failure", message=(result.error if result else status) or status)
                node.text = f"attempts: {result.attempts if result else 0}"
            elif status in ("skipped", "pending"):
                skipped += 1
                ET.SubElement(case, "skipped", message=(result.reason if result else None) or status)
            cases.append(case)
        suite = ET.Element("testsuite", name=self.playbook, tests=str(len(cases)), failures=str(failures),
                           errors="0", skipped=str(skipped), time=f"{finished.duration:.3f}",
                           id=finished.execution_id)
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="status", value=finished.status.value)
        if finished.error:
            ET.SubElement(props, "property", name="error", value=finished.error)
        suite.extend(cases)
        root = ET.Element("testsuites")
        root.append(suite)
        text = redact.scrub(ET.tostring(root, encoding="unicode"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
