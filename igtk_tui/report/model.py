"""The report model: one execution's store record turned into what a signed acceptance
document shows (header, step sections per playbook level, manifest checks with their
screenshots, components discovered, masked parameters).

Why a model between the store and the renderers: HTML, JSON, JUnit and Markdown must say
the same thing; each renderer only lays out these fields. Everything here is already
redacted text (the store holds scrubbed values) and is scrubbed once more on the way out,
so a secret registered in this process never reaches a document either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from igtk_tui import __version__, redact
from igtk_tui.glyphs import GLYPHS

SCHEMA_VERSION = 1
_MANIFEST = "perspective.execute_test_manifest"
_DISCOVERY = ("perspective.discover_page", "perspective.extract_component_metadata")
_FAILED = ("failed", "cancelled", "interrupted")


@dataclass(frozen=True)
class StepLine:
    path: str
    name: str
    type: str
    role: str
    status: str
    attempts: int
    started_at: float | None
    duration: float | None
    error: str | None
    reason: str | None
    rollback_of: str | None = None  # a compensation step: the step it undoes (as `igtk show` marks it)

    @property
    def glyph(self) -> str:
        return GLYPHS.get(self.status, "?")

    @property
    def mark(self) -> str:
        """`[rollback of STEP]` for a compensation step (`[rollback]` when the step is not known), else ''."""
        if self.role != "rollback":
            return ""
        return f"[rollback of {self.rollback_of}]" if self.rollback_of else "[rollback]"

    @property
    def own_id(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass
class Section:
    """One playbook level: the root playbook, or a `playbook.run` child (path = the calling step)."""

    path: str | None
    title: str
    steps: list[StepLine] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"total": len(self.steps), "completed": 0, "failed": 0, "skipped": 0, "other": 0}
        for s in self.steps:
            key = "failed" if s.status in _FAILED else s.status if s.status in out else "other"
            out[key] += 1
        return out


@dataclass(frozen=True)
class Check:
    """One entry of a Perspective test manifest (or of a `test_results` list given to the step)."""

    step: str | None
    index: int
    action: str
    target: str
    expected: str | None
    actual: str | None
    status: str
    error: str | None
    screenshot: Path | None

    @property
    def glyph(self) -> str:
        return {"passed": GLYPHS["completed"], "failed": GLYPHS["failed"]}.get(self.status, GLYPHS["skipped"])


@dataclass(frozen=True)
class Component:
    step: str
    id: str
    type: str
    text: str
    selector: str
    reliability: str


@dataclass(frozen=True)
class Shot:
    step: str | None
    path: Path
    caption: str


@dataclass
class Report:
    execution_id: str
    playbook: str
    playbook_version: str | None
    playbook_path: str | None
    status: str
    result: str
    started_at: float
    finished_at: float | None
    duration: float | None
    gateway_url: str | None
    gateway_version: str | None
    operator: str | None
    host: str | None
    trigger: str
    browser_version: str | None
    error: str | None
    parameters: dict[str, Any]
    credentials: list[str]
    sections: list[Section]
    checks: list[Check]
    components: list[Component]
    screenshots: list[Shot]
    metadata: dict[str, Any] = field(default_factory=dict)
    visual_analysis: dict[str, Any] | None = None
    generated_at: float = 0.0
    generated_by: str = f"igtk {__version__}"
    in_progress_step: str | None = None

    @property
    def steps(self) -> list[StepLine]:
        return [s for section in self.sections for s in section.steps]

    @property
    def check_counts(self) -> dict[str, int]:
        out = {"total": len(self.checks), "passed": 0, "failed": 0, "skipped": 0}
        for c in self.checks:
            out[c.status if c.status in ("passed", "failed") else "skipped"] += 1
        return out

    @property
    def glyph(self) -> str:
        return GLYPHS.get({"passed": "completed"}.get(self.result, self.result), "?")


def build_report(detail: Any, artifacts_dir: Path, *, metadata: dict[str, Any] | None = None,
                 test_results: dict[str, Any] | None = None, visual_analysis: dict[str, Any] | None = None,
                 screenshots_dir: Path | None = None, in_progress_step: str | None = None) -> Report:
    """The report of `detail` (a store ExecutionDetail); the keyword arguments are what
    `fat.generate_report` adds from its parameters (the earlier toolkit's shapes)."""
    s = detail.summary
    sections = _sections(detail.steps, in_progress_step)
    checks = _checks(detail, artifacts_dir)
    if test_results:  # a manifest step's own results passed in again are not listed twice
        seen = {(c.index, c.action, c.target, c.status) for c in checks}
        checks += [c for c in _given_checks(test_results, artifacts_dir)
                   if (c.index, c.action, c.target, c.status) not in seen]
    shots_in_checks = {c.screenshot for c in checks if c.screenshot is not None}
    screenshots = [Shot(a.step, _artifact_path(a.path, artifacts_dir), Path(a.path).name)
                   for a in detail.artifacts if a.kind == "screenshot"]
    screenshots = [sh for sh in screenshots if sh.path not in shots_in_checks]
    if screenshots_dir is not None and screenshots_dir.is_dir():
        screenshots += [Shot(None, p, p.name) for p in sorted(screenshots_dir.glob("*.png"))
                        if p not in shots_in_checks]
    meta = {str(k): _text(v) for k, v in (metadata or {}).items() if v not in (None, "")}
    report = Report(
        execution_id=s.id, playbook=_text(s.playbook), playbook_version=_playbook_version(detail.source),
        playbook_path=s.playbook_rel or s.playbook_path, status=s.status, result="",
        started_at=s.started_at, finished_at=s.finished_at, duration=s.duration,
        gateway_url=_opt(s.gateway_url), gateway_version=_gateway_version(detail.steps),
        operator=meta.get("tester") or _opt(s.user), host=_opt(s.host), trigger=s.trigger,
        browser_version=detail.browser_version, error=_opt(s.error),
        parameters={k: _masked(k, v) for k, v in detail.parameters.items()}, credentials=list(detail.credentials),
        sections=sections, checks=checks, components=_components(detail.steps), screenshots=screenshots,
        metadata=meta, visual_analysis=redact.scrub_obj(visual_analysis) if visual_analysis else None,
        generated_at=datetime.now(UTC).timestamp(),
        in_progress_step=in_progress_step,
    )
    report.result = _result(report)
    return report


def _result(report: Report) -> str:
    """The verdict: the execution's status once it ended; while a report step runs, the steps so far."""
    failed = any(s.status in _FAILED for s in report.steps) or report.check_counts["failed"] > 0
    if report.status in ("completed", "running", "paused"):
        if failed:
            return "failed"
        return "passed" if report.status == "completed" or report.in_progress_step else report.status
    return report.status


def _sections(steps: Any, in_progress: str | None) -> list[Section]:
    by_path = {st.path: st for st in steps}
    sections: dict[str | None, Section] = {None: Section(None, "")}
    for st in steps:
        parent = st.path.rpartition("/")[0] or None
        if parent not in sections:
            caller = by_path.get(parent) if parent else None
            child = caller.output.get("playbook") if caller and isinstance(caller.output, dict) else None
            title = f"{caller.name if caller else parent}" + (f" — {child}" if child else "")
            sections[parent] = Section(parent, _text(title))
        status = "running" if st.path == in_progress else st.status
        sections[parent].steps.append(StepLine(
            path=st.path, name=_text(st.name), type=st.type, role=st.role, status=status, attempts=st.attempts,
            started_at=st.started_at, duration=st.duration, error=_opt(st.error), reason=st.reason,
            rollback_of=st.parent if st.role == "rollback" else None))
    return list(sections.values())


def _checks(detail: Any, artifacts_dir: Path) -> list[Check]:
    out: list[Check] = []
    for st in detail.steps:
        if st.type != _MANIFEST:
            continue
        results = st.output.get("results") if isinstance(st.output, dict) else None
        if isinstance(results, list):
            out += [_check(st.path, r, artifacts_dir) for r in results if isinstance(r, dict)]
        elif st.status in _FAILED:
            # Failed with fail_on_error: no per-entry results were recorded, only the step's error
            # (its screenshots are listed with the other screenshots, named after their entries).
            out.append(Check(st.path, 0, "manifest", _text(st.name), None, None, "failed", _opt(st.error), None))
    return out


def _given_checks(test_results: dict[str, Any], artifacts_dir: Path) -> list[Check]:
    results = test_results.get("results") if isinstance(test_results, dict) else None
    return [_check(None, {"index": n, **r}, artifacts_dir)
            for n, r in enumerate((r for r in results or [] if isinstance(r, dict)), 1)]


def _check(step: str | None, r: dict[str, Any], artifacts_dir: Path) -> Check:
    status = str(r.get("status", "skipped")).lower()
    status = {"pass": "passed", "ok": "passed", "fail": "failed", "error": "failed"}.get(status, status)
    shot = r.get("screenshot")
    target = r.get("component_id") or r.get("selector") or r.get("name") or r.get("component") or ""
    return Check(step, int(r.get("index") or 0), _text(r.get("action") or r.get("type") or "check"), _text(target),
                 _opt(r.get("expected")), _opt(r.get("actual")), status, _opt(r.get("error")),
                 _artifact_path(str(shot), artifacts_dir) if shot else None)


def _components(steps: Any) -> list[Component]:
    """What the page inventories found: the enriched lists (selector reliability) when a
    metadata step ran, else the discoveries; one inventory is not listed twice."""
    chosen = [st for st in steps if st.type == _DISCOVERY[1] and isinstance(st.output, dict)]
    if not chosen:
        chosen = [st for st in steps if st.type == _DISCOVERY[0] and isinstance(st.output, dict)]
    out: list[Component] = []
    for st in chosen:
        items = st.output.get("enriched_inventory") or st.output.get("inventory") or []
        for item in items:
            if not isinstance(item, dict):
                continue
            meta: dict[str, Any] = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
            out.append(Component(
                step=st.path, id=_text(item.get("componentId") or item.get("id") or ""),
                type=_text(item.get("component") or item.get("type") or item.get("tagName") or ""),
                text=_text(item.get("text") or item.get("label") or "")[:80],
                selector=_text(item.get("selector") or ""), reliability=_text(meta.get("selector_reliability") or "")))
    return out


def _gateway_version(steps: Any) -> str | None:
    """The Ignition version the gateway steps saw (gateway.get_info, login, ping...)."""
    for st in steps:
        out = st.output if isinstance(st.output, dict) else None
        if not out or not st.type.startswith("gateway."):
            continue
        info: dict[str, Any] = out["info"] if isinstance(out.get("info"), dict) else {}
        for value in (info.get("platform_version"), info.get("version"), out.get("platform_version"),
                      out.get("version")):
            if value:
                return _text(value)
    return None


def _playbook_version(source: str | None) -> str | None:
    if not source:
        return None
    match = re.search(r"^version:\s*[\"']?([^\"'#\n]+?)[\"']?\s*(#.*)?$", source, re.MULTILINE)
    return match.group(1).strip() if match else None


def _artifact_path(path: str, artifacts_dir: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else artifacts_dir / p


def _masked(name: str, value: Any) -> Any:
    """Recorded values are masked already; a name like a password's is masked whatever its value."""
    from igtk_tui.playbook.params import SECRET_NAME_RE

    if SECRET_NAME_RE.search(name) and value not in (None, ""):
        return redact.MASK
    return redact.scrub_obj(value)


def _text(value: Any) -> str:
    return redact.scrub(value if isinstance(value, str) else str(value))


def _opt(value: Any) -> str | None:
    return None if value is None else _text(value)
