"""Browser tests: a real Chromium against the simulator's Perspective pages.

One simulator per module (started on a free port), a hermetic IGTK_HOME per
test, a clean redaction registry. Every test here is marked `browser` and is
skipped, with the reason, when no Chromium can be found.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parent))

from igtk_tui import redact  # noqa: E402
from igtk_tui.browser import driver  # noqa: E402
from igtk_tui.browser.discovery import BrowserUnavailable, find_browser  # noqa: E402
from igtk_tui.simulator import SimulatedGateway  # noqa: E402
from igtk_tui.simulator.perspective import release_hung_requests  # noqa: E402

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
    from browser_helpers import ADMIN_PASSWORD

    gateway = SimulatedGateway(api_tokens={"igtk": "s3cret"}, admin_password=ADMIN_PASSWORD).start()
    yield gateway
    release_hung_requests(gateway.state)
    gateway.stop()


@pytest.fixture
def demo(sim: SimulatedGateway) -> str:
    """The Demo project's session URL."""
    return f"{sim.url}/data/perspective/client/Demo/"


@pytest.fixture(autouse=True)
def igtk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "igtk-home"
    monkeypatch.setenv("IGTK_HOME", str(home))
    for name in ("IGTK_VAULT_PASSPHRASE", "IGTK_VAULT_PASSPHRASE_FILE", "IGTK_EXECUTION_TIMEOUT",
                 "IGTK_BROWSER_PATH"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    redact.REDACTOR.clear()
    yield
    redact.REDACTOR.clear()


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
