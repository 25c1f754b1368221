"""A third-party step pack registers through the `igtk.steps` entry-point group.

The plugin is a real distribution on sys.path (a package plus its `.dist-info`
with `entry_points.txt`, which is what pip leaves behind), used by a real
`igtk` process."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.support.cli import Igtk

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
    proc = Igtk(home, PYTHONPATH=str(site))("run", str(pb), "--json")
    assert proc.code == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    greet = next(e for e in events if e["event"] == "step_finished" and e["step_id"] == "greet")
    assert greet["status"] == "completed" and greet["output"] == {"greeting": "hello operators hello operators"}
    after = next(e for e in events if e["event"] == "step_finished" and e["step_id"] == "after")
    assert after["output"]["logged"] == "hello operators hello operators!"
    # Validation knows the plugin's parameter schema like a built-in's.
    bad = tmp_path / "bad.yaml"
    bad.write_text(pb.read_text().replace("who: operators", "whom: operators"))
    proc = Igtk(home, PYTHONPATH=str(site))("validate", str(bad))
    assert proc.code == 2
    assert "unknown parameter 'whom' for acme.hello (did you mean 'who'?)" in proc.stdout
    # igtk schema lists it, with its parameters.
    schema = json.loads(Igtk(home, PYTHONPATH=str(site))("schema").stdout)
    assert "acme.hello" in schema["$defs"]["step"]["properties"]["type"]["enum"]
    variant = next(v for v in schema["$defs"]["step"]["allOf"] if v["if"]["properties"]["type"]["const"] == "acme.hello")
    assert set(variant["then"]["properties"]["parameters"]["properties"]) == {"who", "times"}
    steps = Igtk(home, PYTHONPATH=str(site))("schema", "--steps").stdout
    assert "acme.hello: Greet someone (from the acme pack)." in steps
    # Without the plugin installed the step type is unknown.
    proc = Igtk(home, PYTHONPATH=str(tmp_path / "empty"))("validate", str(pb))
    assert proc.code == 2 and "unknown step type 'acme.hello'" in proc.stdout


def test_a_broken_plugin_does_not_break_the_tool(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_plugin(site, broken=True)
    pb = tmp_path / "pb.yaml"
    pb.write_text("name: X\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, parameters: {message: hi}}\n")
    proc = Igtk(tmp_path / "home", PYTHONPATH=str(site))("run", str(pb))
    assert proc.code == 0, proc.stderr
    code = ("from igtk_tui.steps.registry import REGISTRY; REGISTRY.names(); print(REGISTRY.load_errors)")
    out = Igtk(tmp_path / "home", PYTHONPATH=str(site)).python(code).stdout
    assert "step plugin 'acme' failed to load: acme is broken" in out
