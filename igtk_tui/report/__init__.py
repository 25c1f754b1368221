"""Reports of one execution for acceptance tests and CI: HTML, JSON, JUnit XML, Markdown.

`igtk report`, `igtk run --report/--junit`, the TUI's report action and the fat.* steps
all come here: `build_report` turns the store record into the model, `render` lays it
out in one format, `write_report` puts it on disk atomically (a half-written report
never replaces a good one). Heavy pieces (jinja2) are imported only when used.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.errors import InvalidInput
from igtk_tui.report.model import Report, build_report
from igtk_tui.textfile import write_text_atomic

if TYPE_CHECKING:
    from igtk_tui.paths import Paths

FORMATS = {"html": ".html", "json": ".json", "junit": ".xml", "md": ".md"}
_DATA_URI = re.compile(r"(data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+)")

__all__ = ["FORMATS", "Report", "build_report", "check_format", "load_report", "parse_spec", "render", "report_file",
           "write_after_run", "write_report"]


def check_format(fmt: str, what: str = "--format") -> str:
    name = fmt.strip().lower()
    if name == "markdown":
        name = "md"
    if name not in FORMATS:
        raise InvalidInput(f"{what}: unknown report format {fmt!r} (use one of {', '.join(FORMATS)})")
    return name


def render(report: Report, fmt: str, *, config_dir: Path | None = None, template: Path | None = None) -> str:
    """The document as text, scrubbed of every secret this process knows."""
    fmt = check_format(fmt)
    if fmt == "html":
        from igtk_tui.report.html import render_html

        text = render_html(report, config_dir=config_dir, template=template)
        # Inlined images are base64: scrubbing them could only corrupt them.
        return "".join(part if part.startswith("data:") else redact.scrub(part) for part in _DATA_URI.split(text))
    if fmt == "json":
        from igtk_tui.report.json_doc import render_json

        return redact.scrub(render_json(report))
    if fmt == "junit":
        from igtk_tui.report.junit import render_junit

        return redact.scrub(render_junit(report))
    from igtk_tui.report.markdown import render_markdown

    return redact.scrub(render_markdown(report))


def write_report(path: Path, text: str) -> Path:
    """Write atomically: a half-written report never replaces a good one."""
    return write_text_atomic(path, text)


def report_file(paths: Paths, execution_id: str, fmt: str) -> Path:
    """The default file of `igtk report` without -o: in the execution's artifacts folder."""
    return paths.execution_artifacts(execution_id) / f"report{FORMATS[check_format(fmt)]}"


async def load_report(store: Any, paths: Any, execution_id: str, **extra: Any) -> Report:
    """The model of a recorded execution (every log line is left out: reports show steps)."""
    detail = await store.executions.get(execution_id, logs=0)
    if detail is None:
        raise InvalidInput(f"no execution {execution_id!r} in the history (see `igtk history`)")
    return build_report(detail, paths.execution_artifacts(execution_id), **extra)


def parse_spec(text: str, what: str = "--report") -> tuple[str, Path]:
    """`FORMAT:FILE` (html:/srv/fat/line3.html) as (format, path); InvalidInput names the option."""
    fmt, sep, file = text.partition(":")
    if not sep or not file.strip():
        raise InvalidInput(f"{what}: expected FORMAT:FILE (e.g. html:report.html), got {text!r}")
    return check_format(fmt, what), check_target(Path(file), what)


def check_target(path: Path, what: str = "--report") -> Path:
    """The report's path, refused (exit 2, before the run) when a report could not be written there:
    a scratch file is created and removed next to it, the one test every file system answers truly."""
    path = path.expanduser().absolute()
    if path.is_dir():
        raise InvalidInput(f"{what} {path}: is a folder; give a file name, e.g. {path / 'report.xml'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(scratch)
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(13, "permission denied")
    except FileExistsError:
        raise InvalidInput(f"{what} {path}: a file stands where its folder should be") from None
    except OSError as exc:
        raise InvalidInput(f"{what} {path}: a report cannot be written there ({exc.strerror or exc})") from None
    return path


def write_after_run(runtime: Any, execution_id: str, specs: list[tuple[str, Path]],
                    warn: Any) -> list[Path]:
    """`igtk run --report/--junit`: each document from the committed record, once the run ended."""
    return write_each(runtime, lambda store: load_report(store, runtime.paths, execution_id), render, specs, warn,
                      "report")


def write_each(runtime: Any, load: Callable[[Any], Any], render_one: Callable[..., str],
               specs: list[tuple[str, Path]], warn: Any, noun: str) -> list[Path]:
    """Each (format, file) of `specs` rendered from what `load` reads in the store, once a run ended.

    A report that cannot be written is a warning: the run's own exit code stands.
    """
    from igtk_tui.store.session import with_store

    try:
        report = with_store(runtime, load)
    except Exception as exc:  # noqa: BLE001 - an unusable history must not hide the run's result
        warn(f"no {noun} written: {exc}")
        return []
    written = []
    for fmt, path in specs:
        try:
            written.append(write_report(path, render_one(report, fmt, config_dir=runtime.paths.config_dir)))
        except (OSError, InvalidInput) as exc:
            warn(f"{fmt} {noun} {path} not written: {exc}")
    return written
