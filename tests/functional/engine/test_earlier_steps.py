"""Earlier-format step behaviour at run time: designer.* fails saying why
(no fake success; fat.* is tested with the reports), the earlier defaults apply, and scripts get subprocess/asyncio
only in the earlier format."""

from __future__ import annotations

from pathlib import Path

from igtk_tui.engine.events import ExecutionStatus, StepStatus
from tests.support.engine import finish, load, make, start

EARLIER = """\
name: Earlier steps
version: "1.0"
domain: designer
steps:
  - id: launch
    name: "Step 1: Launch Designer"
    type: designer.launch_shortcut
    on_failure: continue
    parameters: {designer_shortcut: "designerlauncher.exe -Dgateway=gw", project_name: Line1}
  - id: nap
    name: "Step 3: Nap"
    type: utility.sleep
    parameters: {seconds: 0}
  - id: script
    name: "Step 4: Script"
    type: utility.python
    parameters:
      script: |
        print("names=" + subprocess.__name__ + "," + asyncio.__name__)
"""


async def test_designer_fails_clearly_and_earlier_scripts_get_subprocess(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, EARLIER), tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED and result.failed_steps == 1
    launch = rec.step("launch")
    assert launch.status == StepStatus.FAILED and launch.attempts == 1
    assert launch.error.startswith("designer.launch_shortcut needs a desktop session with the Ignition Designer "
                                   "Launcher installed")
    assert rec.step("script").output["names"] == "subprocess,asyncio"


async def test_igtk_format_scripts_do_not_get_the_earlier_names(tmp_path: Path) -> None:
    own = EARLIER.replace("domain: designer\n", "").split("  - id: nap")[0].split("steps:\n")[0]
    own += 'steps:\n  - {id: script, name: s, type: utility.python, parameters: {script: "print(subprocess)"}}\n'
    execution, rec = make(load(tmp_path, own), tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED
    assert "NameError: name 'subprocess' is not defined" in rec.step("script").error
