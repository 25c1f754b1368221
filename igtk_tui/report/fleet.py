"""The report of a fleet run: one row per gateway (status, duration, failed step, its execution).

The same structure as an execution's report, one level up: a model built from the store
record (`FleetReport`), laid out by one renderer per format (HTML from a Jinja2 template
with the shipped report.css, JSON with its versioned schema, JUnit with a testcase per
gateway, Markdown), scrubbed on the way out and written atomically (report/__init__.py).
Each row names its execution id: `igtk report ID` of that execution has the steps.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from igtk_tui import __version__, redact, timefmt
from igtk_tui.errors import InvalidInput
from igtk_tui.glyphs import GLYPHS
from igtk_tui.timefmt import iso_utc, local_time

SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("fleet-report.schema.json")
_FAILED = ("failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class GatewayRow:
    name: str
    url: str
    groups: tuple[str, ...]
    batch: int
    status: str
    duration: float | None
    failed_step: str | None
    error: str | None
    reason: str | None
    execution_id: str | None

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.status, "?")

    @property
    def note(self) -> str:
        if self.status == "skipped":
            return self.reason or ""
        return self.error or ""


@dataclass
class FleetReport:
    fleet_run_id: str
    playbook: str
    playbook_path: str | None
    status: str
    targets: list[str]
    options: dict[str, Any]
    stop_reason: str | None
    host: str | None
    operator: str | None
    started_at: float
    finished_at: float | None
    duration: float | None
    counts: dict[str, int]
    rows: list[GatewayRow] = field(default_factory=list)
    generated_at: float = 0.0
    generated_by: str = f"igtk {__version__}"

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.status, "?")


def build_fleet_report(detail: Any) -> FleetReport:
    s = detail.summary
    rows = [GatewayRow(m.name, m.url, m.groups, m.batch, m.status, m.duration,
                       m.step if m.status != "running" else None, _opt(m.error), m.reason, m.execution_id)
            for m in detail.members]
    return FleetReport(
        fleet_run_id=s.id, playbook=_text(s.playbook), playbook_path=s.playbook_rel or s.playbook_path,
        status=s.status, targets=list(s.targets), options=redact.scrub_obj(s.options), stop_reason=_opt(s.stop_reason),
        host=s.host, operator=s.user, started_at=s.started_at, finished_at=s.finished_at, duration=s.duration,
        counts=s.counts(), rows=rows, generated_at=datetime.now(UTC).timestamp())


async def load_fleet_report(store: Any, fleet_run_id: str) -> FleetReport:
    detail = await store.fleets.get(fleet_run_id)
    if detail is None:
        raise InvalidInput(f"no fleet run {fleet_run_id!r} in the history (see `igtk history --fleet`)")
    return build_fleet_report(detail)


def fleet_report_file(paths: Any, fleet_run_id: str, fmt: str) -> Path:
    """Where `igtk report FLEET_ID` writes without -o: a folder of the fleet run beside the executions'."""
    from igtk_tui.report import FORMATS, check_format

    return Path(paths.artifacts_dir) / f"fleet-{fleet_run_id}" / f"report{FORMATS[check_format(fmt)]}"


def render_fleet(report: FleetReport, fmt: str, *, config_dir: Path | None = None) -> str:
    from igtk_tui.report import check_format

    fmt = check_format(fmt)
    if fmt == "html":
        text = _html(report, config_dir)
    elif fmt == "json":
        text = json.dumps(to_document(report), indent=2, ensure_ascii=False, default=str) + "\n"
    elif fmt == "junit":
        text = _junit(report)
    else:
        text = _markdown(report)
    return redact.scrub(text)


def write_fleet_reports(runtime: Any, fleet_run_id: str, specs: list[tuple[str, Path]], warn: Any) -> list[Path]:
    """`igtk run --on ... --report FORMAT:FILE`: each document once the fleet run ended (a warning on failure)."""
    from igtk_tui.report import write_each

    return write_each(runtime, lambda store: load_fleet_report(store, fleet_run_id), render_fleet, specs, warn,
                      "fleet report")


def to_document(report: FleetReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION, "kind": "fleet", "generated_at": iso_utc(report.generated_at),
        "generated_by": report.generated_by,
        "fleet_run": {"id": report.fleet_run_id, "playbook": report.playbook, "playbook_path": report.playbook_path,
                      "status": report.status, "targets": report.targets, "options": report.options,
                      "stop_reason": report.stop_reason, "host": report.host, "operator": report.operator,
                      "started_at": iso_utc(report.started_at), "finished_at": iso_utc(report.finished_at),
                      "duration": report.duration},
        "counts": report.counts,
        "gateways": [{"gateway": r.name, "url": r.url, "groups": list(r.groups), "batch": r.batch,
                      "status": r.status, "duration": r.duration, "failed_step": r.failed_step, "error": r.error,
                      "reason": r.reason, "execution_id": r.execution_id} for r in report.rows],
    }


