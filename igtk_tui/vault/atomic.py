"""Crash-safe, owner-only writes and an inter-process lock.

A write goes to a temporary file in the same folder, is fsynced and then
`os.replace`d over the target, so a reader (or a crash) sees the old file or
the new one, never half of either. The lock file beside the target is held
across read-modify-write so two processes adding at once both land.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from igtk_tui.errors import ServiceUnavailable
from igtk_tui.paths import ensure_private_dir


@contextlib.contextmanager
def _io(action: str, path: Path | str) -> Iterator[None]:
    """A disk error (read-only mount, full disk, permissions) becomes a plain exit-3 message."""
    try:
        yield
    except OSError as exc:
        raise ServiceUnavailable(f"cannot {action} {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def locked(target: Path, *, exclusive: bool = True) -> Iterator[None]:
    """Hold `flock` on `<target>.lock` (never deleted: deleting lock files races)."""
    lock_path = f"{target}.lock"
    with _io("lock", lock_path):
        ensure_private_dir(target.parent)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with _io("lock", lock_path):
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist yet."""
    with _io("read", path):
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the result is mode 0600 in a 0700 folder."""
    with _io("write", path):
        _write_atomic(path, data)


def _write_atomic(path: Path, data: bytes) -> None:
    folder = ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut could otherwise undo it)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def tighten(path: Path) -> None:
    """Reset a file that was made group/world-readable to 0600 (best effort)."""
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass
