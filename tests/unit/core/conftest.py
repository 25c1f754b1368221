"""Unit tests of the core: hermetic IGTK_HOME and a clean redaction registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui import redact


@pytest.fixture(autouse=True)
def igtk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "igtk-home"
    monkeypatch.setenv("IGTK_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    redact.REDACTOR.clear()
    yield
    redact.REDACTOR.clear()
