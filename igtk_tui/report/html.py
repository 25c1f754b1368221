"""The HTML report: one self-contained file rendered from a Jinja2 template.

Self-contained because it is handed over on a USB stick or by mail and opened on a
machine with no network: the styles are in the template and every screenshot is inlined
as a `data:` URI. The template is looked up first in the config folder
(`<config>/report/report.html.j2`, see docs/reports.md), then the shipped one; a step
may name its own file.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

from igtk_tui.report.model import Report
from igtk_tui.timefmt import duration, local_time

TEMPLATE_NAME = "report.html.j2"
_SHIPPED = Path(__file__).with_name("templates")
_MAX_IMAGE_BYTES = 20 * 1024 * 1024


def user_template_dir(config_dir: Path) -> Path:
    """Where a user's `report.html.j2` overrides the shipped one."""
    return config_dir / "report"


def render_html(report: Report, *, config_dir: Path | None = None, template: Path | None = None) -> str:
    import jinja2  # only when a report is rendered

    folders = [str(template.parent)] if template is not None else []
    if config_dir is not None:
        folders.append(str(user_template_dir(config_dir)))
    folders.append(str(_SHIPPED))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folders), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(datauri=data_uri, duration=duration, when=local_time)
    name = template.name if template is not None else TEMPLATE_NAME
    try:
        page = env.get_template(name)
    except jinja2.TemplateNotFound:
        from igtk_tui.errors import InvalidInput

        raise InvalidInput(f"report template {template or name} not found") from None
    return page.render(report=report, timeline=timeline(report), css=(_SHIPPED / "report.css").read_text("utf-8"))


def data_uri(path: Path | None) -> str:
    """The file as a `data:` URI, or "" when it is missing (the check still lists it)."""
    if path is None:
        return ""
    try:
        if path.stat().st_size > _MAX_IMAGE_BYTES:
            return ""
        data = path.read_bytes()
    except OSError:
        return ""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def timeline(report: Report, width: int = 720, row: int = 16) -> dict[str, Any]:
    """Bars of step durations on one time axis (seconds from the start), for the inline SVG."""
    started = [(s, max(0.0, s.started_at - report.started_at)) for s in report.steps if s.started_at is not None]
    span = max([offset + (s.duration or 0) for s, offset in started] + [report.duration or 0, 0.001])
    label_w, bar_w = 220, width - 220 - 70
    bars = []
    for i, (s, offset) in enumerate(started):
        x = label_w + bar_w * offset / span
        w = max(1.5, bar_w * (s.duration or 0) / span)
        bars.append({"y": i * row, "x": round(x, 1), "w": round(w, 1), "label": s.path, "status": s.status,
                     "glyph": s.glyph, "text": duration(s.duration), "tx": round(x + w + 4, 1)})
    return {"width": width, "height": max(row, len(bars) * row) + 20, "bars": bars, "label_w": label_w,
            "bar_w": bar_w, "span": duration(span), "axis_y": len(bars) * row + 12, "row": row}
