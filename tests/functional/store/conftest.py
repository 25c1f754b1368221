"""History-store tests: a real SQLite file under a temporary IGTK_HOME, and the same tests
again on a real PostgreSQL database (every test here runs once per `store_backend`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from igtk_tui import redact  # noqa: E402
from igtk_tui.paths import Paths, resolve_paths  # noqa: E402


@pytest.fixture(autouse=True)
def backend(store_backend: Any) -> Any:
    """Every store test runs on both backends (IGTK_STORE_URL set for the PostgreSQL one)."""
    return store_backend


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "home"
    root.mkdir()
    for name in ("IGTK_RETENTION_DAYS", "IGTK_RETENTION_COUNT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IGTK_HOME", str(root))
    return root


@pytest.fixture
def paths(home: Path) -> Paths:
    return resolve_paths({"IGTK_HOME": str(home)})


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    yield
    redact.REDACTOR.clear()
