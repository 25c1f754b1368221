"""Helpers for the secret tests: a canary secret in every encoding it could travel in, and
byte-level scans for it."""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

MASK = "••••"


def make_canary(label: str = "canary") -> str:
    """A long random secret with characters that URL, JSON and XML encode differently
    (a hex-only canary would make every encoded form identical to the raw one); its random
    part is the longest run of hex digits (see encoded_forms)."""
    return f"{label}-{secrets.token_hex(16)}-&/+%\"é"


def encoded_forms(secret: str, username: str = "admin") -> dict[str, bytes]:
    """Every form in which the secret could reach a file or a stream, as UTF-8 bytes.

    "random core" is the secret's random part alone (its longest run of at least 16 hex
    digits, so the secret must have one): it finds a secret that was cut,
    sanitised (a file name) or re-encoded in a way the other forms do not cover.
    """
    forms = {
        "raw": secret,
        "random core": max(re.findall(r"[0-9a-f]{16,}", secret), key=len),
        "url-encoded": quote(secret, safe=""),
        "url-encoded (form)": quote_plus(secret),
        "url-encoded (path)": quote(secret),
        "json-escaped": json.dumps(secret)[1:-1],
        "json-escaped (utf-8)": json.dumps(secret, ensure_ascii=False)[1:-1],
        "xml-escaped": html.escape(secret, quote=True),
        "repr": repr(secret)[1:-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 (basic auth)": base64.b64encode(f"{username}:{secret}".encode()).decode(),
    }
    return {name: text.encode("utf-8") for name, text in forms.items()}


def leaks_in(data: bytes | str, forms: dict[str, bytes]) -> list[str]:
    """The names of the forms of the secret found in `data`."""
    blob = data.encode("utf-8") if isinstance(data, str) else data
    return [name for name, form in forms.items() if form in blob]


def scan_files(paths: Iterable[Path], forms: dict[str, bytes]) -> dict[str, list[str]]:
    """{file: forms found} for every regular file among `paths` (folders are walked)."""
    found: dict[str, list[str]] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                hit = leaks_in(file.read_bytes(), forms) + [f"name: {n}" for n in leaks_in(str(file), forms)]
                if hit:
                    found[str(file)] = hit
    return found
