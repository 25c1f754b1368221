"""Agent tests: a real agent process on its real socket under a tmp IGTK_HOME.

Every agent a test starts is stopped at teardown (`agent stop --cancel-running`,
then SIGKILL if it is still there), so no test leaks a process.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from agent_helpers import AgentHandle, stop_agent  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "igtk-home"
    monkeypatch.setenv("IGTK_HOME", str(home))
    for name in ("IGTK_VAULT_PASSPHRASE", "IGTK_VAULT_PASSPHRASE_FILE", "IGTK_EXECUTION_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def agent(home: Path) -> Iterator[AgentHandle]:
    handle = AgentHandle.start(home)
    try:
        yield handle
    finally:
        stop_agent(handle)
