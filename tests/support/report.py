"""Validators the report tests share: the JUnit XSD shipped in tests/data and the report's JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import xmlschema

from igtk_tui.report.json_doc import schema
from tests.support.cli import REPO

JUNIT_XSD = REPO / "tests" / "data" / "junit" / "junit-10.xsd"
_JUNIT = xmlschema.XMLSchema(str(JUNIT_XSD))


def valid_junit(path: Path) -> None:
    """Raises xmlschema's error (naming the element) when the file is not valid JUnit."""
    _JUNIT.validate(str(path))


def valid_report_json(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(doc)
    return doc
