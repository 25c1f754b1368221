"""Shipped-playbook tests: the real `igtk` CLI in subprocesses, a private IGTK_HOME."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from igtk_cli_helpers import Igtk  # noqa: E402


@pytest.fixture
def igtk(tmp_path: Path) -> Igtk:
    return Igtk(tmp_path / "igtk-home")
