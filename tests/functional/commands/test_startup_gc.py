"""The collector is paused only while a command starts: `igtk run` runs its steps with it
on, and `cli.main` leaves it as it found it (a paused collector in a long run would let
cyclic garbage pile up for hours)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.cli import main
from igtk_tui.engine.context import StepContext
from igtk_tui.steps.registry import REGISTRY, step
from tests.support.playbooks import write_playbook

SEEN: list[bool] = []

if REGISTRY.get("test.gc_state") is None:

    @step("test.gc_state", description="Record whether the cyclic collector runs.", params=[], outputs=["enabled"])
    async def _gc_state(ctx: StepContext) -> dict[str, Any]:
        SEEN.append(gc.isenabled())
        return {"enabled": SEEN[-1]}


@pytest.mark.parametrize("before", [True, False], ids=["collector-on", "collector-off"])
def test_igtk_run_steps_run_with_the_collector_and_main_restores_it(tmp_path: Path, before: bool,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    playbook = write_playbook(tmp_path, """\
        name: GC state
        version: 1
        steps:
          - {id: probe, name: probe, type: test.gc_state}
        """, "gc.yaml")
    SEEN.clear()
    (gc.enable if before else gc.disable)()
    try:
        code = main(["run", str(playbook)])
        after = gc.isenabled()
    finally:
        gc.enable()
    assert code == 0, capsys.readouterr().err
    assert SEEN == [True], "the engine ran its step with the collector paused"
    assert after is before
