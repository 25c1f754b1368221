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

from agent_helpers import AgentHandle, home, stop_agent  # noqa: E402,F401 - `home` is a fixture


@pytest.fixture
def agent(home: Path) -> Iterator[AgentHandle]:  # noqa: F811 - the parameter is the `home` fixture
    handle = AgentHandle.start(home)
    try:
        yield handle
    finally:
        stop_agent(handle)
