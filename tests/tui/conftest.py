"""Fixtures for the TUI tests (the helpers live in tui_helpers.py, importable by the test modules)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tui_helpers import fast_kdf, home, runtime  # noqa: E402,F401 - pytest fixtures
