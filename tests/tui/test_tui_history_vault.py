"""History paging from SQL (keyset pages, loaded near the end, filters),
parameter presets in the store (secrets never stored), and the vault in the
run flow (credential picker, unlock before a run that needs it)."""

from __future__ import annotations

from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded
from igtk_tui.tui.screens import history as history_module
from igtk_tui.tui.screens.confirm import ConfirmScreen
from igtk_tui.tui.screens.history import HistoryScreen
from igtk_tui.tui.screens.params_form import ParamsForm
from igtk_tui.tui.screens.prompt import PromptScreen
from igtk_tui.tui.screens.unlock import UnlockScreen
from igtk_tui.tui.widgets.log_view import LogView
from tests.support.tui import PASSPHRASE, library_ready, make_runtime, select_playbook, wait_for_message, wait_until


async def _seed_history(runtime, count: int, failing_every: int = 5) -> list[str]:
    """Real executions recorded by the real recorder (no hand-written rows)."""
    from igtk_tui.engine.events import EventBus
    from igtk_tui.playbook.loader import load_file

    store = await runtime.open_store()
    recorder = store.recorder()
    ids = []
    quick = load_file(runtime.library.find("utility/quick.yaml"))
    for i in range(count):
        bus = EventBus()
        bus.subscribe(recorder)
        params = {"greeting": f"run {i}"}
        execution = runtime.new_execution(quick, params, bus=bus, trigger="test")
        if i % failing_every == 0:
            execution.cancel()
        await execution.run()
        ids.append(execution.id)
    await recorder.close()
    await runtime.close()
    return ids


async def test_history_pages_from_sql_and_filters(runtime, monkeypatch) -> None:
    monkeypatch.setattr(history_module, "PAGE", 20)
    monkeypatch.setattr(history_module, "NEAR_END", 5)
    ids = await _seed_history(runtime, 50)
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("h")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await wait_until(pilot, lambda: len(screen.rows) == 20)
        assert screen.shown[0].id == ids[-1]  # newest first
        await pilot.press("G")  # near the end: the next page is fetched
        await wait_until(pilot, lambda: len(screen.rows) == 40)
        await pilot.press("G")
        await wait_until(pilot, lambda: len(screen.rows) == 50 and not screen.has_more)
        await pilot.press("S")  # status filter: completed (in SQL)
        await wait_until(pilot, lambda: screen.status == "completed" and len(screen.rows) == 20)
        assert all(r.status == "completed" for r in screen.rows)
        await pilot.press("S")  # failed: none
        await wait_until(pilot, lambda: screen.status == "failed" and not screen.loading_page)
        await pilot.press("S")  # cancelled
        await wait_until(pilot, lambda: screen.status == "cancelled" and len(screen.rows) == 10)
        await pilot.press("slash", *ids[0][:8])
        await wait_until(pilot, lambda: [r.id for r in screen.shown] == [ids[0]])


async def test_presets_are_saved_without_secrets_and_fill_the_form(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        await select_playbook(pilot, app, "utility/typed.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        form.query_one("#param-target").value = "line-7"
        form.query_one("#param-count").value = "4"
        form.query_one("#param-api_password").value = "preset-canary-pw"
        await pilot.press("ctrl+s")
        prompt = await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen)
        prompt.query_one("#prompt-input").value = "line 7"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "line 7" in form.presets)
        stored = await app.store.presets.get("utility/typed.yaml", "line 7")
        assert stored.params["target"] == "line-7" and stored.params["count"] == "4"
        assert "api_password" not in stored.params
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        await wait_until(pilot, lambda: "line 7" in form.presets)
        form.query_one("#preset").value = "line 7"
        await wait_until(pilot, lambda: form.query_one("#param-target").value == "line-7")
        assert form.query_one("#param-count").value == "4"
        assert form.query_one("#param-api_password").value == ""


