"""Writing a text file so that a reader never sees half of it (playbooks, reports), and the
backup name kept beside a file before it is replaced."""

from __future__ import annotations

import os
from pathlib import Path

from igtk_tui.timefmt import file_stamp


def write_text_atomic(path: Path, text: str) -> Path:
    """A temporary file in the same folder, fsynced, then renamed over `path`."""
    import tempfile  # writes only: `igtk run` never pays for it

    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def backup_path(path: Path, ts: float | None = None) -> Path:
    """`<name>.backup.<YYYYmmdd-HHMMSS>.yaml` beside `path` (local time `ts`, default now), made
    unique with `-2`, `-3`...: a backup never overwrites an earlier one."""
    suffix = path.suffix or ".yaml"
    stamp = file_stamp(ts)
    candidate = path.with_name(f"{path.stem}.backup.{stamp}{suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.backup.{stamp}-{n}{suffix}")
        n += 1
    return candidate
