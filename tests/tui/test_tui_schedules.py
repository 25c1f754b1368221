"""The schedules screen (`c`) with Textual's Pilot: the list with next fire times and last results,
add through the checked form (a bad field keeps it open, named), enable/disable, delete (asks), and
run now through a real agent process, whose run shows `schedule: NAME` in the executions bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "functional" / "agent"))
sys.path.insert(0, str(HERE.parent / "functional" / "schedules"))

from agent_helpers import AgentHandle, igtk, stop_agent, write_playbook  # noqa: E402
from schedule_helpers import QUICK, query, stop_any_agent  # noqa: E402
from tui_helpers import library_ready, wait_until  # noqa: E402

from igtk_tui.tui.app import IgtkApp  # noqa: E402


@pytest.fixture(autouse=True)
def no_agent_left(home: Path) -> Iterator[None]:
    yield
    stop_any_agent(home)


def add(*args: str, home: Path) -> None:
    done = igtk(home, "schedule", "add", *args)
    assert done.returncode == 0, done.stderr


def stored(home: Path) -> dict[str, dict]:
    try:
        return {r["name"]: dict(r) for r in query(home, "SELECT * FROM schedules")}
    except Exception:  # noqa: BLE001 - no database yet
        return {}


async def open_schedules(pilot, app) -> object:
    from igtk_tui.tui.screens.schedules import SchedulesScreen

    await library_ready(pilot, app)
    await pilot.press("c")
    return await wait_until(pilot, lambda: isinstance(app.screen, SchedulesScreen) and app.screen,
                            what="the schedules screen")


def table_names(screen) -> list[str]:
    return [row.schedule.name for row in screen.listing.rows]


async def select(pilot, screen, name: str) -> None:
    table = screen.query_one("#schedule-table")
    table.focus()
    table.move_cursor(row=table_names(screen).index(name))
    await wait_until(pilot, lambda: screen.selected is not None and screen.selected.schedule.name == name,
                     what=f"{name} selected")


async def test_list_add_through_the_form_toggle_and_delete(runtime, home: Path, tmp_path: Path) -> None:
    playbook = str(write_playbook(tmp_path, QUICK))
    add("nightly", "--cron", "0 2 * * *", playbook, "--tz", "UTC", "--disabled", home=home)
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_schedules(pilot, app)
        await wait_until(pilot, lambda: table_names(screen) == ["nightly"], what="the stored schedule listed")
        assert "no schedule" not in str(screen.query_one("#schedules-note").render())

        await pilot.press("a")
        from igtk_tui.tui.screens.schedule_form import ScheduleForm

        form = await wait_until(pilot, lambda: isinstance(app.screen, ScheduleForm) and app.screen, what="the form")
        shown = await wait_until(pilot, lambda: str(form.query_one("#sched-notify-on #label").render()))
        assert shown == "default ([notify] on)", shown  # the settings table's name, not read as markup
        labels = " ".join(str(label.render()) for label in form.query(".form-label"))
        assert "(empty: the [notify] default)" in labels, labels
        form.query_one("#sched-name").value = "quarterly"
        form.query_one("#sched-playbook").value = playbook
        form.query_one("#sched-cron").value = "61 * * * *"
        form.query_one("#sched-tz").value = "Europe/Berlin"
        form.query_one("#sched-enabled").value = False
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "--cron" in str(form.query_one("#sched-error").render()),
                         what="the cron error in the form")
        assert app.screen is form and "quarterly" not in stored(home)
        form.query_one("#sched-cron").value = "*/15 * * * *"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, what="the form to close")
        await wait_until(pilot, lambda: table_names(screen) == ["nightly", "quarterly"], what="the new schedule")
        assert stored(home)["quarterly"]["cron"] == "*/15 * * * *" and stored(home)["quarterly"]["enabled"] == 0

        await select(pilot, screen, "quarterly")
        await pilot.press("enter")  # edit: the same form, the name fixed
        form = await wait_until(pilot, lambda: isinstance(app.screen, ScheduleForm) and app.screen,
                                what="the edit form")
        assert form.query_one("#sched-name").disabled and form.query_one("#sched-cron").value == "*/15 * * * *"
        form.query_one("#sched-cron").value = "@hourly"
        form.query_one("#sched-overlap").value = "queue"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen, what="the edit form to close")
        assert stored(home)["quarterly"]["cron"] == "@hourly" and stored(home)["quarterly"]["overlap"] == "queue"

        await select(pilot, screen, "nightly")
        await pilot.press("space")  # enable: next fire times appear (and the agent is started to fire it)
        await wait_until(pilot, lambda: stored(home)["nightly"]["enabled"] == 1, what="nightly enabled")
        await wait_until(pilot, lambda: screen.listing.rows[0].schedule.enabled and len(screen.listing.rows[0].next_fires) == 3,
                         what="three next fire times")
        await pilot.press("space")
        await wait_until(pilot, lambda: stored(home)["nightly"]["enabled"] == 0, what="nightly disabled")

        await select(pilot, screen, "quarterly")
        await pilot.press("delete")
        await pilot.press("y")
        await wait_until(pilot, lambda: "quarterly" not in stored(home), what="quarterly deleted")
        await wait_until(pilot, lambda: table_names(screen) == ["nightly"], what="the list without it")


async def test_run_now_shows_the_run_with_its_schedule_trigger(runtime, home: Path, tmp_path: Path) -> None:
    from igtk_tui.tui.render import execution_label

    agent = AgentHandle.start(home)
    try:
        playbook = str(write_playbook(tmp_path))  # a long nap: live while the TUI follows the agent
        add("hourly", "--cron", "@hourly", playbook, "--tz", "UTC", home=home)
        app = IgtkApp(runtime)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_schedules(pilot, app)
            await wait_until(pilot, lambda: table_names(screen) == ["hourly"], what="the schedule listed")
            await select(pilot, screen, "hourly")
            await pilot.press("n")
            view = await wait_until(pilot, lambda: next((v for v in app.executions.views.values()
                                                         if v.trigger == "schedule: hourly"), None),
                                    what="the scheduled run in the executions pane", timeout=60)
            assert "schedule: hourly" in execution_label(view, 0.0).plain
            await wait_until(pilot, lambda: screen.listing.rows and screen.listing.rows[0].last is not None
                             and screen.listing.rows[0].last.outcome == "running", what="the fire listed running",
                             timeout=30)
            await pilot.press("escape")
            from igtk_tui.tui.widgets.executions_bar import ExecutionsBar

            bar = app.main_screen.query_one(ExecutionsBar)
            await wait_until(pilot, lambda: any("schedule: hourly" in str(bar.get_option_at_index(i).prompt)
                                                for i in range(bar.option_count)),
                             what="the trigger in the executions bar")
            assert app.executions.control(view.id, "cancel")
            await wait_until(pilot, lambda: view.status == "cancelled", what="the run cancelled in the agent")
    finally:
        stop_agent(agent)
