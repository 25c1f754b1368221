"""Report tests: the real `igtk` CLI in subprocesses (the playbook tests' helper), a private IGTK_HOME."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "playbooks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