def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return document


def _facts(report: FleetReport) -> list[tuple[str, str]]:
    c = report.counts
    return [("Playbook", report.playbook + (f" ({report.playbook_path})" if report.playbook_path else "")),
            ("Targets", ", ".join(report.targets)), ("Options", _options(report.options)),
            ("Operator", f"{report.operator or '?'}@{report.host or '?'}"), ("Started", local_time(report.started_at)),
            ("Finished", local_time(report.finished_at)), ("Duration", timefmt.duration(report.duration)),
            ("Gateways", f"{c['total']}: {c['completed']} completed, {c['failed']} failed, {c['cancelled']} "
                         f"cancelled, {c['skipped']} skipped"),
            ("Stopped", report.stop_reason or "-"), ("Fleet run", report.fleet_run_id)]


def _options(options: dict[str, Any]) -> str:
    shown = {k: v for k, v in options.items() if k != "params" and v not in (None, 0, 0.0)}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or "-"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _markdown(report: FleetReport) -> str:
    lines = [f"# Fleet run report: {_cell(report.playbook)}", "",
             f"**Result: {report.glyph} {report.status.upper()}**", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {_cell(v) or '-'} |" for k, v in _facts(report)] + [""]
    lines += ["## Gateways", "", "| Gateway | Group | Batch | Status | Duration | Failed step | Note | Execution |",
              "|---|---|---:|---|---:|---|---|---|"]
    for r in report.rows:
        lines.append(f"| {_cell(r.name)} | {_cell(', '.join(r.groups))} | {r.batch} | {r.glyph} {r.status} | "
                     f"{timefmt.duration(r.duration)} | {_cell(r.failed_step)} | {_cell(r.note)} | "
                     f"{r.execution_id or '-'} |")
    lines += ["", f"_Generated by {report.generated_by} from fleet run {report.fleet_run_id}; each execution's "
                  "steps: `igtk report EXECUTION_ID`; secrets are masked._"]
    return "\n".join(lines) + "\n"


def _junit(report: FleetReport) -> str:
    c = report.counts
    failures = sum(1 for r in report.rows if r.status in _FAILED)
    suite = ET.Element("testsuite", name=report.playbook, tests=str(len(report.rows)), failures=str(failures),
                       errors="0", skipped=str(c["skipped"]), time=f"{report.duration or 0:.3f}",
                       id=report.fleet_run_id, timestamp=iso_utc(report.started_at) or "", hostname=report.host or "")
    props = ET.SubElement(suite, "properties")
    for name, value in (("fleet_run_id", report.fleet_run_id), ("status", report.status),
                        ("targets", ",".join(report.targets)), ("stop_reason", report.stop_reason)):
        if value:
            ET.SubElement(props, "property", name=name, value=str(value))
    for r in report.rows:
        group = r.groups[0] if r.groups else "gateways"
        case = ET.SubElement(suite, "testcase", name=r.name, classname=f"{report.playbook}.{group}",
                             time=f"{r.duration or 0:.3f}")
        if r.status in _FAILED:
            node = ET.SubElement(case, "failure", message=r.error or r.status, type=r.status)
            node.text = f"execution: {r.execution_id or '-'}; failed step: {r.failed_step or '-'}"
        elif r.status in ("skipped", "pending", "running"):
            ET.SubElement(case, "skipped", message=r.reason or r.status)
        out = ET.SubElement(case, "system-out")
        out.text = f"gateway {r.url} execution {r.execution_id or '-'}"
    root = ET.Element("testsuites", name=report.playbook, tests=str(len(report.rows)), failures=str(failures),
                      errors="0", time=f"{report.duration or 0:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _html(report: FleetReport, config_dir: Path | None) -> str:
    import jinja2  # only when a report is rendered

    from igtk_tui.report.html import _SHIPPED, user_template_dir

    folders = ([str(user_template_dir(config_dir))] if config_dir is not None else []) + [str(_SHIPPED)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folders), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=timefmt.duration, when=local_time)
    page = env.get_template("fleet-report.html.j2")
    return page.render(report=report, facts=_facts(report), css=(_SHIPPED / "report.css").read_text("utf-8"))


def _text(value: Any) -> str:
    return redact.scrub(value if isinstance(value, str) else str(value))


def _opt(value: Any) -> str | None:
    return None if value is None else _text(value)
