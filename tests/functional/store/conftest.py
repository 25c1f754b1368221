"""History-store tests: a real SQLite file under the test's IGTK_HOME, and the same tests again on
a real PostgreSQL database (every test here runs once per `store_backend`)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def backend(store_backend: Any) -> Any:
    """Every store test runs on both backends (IGTK_STORE_URL set for the PostgreSQL one)."""
    return store_backend