async def test_credential_picker_runs_with_the_vault_and_never_shows_the_secret(home, fast_kdf) -> None:
    from igtk_tui.vault import Credential, Vault

    runtime = make_runtime(home, vault=True)
    Vault.open(runtime.paths, env=runtime.env, backend="file").add(
        Credential("plant-gw", "basic", "operator7", "pw-canary-123", "http://gw:8088"))
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 40), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "open")
        await select_playbook(pilot, app, "flows/with_credential.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        form.query_one("#param-gateway").value = "plant-gw"
        await pilot.press("ctrl+r")
        ended = await wait_for_message(pilot, messages, ExecutionEnded)
        assert ended.status == "completed", app.executions.views[ended.execution_id].error
        log = app.screen.query_one(LogView)
        await wait_until(pilot, lambda: any("operator7" in line for line in log.lines))
        assert all("pw-canary-123" not in line for line in log.lines)
        assert "pw-canary-123" not in app.export_screenshot()


async def test_a_run_that_needs_the_vault_asks_to_unlock_first(home, fast_kdf) -> None:
    from igtk_tui.vault import Credential, Vault

    seeded = make_runtime(home, vault=True)
    Vault.open(seeded.paths, env=seeded.env, backend="file").add(
        Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    app = IgtkApp(make_runtime(home))  # no passphrase in the environment: locked
    messages: list = []
    async with app.run_test(size=(100, 40), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "locked")
        await select_playbook(pilot, app, "flows/with_credential.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        form.query_one("#param-gateway").value = "plant-gw"  # typed: the vault is locked
        await pilot.press("ctrl+r")
        unlock = await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen) and app.screen)
        await pilot.press(*"wrong-passphrase", "enter")
        await wait_until(pilot, lambda: "✗" in str(unlock.query_one("#unlock-error").render()), timeout=20)
        await pilot.press(*PASSPHRASE, "enter")
        ended = await wait_for_message(pilot, messages, ExecutionEnded, timeout=30)
        assert ended.status == "completed"
        assert app.vault_state == "open" and [c.name for c in app.vault_infos] == ["plant-gw"]


async def test_runs_left_by_a_dead_process_are_listed_interrupted_and_r_resumes_them(runtime) -> None:
    """Crash recovery: a row left `running` by a process that is gone shows as interrupted; r resumes it."""
    from igtk_tui.engine.events import ExecutionStarted, StepFinished, StepInfo, StepStarted, StepStatus
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.store.owner import ProcessIdentity
    from igtk_tui.store.recorder import Recorder

    playbook = load_file(runtime.library.find("utility/slow.yaml"))
    store = await runtime.open_store()
    dead = ProcessIdentity(host=ProcessIdentity.current().host, user="x", pid=2**22 + 12345, start=None)
    recorder = Recorder(store.db, artifacts_root=runtime.paths.artifacts_dir, owner=dead)
    eid = "0badcafe-0000-4000-8000-000000000001"
    steps = tuple(StepInfo(s.id, s.id, s.name, s.type) for s in playbook.steps)
    for event in (
        ExecutionStarted(eid, playbook=playbook.name, playbook_path=str(playbook.path),
                         playbook_hash=playbook.content_hash, parameters={"seconds": 30.0}, steps=steps,
                         playbook_source=playbook.source),
        StepStarted(eid, step_id="first", attempt=1, max_attempts=1),
        StepFinished(eid, step_id="first", status=StepStatus.COMPLETED, output={"logged": "x"}, error=None,
                     attempts=1, duration=0.01),
        StepStarted(eid, step_id="wait", attempt=1, max_attempts=1),
    ):
        recorder(event)
    await recorder.close()
    await runtime.close()  # the process "dies" here: the row stays running

    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await library_ready(pilot, app)
        view = await wait_until(pilot, lambda: app.executions.views.get(eid), what="the recovered execution")
        assert view.status == "interrupted" and view.steps["wait"].status == "interrupted"
        await wait_until(pilot, lambda: any("interrupted" in n.message for n in app._notifications))
        from igtk_tui.tui.widgets.executions_bar import ExecutionsBar

        await wait_until(pilot, lambda: app.screen.query_one(ExecutionsBar).option_count == 1)
        await pilot.press("e")  # the executions list: pick it and open it
        await pilot.press("enter")
        assert app.main_screen.selected_id == eid
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        resumed = await wait_until(pilot, lambda: [v for v in app.executions.views.values() if v.id != eid])
        new = resumed[0]
        await wait_until(pilot, lambda: new.steps.get("wait") is not None and new.steps["wait"].status == "running")
        assert new.steps["first"].status == "completed"
        app.executions.control(new.id, "cancel")
        await wait_until(pilot, lambda: not new.live)
        detail = await app.store.executions.get(new.id)
        assert detail.summary.resumed_from == eid


async def test_the_detail_lists_a_rollback_in_execution_order_marked_and_counts_the_failure(runtime) -> None:
    from pathlib import Path

    from igtk_tui.engine.events import EventBus
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.tui.screens.execution_detail import ExecutionDetailScreen

    store = await runtime.open_store()
    recorder = store.recorder()
    bus = EventBus()
    bus.subscribe(recorder)
    playbook = load_file(Path(__file__).parents[2] / "playbooks" / "examples" / "rollback.yaml")
    execution = runtime.new_execution(playbook, {"simulate_failure": True}, bus=bus, trigger="test")
    await execution.run()
    await recorder.close()
    await runtime.close()
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        detail = ExecutionDetailScreen(execution.id)
        app.push_screen(detail)
        await wait_until(pilot, lambda: detail.detail is not None)
        table = detail.query_one("#detail-steps")
        names = [str(table.get_row_at(i)[1]).strip() for i in range(table.row_count)]
        assert names == ["Take the maintenance lock", "Change a setpoint", "Verify the change (fails on request)",
                         "Restore the old setpoint (rollback)", "Release the maintenance lock (rollback)",
                         "Tell the operator (rollback)"]
        summary = str(detail.query_one("#detail-summary").content)
        assert "failed steps 1" in summary
