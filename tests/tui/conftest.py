"""Fixtures for the TUI tests (the helpers live in tui_helpers.py, importable by the test modules)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional" / "agent"))

from tui_helpers import agent, fast_kdf, home, no_agent_left, runtime  # noqa: E402,F401 - pytest fixtures
