"""designer.* steps of the earlier toolkit: they load, with its parameters, and fail when run.

The earlier toolkit drove the Ignition Designer as a desktop program (X11 or
Windows window automation around the Designer Launcher). igtk runs on headless
plant servers and jump hosts over SSH, with no desktop session, so these steps
cannot do their work here; they fail saying what they need instead of
pretending.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.registry import Param, step

NEEDS = ("needs a desktop session with the Ignition Designer Launcher installed (a display and window "
         "automation); igtk runs headless and does not drive the Designer: run this part from that desktop")


PROJECT = Param("project_name", "string", description="The project to open")
LOGIN = (Param("username", "string", description="Designer user"),
         Param("password", "string", secret=True, description="Designer user's password"))


def _timeout(default: float) -> Param:
    return Param("timeout", "number", default=default, unit="s", min=0, description="Seconds to wait for the window")


def _designer(name: str, description: str, params: list[Param]) -> None:
    @step(name, description=description + " Needs a desktop session with the Designer Launcher.",
          params=params)  # no outputs: the step always fails
    async def handler(ctx: StepContext, **_: Any) -> dict[str, Any]:  # the parameters load, and are not used
        raise StepFailure(f"{name} {NEEDS}")


_designer("designer.launch", "Start the Designer from a launcher file (.jnlp, .exe or other).",
          [Param("launcher_file", "string", required=True, description="Launcher file to run")])
_designer("designer.launch_shortcut", "Start the Designer Launcher with a shortcut command line and open a project.",
          [Param("designer_shortcut", "string", required=True, description="designerlauncher command line"),
           PROJECT, Param("gateway_credential", "any", description="The credential to sign in with"),
           *LOGIN, _timeout(60)])
_designer("designer.login", "Sign in to the Designer's login dialog.",
          [*LOGIN, _timeout(30)])
_designer("designer.open_project", "Open a project in the Designer's project selector.",
          [PROJECT, _timeout(30)])
_designer("designer.close", "Close the Designer.", [])
_designer("designer.screenshot", "Capture the Designer window.", [Param("name", "string", description="Screenshot name")])
_designer("designer.wait", "Wait for the Designer window.", [_timeout(30)])
