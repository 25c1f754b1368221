"""`--junit FILE`: one testsuite per execution, one testcase per step."""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from igtk_tui import redact
from igtk_tui.engine.events import Event, ExecutionFinished, ExecutionStarted, StepFinished, StepsAdded


class JUnitWriter:
    def __init__(self, path: Path) -> None:
        self.path = check_target(path)
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
        # A unique temporary file next to the target, renamed over it: a reader never sees half a report.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n")
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise


def check_target(path: Path) -> Path:
    """The report's path, refused (exit 2, before the run) when a report could not be written there:
    a scratch file is created and removed next to it, the one test every file system answers truly."""
    from igtk_tui.errors import InvalidInput

    path = path.expanduser().absolute()
    if path.is_dir():
        raise InvalidInput(f"--junit {path}: is a folder; give a file name, e.g. {path / 'report.xml'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(scratch)
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(13, "permission denied")
    except FileExistsError:
        raise InvalidInput(f"--junit {path}: a file stands where its folder should be") from None
    except OSError as exc:
        raise InvalidInput(f"--junit {path}: a report cannot be written there ({exc.strerror or exc})") from None
    return path
