"""Secret-handling acceptance tests: the real `igtk` CLI in subprocesses, a private IGTK_HOME per
test, real simulated gateways, a clean redaction registry in this process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from igtk_tui import redact  # noqa: E402


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    redact.REDACTOR.clear()
    yield
    redact.REDACTOR.clear()
