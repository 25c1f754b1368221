"""Moving files to and from the gateway without ever trusting a half transfer.

A download is written to `<name>.part`, counted against Content-Length,
hashed, checked as a zip, and only then renamed into place. Any error or a
cancel deletes the partial file, so a dropped connection can never leave
something that looks like a good backup behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import httpx

from igtk_tui.gateway.errors import TransferFailed

CHUNK = 256 * 1024


@dataclass(frozen=True)
class DownloadedFile:
    path: Path
    size: int
    sha256: str
    # The name the gateway suggested (Content-Disposition), e.g. `Gw_Ignition-backup-20260101-1200.gwbk`.
    filename: str


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)?''([^;]+)")
_FILENAME = re.compile(r'filename\s*=\s*"?([^";]+)"?')


def suggested_filename(disposition: str | None) -> str | None:
    """The file name from a Content-Disposition header, reduced to a bare, safe name."""
    if not disposition:
        return None
    match = _FILENAME_STAR.search(disposition)
    name = unquote(match.group(1)) if match else None
    if name is None:
        match = _FILENAME.search(disposition)
        name = match.group(1) if match else None
    if not name:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if name not in ("", ".", "..") else None


def _expected_length(response: httpx.Response) -> int | None:
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return None  # the header counts encoded bytes; num_bytes_downloaded does too, but be lenient
    try:
        value = int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None
    return value if value >= 0 else None


def check_zip(path: Path, what: str) -> None:
    """A complete, CRC-correct zip, or TransferFailed saying what is wrong."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:  # zlib: a damaged compressed member
        raise TransferFailed(f"{what}: the file received is not a complete zip archive ({exc})") from None
    if bad is not None:
        raise TransferFailed(f"{what}: the file received is corrupt (zip member {bad!r} fails its CRC check)")


async def receive_file(response: httpx.Response, path: Path, what: str, *, zip_expected: bool = True,
                       filename: str = "") -> DownloadedFile:
    """Stream `response` into `path` (via `path.part`); never leaves a partial file."""
    expected = _expected_length(response)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with part.open("wb") as fh:
            async for chunk in response.aiter_bytes(CHUNK):
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if expected is not None and response.num_bytes_downloaded != expected:
            raise TransferFailed(f"{what}: received {response.num_bytes_downloaded} of {expected} bytes "
                                 "(the connection ended early); the partial file was deleted")
        if zip_expected:
            await asyncio.to_thread(check_zip, part, what)
        os.replace(part, path)
    except httpx.TransportError as exc:
        part.unlink(missing_ok=True)
        total = f"{expected}" if expected is not None else "an unknown number of"
        raise TransferFailed(f"{what}: the connection dropped after {size} of {total} bytes "
                             f"({exc or type(exc).__name__}); the partial file was deleted") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return DownloadedFile(path, size, digest.hexdigest(), filename or path.name)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A file as an async byte stream (reads in a thread), for uploads that must not load it whole."""
    with path.open("rb") as fh:
        while True:
            chunk = await asyncio.to_thread(fh.read, CHUNK)
            if not chunk:
                return
            yield chunk
