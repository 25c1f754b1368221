"""A third-party step pack registers through the `igtk.steps` entry-point group.

The plugin is a real distribution on sys.path (a package plus its `.dist-info`
with `entry_points.txt`, which is what pip leaves behind), used by a real
`igtk` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN = '''\
"""acme_steps: a tiny igtk step pack."""

from igtk_tui.steps.registry import Param, step


@step(
    "acme.hello",
    description="Greet someone (from the acme pack).",
    params=[Param("who", "string", required=True, description="Who to greet"),
            Param("times", "integer", default=1, min=1)],
    outputs=["greeting"],
)
async def hello(ctx, who, times=1):
    text = " ".join([f"hello {who}"] * times)
    ctx.log(text)
    return {"greeting": text}
'''


def install_plugin(site: Path, *, broken: bool = False) -> None:
    pkg = site / "acme_steps"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(PLUGIN if not broken else "raise RuntimeError('acme is broken')\n")
    info = site / "acme_steps-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-steps\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[igtk.steps]\nacme = acme_steps\n")
    (info / "top_level.txt").write_text("acme_steps\n")


def run_igtk(*args: str, site: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}
    env.update({"IGTK_HOME": str(home), "PYTHONPATH": str(site)})
    return subprocess.run([sys.executable, "-m", "igtk_tui", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def test_a_plugin_step_runs_and_is_in_the_schema(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site)
    home = tmp_path / "home"
    pb = tmp_path / "hello.yaml"
    pb.write_text(textwrap.dedent("""\
        name: Hello
        version: 1
        steps:
          - {id: greet, name: greet, type: acme.hello, parameters: {who: operators, times: "2"}}
          - {id: after, name: after, type: utility.log, parameters: {message: "{{ step.greet.greeting }}!"}}
        """))
    proc = run_igtk("run", str(pb), "--json", site=site, home=home)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    greet = next(e for e in events if e["event"] == "step_finished" and e["step_id"] == "greet")
    assert greet["status"] == "completed" and greet["output"] == {"greeting": "hello operators hello operators"}
    after = next(e for e in events if e["event"] == "step_finished" and e["step_id"] == "after")
    assert after["output"]["logged"] == "hello operators hello operators!"
    # Validation knows the plugin's parameter schema like a built-in's.
    bad = tmp_path / "bad.yaml"
    bad.write_text(pb.read_text().replace("who: operators", "whom: operators"))
    proc = run_igtk("validate", str(bad), site=site, home=home)
    assert proc.returncode == 2
    assert "unknown parameter 'whom' for acme.hello (did you mean 'who'?)" in proc.stdout
    # igtk schema lists it, with its parameters.
    schema = json.loads(run_igtk("schema", site=site, home=home).stdout)
    assert "acme.hello" in schema["$defs"]["step"]["properties"]["type"]["enum"]
    variant = next(v for v in schema["$defs"]["step"]["allOf"] if v["if"]["properties"]["type"]["const"] == "acme.hello")
    assert set(variant["then"]["properties"]["parameters"]["properties"]) == {"who", "times"}
    steps = run_igtk("schema", "--steps", site=site, home=home).stdout
    assert "acme.hello: Greet someone (from the acme pack)." in steps
    # Without the plugin installed the step type is unknown.
    proc = run_igtk("validate", str(pb), site=tmp_path / "empty", home=home)
    assert proc.returncode == 2 and "unknown step type 'acme.hello'" in proc.stdout


def test_a_broken_plugin_does_not_break_the_tool(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site, broken=True)
    pb = tmp_path / "pb.yaml"
    pb.write_text("name: X\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, parameters: {message: hi}}\n")
    proc = run_igtk("run", str(pb), site=site, home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    code = ("from igtk_tui.steps.registry import REGISTRY; REGISTRY.names(); print(REGISTRY.load_errors)")
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60).stdout
    assert "step plugin 'acme' failed to load: acme is broken" in out
