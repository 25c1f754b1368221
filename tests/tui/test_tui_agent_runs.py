"""Runs started from the TUI live in a real agent process (over its real socket): the vault
handed to the agent (and never leaked), a debug pause that waits for the next TUI, the notice of
what was interrupted since the last visit, and resume from the recorded text (refused after a
rollback), through the same engine/replay.py as `igtk resume`."""

from __future__ import annotations

import json
import os
import signal
import textwrap
from pathlib import Path

from agent_helpers import AgentHandle, igtk, kind_is, wait_event, wait_gone, write_playbook
from tui_helpers import (
    PASSPHRASE,
    library_ready,
    make_runtime,
    select_playbook,
    start_playbook,
    wait_for_message,
    wait_step,
    wait_until,
)

from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.messages import ExecutionEnded
from igtk_tui.tui.screens.confirm import ConfirmScreen
from igtk_tui.tui.screens.debug_pause import DebugPauseScreen
from igtk_tui.tui.screens.params_form import ParamsForm
from igtk_tui.tui.screens.quit import QuitScreen
from igtk_tui.tui.screens.unlock import UnlockScreen


def every_file_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.name.endswith(".sock"))


async def run_with_credential(pilot, app, name: str, messages: list) -> ExecutionEnded:
    await select_playbook(pilot, app, "flows/with_credential.yaml")
    await pilot.press("enter")
    form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
    form.query_one("#param-gateway").value = name
    before = {m.execution_id for m in messages if isinstance(m, ExecutionEnded)}
    await pilot.press("ctrl+r")
    return await wait_for_message(pilot, messages, ExecutionEnded, timeout=40,
                                  where=lambda m: m.execution_id not in before)


async def test_the_tui_hands_the_passphrase_to_the_agent_which_never_leaks_it(home, fast_kdf) -> None:
    from igtk_tui.vault import Credential, Vault

    seeded = make_runtime(home, vault=True)
    vault = Vault.open(seeded.paths, env=seeded.env, backend="file")
    vault.add(Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    runtime = make_runtime(home)  # no passphrase anywhere: the TUI and its agent start locked
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 40), message_hook=messages.append) as pilot:
        await library_ready(pilot, app)
        await wait_until(pilot, lambda: app.vault_state == "locked")
        await select_playbook(pilot, app, "flows/with_credential.yaml")
        await pilot.press("enter")
        form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen)
        form.query_one("#param-gateway").value = "plant-gw"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockScreen), what="the unlock box")
        await pilot.press(*PASSPHRASE, "enter")
        ended = await wait_for_message(pilot, messages, ExecutionEnded, timeout=40)
        assert ended.status == "completed", app.executions.views[ended.execution_id].error
        status = json.loads(igtk(home, "agent", "status", "--json").stdout)
        assert status["vault"]["state"] == "unlocked" and "encrypted file" in status["vault"]["backend"]
        # A credential added after the agent unlocked is seen by its next run (it re-reads the file).
        app.vault.add(Credential("late-gw", "basic", "late-operator", "late-canary-456"))  # as the vault screen does
        app.vault_ui.opened(app.vault)
        await wait_until(pilot, lambda: "late-gw" in [c.name for c in app.vault_infos])
        again = await run_with_credential(pilot, app, "late-gw", messages)
        assert again.status == "completed", app.executions.views[again.execution_id].error
        view = app.executions.views[again.execution_id]
        assert any("late-operator" in line.text for line in view.logs)
        printed = igtk(home, "agent", "status", "--json").stdout + igtk(home, "ps", "--json").stdout
    # The canary: neither the passphrase nor a secret in the agent's log, the database, the process
    # logs, or what `agent status` / `ps` print.
    everything = every_file_under(home / "state") + b"".join(p.read_bytes() for p in (home / "data").glob("igtk.db*"))
    for secret in (PASSPHRASE, "pw-canary-123", "late-canary-456"):
        assert secret.encode() not in everything, secret
        assert secret not in printed, secret


async def test_a_debug_pause_of_a_form_started_run_waits_for_the_next_tui(runtime) -> None:
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 40)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "flows/failing.yaml", debug=True)
        await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen), what="the debug pause", timeout=30)
        await pilot.press("escape")  # close the view (the run stays paused), then leave it to the agent
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen))
        await pilot.press("d")
        await wait_until(pilot, lambda: not app.is_running, timeout=30)
    assert view.status == "paused"
    second = IgtkApp(runtime)
    async with second.run_test(size=(100, 40)) as pilot:
        again = await wait_until(pilot, lambda: second.executions.views.get(view.id), what="the paused run")
        await wait_until(pilot, lambda: isinstance(second.screen, DebugPauseScreen) and again.pause is not None
                         and second.screen.pause is again.pause, what="the pause shown to the next TUI", timeout=30)
        assert again.pause.reason == "debug"
        second.executions.control(view.id, "cancel")
        await wait_until(pilot, lambda: not again.live, timeout=30)


