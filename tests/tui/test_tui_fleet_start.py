"""Starting a fleet run from the TUI (fleet runs screen, `n`): the form's request goes to a real agent
process, which checks it as `igtk run --on ... --detach` does (a bad target keeps the form open, named)
and coordinates the run; the TUI then shows that run's gateways."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tui_helpers import PASSPHRASE, library_ready, make_runtime, wait_until

from igtk_tui.tui.app import IgtkApp

NAP = """\
    name: Fleet nap
    version: "1"
    parameters:
      - {name: gateway_url, type: string, required: false}
      - {name: seconds, type: float, default: 0}
    steps:
      - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: "{{ parameter.seconds }}"}}
    """


def _prepare(home: Path) -> tuple[object, Path]:
    from igtk_tui.vault import Credential, Vault
    from igtk_tui.vault.kdf import CHEAP_TEST_KDF

    runtime = make_runtime(home, vault=True)
    vault = Vault.open(runtime.paths, env={}, passphrase=PASSPHRASE, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("fleet", "api-token", "igtk", "fleet-token-secret"))
    inventory = runtime.paths.inventory_file
    inventory.parent.mkdir(parents=True, exist_ok=True)
    inventory.write_text("".join(f'[gateways.gw{n}]\nurl = "http://127.0.0.1:{9100 + n}"\ncredential = "fleet"\n'
                                 f'groups = ["plant"]\n' for n in range(1, 5)), encoding="utf-8")
    playbook = home / "nap.yaml"
    playbook.write_text(textwrap.dedent(NAP), encoding="utf-8")
    return runtime, playbook


async def test_the_fleet_form_starts_a_run_through_the_agent(home: Path) -> None:
    from igtk_tui.tui.screens.fleet import FleetScreen
    from igtk_tui.tui.screens.fleet_form import FleetForm
    from igtk_tui.tui.screens.fleets import FleetRunsScreen

    runtime, playbook = _prepare(home)
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("F")
        runs = await wait_until(pilot, lambda: isinstance(app.screen, FleetRunsScreen) and app.screen,
                                what="the fleet runs screen")
        await pilot.press("n")
        form = await wait_until(pilot, lambda: isinstance(app.screen, FleetForm) and app.screen, what="the form")
        form.query_one("#fleet-playbook").value = str(playbook)
        form.query_one("#fleet-targets").value = "plant, nowhere"
        form.query_one("#fleet-serial").value = "2"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "'nowhere' is not a gateway" in str(form.query_one("#fleet-error").render()),
                         what="the agent's refusal in the form", timeout=60)
        assert app.screen is form
        form.query_one("#fleet-targets").value = "plant"
        await pilot.press("ctrl+r")
        view = await wait_until(pilot, lambda: isinstance(app.screen, FleetScreen) and app.screen,
                                what="the new run's gateways", timeout=60)
        # The view polls the store while the run is live: it shows every gateway's end.
        detail = await wait_until(pilot, lambda: view.detail is not None and view.detail.summary.status != "running"
                                  and view.detail, what="the run to end in the view", timeout=60)
        assert (detail.summary.status, detail.summary.completed, detail.summary.total) == ("completed", 4, 4)
        assert [m.batch for m in detail.members] == [1, 1, 2, 2]
        rows = await app.store.db.fetchall("SELECT owner_pid, trigger FROM executions WHERE fleet_run_id = ?",
                                           (view.run_id,))
        assert len(rows) == 4 and {r["trigger"] for r in rows} == {"fleet"}
        assert runs.rows is not None
