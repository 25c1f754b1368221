"""Browser tests: a real Chromium against the simulator's Perspective pages.

One simulator per module (started on a free port). Every test here is marked
`browser` and is skipped, with the reason, when no Chromium can be found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from igtk_tui.browser import driver
from igtk_tui.browser.discovery import BrowserUnavailable, find_browser
from igtk_tui.simulator import SimulatedGateway
from tests.support.browser import ADMIN_PASSWORD
from tests.support.simulator import running_gateway

try:
    BROWSER = find_browser()
    NO_BROWSER = ""
except BrowserUnavailable as exc:  # pragma: no cover - depends on the machine
    BROWSER = None
    NO_BROWSER = str(exc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if NO_BROWSER:
                item.add_marker(pytest.mark.skip(reason=f"needs Chromium: {NO_BROWSER}"))


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedGateway]:
    """One gateway for the module's tests (each Chromium session is built against it)."""
    with running_gateway(admin_password=ADMIN_PASSWORD, restart_seconds=2.0) as gateway:
        yield gateway


@pytest.fixture
def demo(sim: SimulatedGateway) -> str:
    """The Demo project's session URL."""
    return f"{sim.url}/data/perspective/client/Demo/"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lingering_driver() -> object:
    """One Playwright driver for a whole module (modules that run on one event loop).

    What the TUI does between executions (`driver.set_linger`); each execution
    still gets its own browser. `igtk run` (one execution) is tested without it.
    """
    driver.set_linger(True)
    yield None
    driver.set_linger(False)
    await driver.shutdown()