async def test_start_says_what_was_interrupted_since_the_last_visit(runtime, agent: AgentHandle,
                                                                    tmp_path: Path) -> None:
    first = IgtkApp(runtime)
    async with first.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, first)
        await pilot.press("q")  # the visit ends: marker written
        await wait_until(pilot, lambda: not first.is_running)
    execution_id = agent.detach(write_playbook(tmp_path))
    wait_event(agent, execution_id, kind_is("step_started", step_id="nap"))
    os.kill(agent.pid, signal.SIGKILL)  # the agent dies (OOM, reboot) while nobody watches
    wait_gone(agent)
    assert igtk(agent.home, "history").returncode == 0  # another command recovers it: marked interrupted
    second = IgtkApp(runtime)
    async with second.run_test(size=(100, 30), notifications=True) as pilot:
        await library_ready(pilot, second)
        note = await wait_until(pilot, lambda: next((n for n in second._notifications
                                                     if "since your last visit" in n.message), None))
        assert note.message.startswith("1 execution(s) were interrupted") and "press h" in note.message


ROLLING = """\
    name: Text that changes
    version: 1
    steps:
      - {id: a, name: first, type: utility.log, parameters: {message: start}}
      - {id: b, name: the tail, type: utility.log, parameters: {message: "TAIL-TEXT"}}
    """


async def test_resume_continues_the_recorded_text_and_is_refused_after_a_rollback(runtime) -> None:
    playbook = runtime.paths.user_playbooks_dir / "mine" / "changing.yaml"
    playbook.parent.mkdir(parents=True)
    playbook.write_text(textwrap.dedent(ROLLING).replace("TAIL-TEXT", "recorded tail"), encoding="utf-8")
    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append, notifications=True) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "mine/changing.yaml", breakpoints="b")
        await wait_until(pilot, lambda: view.pause is not None and view.pause.reason == "breakpoint", timeout=30)
        await wait_until(pilot, lambda: isinstance(app.screen, DebugPauseScreen))
        await pilot.press("escape")
        app.executions.control(view.id, "cancel")
        await wait_for_message(pilot, messages, ExecutionEnded, where=lambda m: m.execution_id == view.id)
        playbook.write_text(textwrap.dedent(ROLLING).replace("TAIL-TEXT", "edited tail"), encoding="utf-8")
        app.main_screen.select_execution(view.id)
        await pilot.press("r")
        confirm = await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
        assert "from step b" in "\n".join(str(w.render()) for w in confirm.query("Static"))
        await pilot.press("y")
        resumed = await wait_for_message(pilot, messages, ExecutionEnded, timeout=30,
                                         where=lambda m: m.execution_id != view.id)
        new = app.executions.views[resumed.execution_id]
        assert resumed.status == "completed"
        assert any("recorded tail" in line.text for line in new.logs), [line.text for line in new.logs]
        assert not any("edited tail" in line.text for line in new.logs)
        assert (await app.store.executions.get(new.id)).summary.resumed_from == view.id
        # An execution that rolled back is refused, with the reason, and nothing starts.
        rolled = await rolled_back_execution(runtime)
        before = set(app.executions.views)
        app.resume_execution(rolled)
        note = await wait_until(pilot, lambda: next((n for n in app._notifications
                                                     if "rolled back" in n.message), None))
        assert f"igtk rerun {rolled[:8]}" in note.message
        await pilot.pause()
        assert set(app.executions.views) == before and not isinstance(app.screen, ConfirmScreen)


async def rolled_back_execution(runtime) -> str:
    """A recorded run of the shipped rollback example that failed and rolled back."""
    from igtk_tui.engine.events import EventBus
    from igtk_tui.playbook.loader import load_file

    store = await runtime.open_store()
    recorder = store.recorder()
    bus = EventBus()
    bus.subscribe(recorder)
    playbook = load_file(Path(__file__).parents[2] / "playbooks" / "examples" / "rollback.yaml")
    execution = runtime.new_execution(playbook, {"simulate_failure": True}, bus=bus, trigger="test")
    await execution.run()
    await recorder.flush()
    return execution.id


async def test_a_dead_agent_is_said_its_run_shown_interrupted_and_r_resumes_it_in_a_new_agent(runtime) -> None:
    from igtk_tui.agent.location import AgentLocation

    app = IgtkApp(runtime)
    messages: list = []
    async with app.run_test(size=(100, 30), message_hook=messages.append, notifications=True) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        location = AgentLocation.of(runtime.paths)
        pid = location.holder_pid()
        os.kill(pid, signal.SIGKILL)  # OOM, a reboot: the agent dies with the run in flight
        await wait_until(pilot, lambda: view.status == "interrupted", what="the run shown interrupted", timeout=30)
        assert view.steps["wait"].status == "interrupted"  # not left `running`, its elapsed frozen
        await wait_until(pilot, lambda: any("lost the agent" in n.message for n in app._notifications))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=30)
        await pilot.press("y")
        resumed = await wait_until(pilot, lambda: [v for v in app.executions.views.values() if v.id != view.id])
        await wait_step(pilot, resumed[0], "wait", "running", timeout=30)
        assert resumed[0].steps["first"].status == "completed"  # restored from the record
        assert location.holder_pid() != pid
        app.executions.control(resumed[0].id, "cancel")
        await wait_until(pilot, lambda: not resumed[0].live, timeout=30)
        assert (await app.store.executions.get(view.id)).status == "interrupted"
