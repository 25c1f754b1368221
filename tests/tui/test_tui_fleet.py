"""The fleet view (F) and the inventory screen (I), driven with Pilot.

The fleet record is written through the real store (FleetRepository) and the real recorder,
as `igtk run --on` in another process writes it; the screens read it back by polling."""

from __future__ import annotations

import time

import pytest
from snapshot_scenarios import FLEET_ID, build_app, fleet_member_state, quiet, seed_fleet
from tui_helpers import wait_until

from igtk_tui.tui.screens.confirm import ConfirmScreen
from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen
from igtk_tui.tui.screens.fleet import FleetScreen
from igtk_tui.tui.screens.fleets import FleetRunsScreen
from igtk_tui.tui.screens.gateway_form import GatewayForm
from igtk_tui.tui.screens.inventory import InventoryScreen


async def _open_fleet(pilot) -> FleetScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.library_entries, what="the library")
    await seed_fleet(app)
    await pilot.press("F")
    runs = await wait_until(pilot, lambda: isinstance(app.screen, FleetRunsScreen) and app.screen)
    await wait_until(pilot, lambda: [r.id for r in runs.rows] == [FLEET_ID], what="the fleet run listed")
    await pilot.press("enter")
    screen = await wait_until(pilot, lambda: isinstance(app.screen, FleetScreen) and app.screen)
    await wait_until(pilot, lambda: screen.loads >= 1 and len(screen.shown) == 200, what="200 gateways")
    return screen


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")])
def test_fleet_view_snapshot_200_gateways(snap_compare, home, utc, size) -> None:
    async def run_before(pilot) -> None:
        screen = await _open_fleet(pilot)
        screen.query_one("#fleet-table").move_cursor(row=94)  # gw095: done, failed, running and pending in view
        await quiet(pilot)

    assert snap_compare(build_app(home), terminal_size=size, run_before=run_before)


async def test_fleet_view_scrolls_filters_and_opens_an_execution(home, utc) -> None:
    app = build_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_fleet(pilot)
        counts = screen.query_one("#fleet-counts")
        text = str(counts.render())
        assert "200 gateways:" in text and "87 ✓ completed" in text and "3 ✗ failed" in text
        assert "10 ▶ running" in text and "100 · pending" in text
        table = screen.query_one("#fleet-table")
        await pilot.press("G")  # the last gateway: the table scrolls, the counts stay on screen
        await wait_until(pilot, lambda: table.cursor_row == 199 and table.scroll_y > 0)
        assert counts.region.y >= 0 and counts.region.bottom <= 24 and counts.region.height >= 1
        assert table.region.height <= 24 - 2  # one line per gateway in a table that fits with the header
        await pilot.press("slash", *"failed", "enter")
        await wait_until(pilot, lambda: [m.name for m in screen.shown] == ["gw007", "gw023", "gw041"])
        assert "(filter: 3 shown)" in str(counts.render())
        await pilot.press("down", "enter")
        detail = await wait_until(pilot, lambda: isinstance(app.screen, ExecutionDetailScreen) and app.screen)
        assert detail.execution_id == "e1ee7000-0000-4000-8000-000000000023"
        await wait_until(pilot, lambda: detail.detail is not None and detail.detail.status == "failed")


async def test_fleet_view_follows_the_store_while_the_run_is_live(home, utc) -> None:
    """Another process (here: the store API it uses) finishes a gateway; the open view shows it."""
    app = build_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_fleet(pilot)
        assert fleet_member_state(91)[0] == "running"
        row = next(m for m in screen.shown if m.name == "gw091")
        assert row.status == "running" and row.step == "restart"
        before = screen.loads
        await app.store.fleets.member_finished(FLEET_ID, 90, "completed", ts=time.time())
        await wait_until(pilot, lambda: screen.loads > before
                         and next(m for m in screen.shown if m.name == "gw091").status == "completed",
                         timeout=20, what="the finished gateway shown")
        assert "88 ✓ completed" in str(screen.query_one("#fleet-counts").render())


async def test_inventory_screen_adds_edits_and_removes_keeping_comments(home) -> None:
    app = build_app(home)
    path = app.runtime.paths.inventory_file
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.library_entries)
        await pilot.press("I")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen)
        await wait_until(pilot, lambda: screen.loads >= 1)
        assert "press a to add the first" in str(screen.query_one("#inventory-note").render())
        await pilot.press("a")
        form = await wait_until(pilot, lambda: isinstance(app.screen, GatewayForm) and app.screen)
        form.query_one("#gw-name").value = "line3-gw"
        form.query_one("#gw-url").value = "ftp://nowhere"
        form.query_one("#gw-credential").value = "plant-gw-01"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "URL: gateway URL 'ftp://nowhere'" in str(form.query_one("#gw-error").render()))
        assert not path.exists()  # nothing written for a bad entry
        form.query_one("#gw-url").value = "http://10.1.0.5:8088/"
        form.query_one("#gw-groups").value = "plant-a, line-3"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: [g.name for g in screen.gateways] == ["line3-gw"], what="the new gateway")
        path.write_text(path.read_text().replace("[gateways.line3-gw]", "# line 3: call Dave first\n[gateways.line3-gw]"))
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, GatewayForm) and app.screen)
        assert form.query_one("#gw-url").value == "http://10.1.0.5:8088"
        form.query_one("#gw-url").value = "http://10.1.0.9:8088"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.gateways and screen.gateways[0].url == "http://10.1.0.9:8088")
        assert "# line 3: call Dave first" in path.read_text()
        assert screen.gateways[0].groups == ("plant-a", "line-3")
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.loads >= 4 and screen.gateways == [], what="the gateway removed")
        assert "[gateways.line3-gw]" not in path.read_text() and 'url = "http://10.1.0.9:8088"' not in path.read_text()


async def test_a_bad_inventory_file_shows_its_problems(home) -> None:
    app = build_app(home)
    path = app.runtime.paths.inventory_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[gateways.a]\nurl = "gopher://x"\ncredential = "c"\n')
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.library_entries)
        await pilot.press("I")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen)
        await wait_until(pilot, lambda: screen.loads >= 1)
        assert f"{path}:2:1: gateway 'a': url:" in str(screen.query_one("#inventory-note").render())


async def test_inventory_rows_painted_before_the_columns_widen_show_whole_values(home) -> None:
    """The table sizes its columns when idle after rows arrive; a paint in between (a real terminal
    paints whenever it likes) drew `plan` for gateway `plant` and `htt` for its URL, and kept them
    until a key or a resize. The paint is forced here between the rows and the idle pass."""
    app = build_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.library_entries)
        await pilot.press("I")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, InventoryScreen) and app.screen)
        await wait_until(pilot, lambda: screen.loads >= 1)
        table = screen.query_one("#inventory-table")
        table.add_row("plant", "http://127.0.0.1:8099", "plant-gw", "line3", "FAULTED 8.3.6")
        table.render_line(1)  # drawn now, before the idle pass widens the columns
        await wait_until(pilot, lambda: "http://127.0.0.1:8099" in table.render_line(1).text,
                         what="the row drawn again with its columns widened")
        assert "plant " in table.render_line(1).text and "url " in table.render_line(0).text
