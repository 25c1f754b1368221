"""The JSON report: the model as a document that validates against `report.schema.json`.

The schema is versioned (`schema_version`, and the schema's `$id` ends in `/v1`): a
field is only ever added; renaming or removing one is a new version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from igtk_tui.report.model import SCHEMA_VERSION, Report
from igtk_tui.timefmt import iso_utc

SCHEMA_FILE = Path(__file__).with_name("report.schema.json")


def to_document(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": iso_utc(report.generated_at),
        "generated_by": report.generated_by,
        "execution": {
            "id": report.execution_id, "playbook": report.playbook, "playbook_version": report.playbook_version,
            "playbook_path": report.playbook_path, "status": report.status, "result": report.result,
            "started_at": iso_utc(report.started_at), "finished_at": iso_utc(report.finished_at),
            "duration": report.duration, "gateway_url": report.gateway_url,
            "gateway_version": report.gateway_version, "operator": report.operator, "host": report.host,
            "trigger": report.trigger, "browser_version": report.browser_version, "error": report.error,
            "in_progress_step": report.in_progress_step,
        },
        "metadata": report.metadata,
        "parameters": report.parameters,
        "credentials": report.credentials,
        "sections": [{
            "path": sec.path, "title": sec.title, "counts": sec.counts,
            "steps": [{"path": s.path, "name": s.name, "type": s.type, "role": s.role, "status": s.status,
                       "attempts": s.attempts, "started_at": iso_utc(s.started_at), "duration": s.duration,
                       "error": s.error, "reason": s.reason, "rollback_of": s.rollback_of} for s in sec.steps],
        } for sec in report.sections],
        "checks": {
            "counts": report.check_counts,
            "results": [{"step": c.step, "index": c.index, "action": c.action, "target": c.target,
                         "expected": c.expected, "actual": c.actual, "status": c.status, "error": c.error,
                         "screenshot": str(c.screenshot) if c.screenshot else None} for c in report.checks],
        },
        "components": [{"step": c.step, "id": c.id, "type": c.type, "text": c.text, "selector": c.selector,
                        "reliability": c.reliability} for c in report.components],
        "screenshots": [{"step": s.step, "path": str(s.path), "caption": s.caption} for s in report.screenshots],
        "visual_analysis": report.visual_analysis,
    }


def render_json(report: Report) -> str:
    return json.dumps(to_document(report), indent=2, ensure_ascii=False, default=str) + "\n"


def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return document
