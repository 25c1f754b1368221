"""Playbooks written for the earlier toolkit load unchanged, and the utility-only ones run;
`igtk migrate` turns their pasted-in script references into data with the same results."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.engine.events import ExecutionStatus
from igtk_tui.playbook.loader import load_file
from igtk_tui.playbook.migrate import migrate_file
from igtk_tui.playbook.refs import REF_RE
from igtk_tui.steptypes import REGISTRY
from tests.support.engine import TinyCredential, TinyProvider, finish, make, start

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy"
ALL = sorted(p.name for p in LEGACY.glob("*.yaml"))
UTILITY_ONLY = ("module_detect.yaml", "module_upgrade_sim.yaml", "designer_prep.yaml", "trial_status_check.yaml",
                "backup_verify.yaml", "perspective_smoke.yaml")
STEP_TYPE_RE = re.compile(r"^\s*(?:- )?type:\s*([a-z_]+\.[a-z_.]+)\s*$", re.M)
PASTED = ("module_detect.yaml", "designer_prep.yaml", "trial_status_check.yaml", "backup_verify.yaml")


def test_the_legacy_set_is_complete() -> None:
    assert len(ALL) >= 6 and set(UTILITY_ONLY) <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_legacy_playbooks_load_unchanged(name: str) -> None:
    text = (LEGACY / name).read_text()
    missing = sorted({t for t in STEP_TYPE_RE.findall(text) if REGISTRY.get(t) is None})
    if missing:
        pytest.skip(f"step types not registered yet: {', '.join(missing)}")
    pb = load_file(LEGACY / name)
    assert pb.name and pb.version and pb.domain in ("gateway", "perspective", "designer")
    assert pb.group
    assert all(s.name.startswith("Step ") for s in pb.steps if s.type != "debug.breakpoint")
    assert isinstance(pb.verified, bool)
    if name != "perspective_smoke.yaml":
        assert pb.metadata["author"] == "plant-automation" and isinstance(pb.metadata["tags"], list)
    # Parameters without `required:` are required, as in the earlier toolkit.
    for p in pb.parameters:
        declared = re.search(rf"name: {p.name}\n(?:\s+\w+:.*\n)*?\s+required: false", text)
        assert p.required is (declared is None), p.name
    pasted = [w for w in pb.warnings if "references inside script source" in w]
    assert bool(pasted) == (name in PASTED)
    for warning in pasted:
        assert warning.startswith(f"{LEGACY / name}:") and "params['name']" in warning


def make_module_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for filename, name, version in (("Claude-1.0.0-unsigned.modl", "Claude", "1.0.0"),
                                    ("Claude-1.0.0.modl", "Claude", "1.0.0-signed"),
                                    ("Alarm-2.1.modl", "Alarm Notification", "2.1.0")):
        with zipfile.ZipFile(folder / filename, "w") as z:
            z.writestr("module.xml", f"<modules><name>{name}</name><version>{version}</version></modules>")
    return folder


def run_inputs(name: str, tmp_path: Path) -> tuple[dict[str, Any], Any]:
    """Parameters and credential provider for each runnable legacy playbook."""
    modules = make_module_folder(tmp_path / "modules with 'quotes' & spaces")
    backups = tmp_path / "backups"
    backups.mkdir(exist_ok=True)
    (backups / "gw.gwbk").write_bytes(b"x")
    provider = TinyProvider(TinyCredential("plant_gw", "designer-user", "pw-legacy-1"))
    return {
        "module_detect.yaml": {"module_folder": str(modules)},
        "module_upgrade_sim.yaml": {"module_folder": str(modules), "prefer_unsigned": "yes"},
        "designer_prep.yaml": {"designer_shortcut": r"C:\Program Files\Inductive Automation\designerlauncher.exe -Dgateway=gw",
                               "project_name": "Line1", "gateway_credential": "plant_gw"},
        "trial_status_check.yaml": {"gateway_url": "http://gw.plant:8088",
                                    "status_text": "Trial: 12 minutes remaining (restart to reset)"},
        "backup_verify.yaml": {"download_path": str(backups), "flag_file": str(tmp_path / f"flag-{len(str(tmp_path))}")},
        "perspective_smoke.yaml": {},
    }[name], provider


EXPECTED = {
    "module_detect.yaml": {"find_module": {"MODULE_FILE": "Claude-1.0.0.modl", "MODULE_NAME": "Claude",
                                           "MODULE_VERSION": "1.0.0-signed"},
                           "report": {"logged": "Found Claude 1.0.0-signed"}},
    "module_upgrade_sim.yaml": {"summary": {"logged": "Upgrade check completed after 2 step(s)"}},
    "designer_prep.yaml": {"build_command": {"USER": "designer-user", "COMMAND": (
        r"C:\Program Files\Inductive Automation\designerlauncher.exe -Dgateway=gw -Dproject=Line1")},
        "announce": {"logged": "Launching designer for designer-user on Line1"}},
    "trial_status_check.yaml": {"parse": {"URL": "http://gw.plant:8088/data/perspective/client", "MINUTES": "12",
                                          "NEEDS_RESET": "True"},
                                "note": {"logged": "Trial at http://gw.plant:8088/data/perspective/client: 12 min left, "
                                                   "reset=True"}},
    "backup_verify.yaml": {"check_file": {"BACKUP_COUNT": "1"}, "log_done": {"logged": "Backups present: 1"}},
    "perspective_smoke.yaml": {"show": {"logged": "demo will visit ['/home', '/alarms']"}},
}


async def run_legacy(path: Path, name: str, tmp_path: Path) -> tuple[Any, Any]:
    params, provider = run_inputs(name, tmp_path)
    execution, rec = make(load_file(path), params, tmp_path=tmp_path, credentials=provider)
    result = await finish(start(execution))
    return result, rec


@pytest.mark.parametrize("name", UTILITY_ONLY)
async def test_utility_only_legacy_playbooks_run(name: str, tmp_path: Path) -> None:
    result, rec = await run_legacy(LEGACY / name, name, tmp_path)
    assert result.status == ExecutionStatus.COMPLETED, result.error
    for step_id, expected in EXPECTED[name].items():
        output = rec.step(step_id).output
        assert {k: output.get(k) for k in expected} == expected
    if name == "backup_verify.yaml":
        assert rec.step("check_file").attempts == 2  # the retry picked it up
        assert result.failed_steps == 1  # the best-effort cleanup failed and the run went on
    if name == "module_upgrade_sim.yaml":
        nested = rec.step("detect").output
        # prefer_unsigned reached the child as a boolean and the pasted text still read 'True'.
        assert nested["outputs"]["find_module"]["MODULE_FILE"] == "Claude-1.0.0-unsigned.modl"
        assert [s.path for s in rec.of("steps_added")[0].steps] == ["detect/find_module", "detect/report"]


@pytest.mark.parametrize("name", PASTED)
async def test_migrated_legacy_playbooks_give_the_same_outputs(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for file in LEGACY.glob("*.yaml"):
        shutil.copy(file, folder / file.name)
    original_result, original = await run_legacy(folder / name, name, tmp_path / "original")
    migration = migrate_file(folder / name)
    assert migration.changed and not migration.left and migration.backup is not None
    assert migration.backup.read_text() == (LEGACY / name).read_text()
    migrated_pb = load_file(folder / name)
    assert not [w for w in migrated_pb.warnings if "references inside script source" in w]
    for step in migrated_pb.steps:
        if step.type == "utility.python":
            assert not REF_RE.search(step.parameters["script"]), step.parameters["script"]
    migrated_result, migrated = await run_legacy(folder / name, name, tmp_path / "migrated")
    assert migrated_result.status == original_result.status
    assert migrated_result.failed_steps == original_result.failed_steps
    assert migrated.finished() == original.finished()
    for step_id in (s for s, _ in original.finished()):
        assert migrated.step(step_id).output == original.step(step_id).output, step_id


async def test_migration_fixes_what_pasting_breaks(tmp_path: Path) -> None:
    """A value with a quote broke the pasted script; the migrated one takes it as data."""
    folder = tmp_path / "copy"
    folder.mkdir()
    shutil.copy(LEGACY / "designer_prep.yaml", folder / "designer_prep.yaml")
    params, provider = run_inputs("designer_prep.yaml", tmp_path)
    params["designer_shortcut"] = 'designerlauncher.exe -Dname="Line 1"'
    execution, rec = make(load_file(folder / "designer_prep.yaml"), params, tmp_path=tmp_path, credentials=provider)
    assert (await finish(start(execution))).status == ExecutionStatus.FAILED
    assert "SyntaxError" in rec.step("build_command").error
    migrate_file(folder / "designer_prep.yaml")
    execution, rec = make(load_file(folder / "designer_prep.yaml"), params, tmp_path=tmp_path, credentials=provider)
    assert (await finish(start(execution))).status == ExecutionStatus.COMPLETED
    assert rec.step("build_command").output["COMMAND"] == 'designerlauncher.exe -Dname="Line 1" -Dproject=Line1'


async def test_the_migrate_fixture_runs_the_same_before_and_after(tmp_path: Path) -> None:
    data = LEGACY.parent / "migrate"
    results = {}
    for side in ("before", "after"):
        execution, rec = make(load_file(data / f"forms.{side}.yaml"), {}, tmp_path=tmp_path / side)
        result = await finish(start(execution))
        results[side] = (result.status, rec.finished(), {s: rec.step(s).output for s, _ in rec.finished()})
    # One difference, and it is the point: pasted into a non-raw literal, the backslashes of
    # C:\Modules\new became escapes ("\n" a line break); as data the value arrives intact.
    before_safe, after_safe = results["before"][2]["safe"], results["after"][2]["safe"]
    assert (before_safe.pop("SAME"), after_safe.pop("SAME")) == ("False", "True")
    for side in results.values():
        side[2]["safe"].pop("_output")
    assert results["before"] == results["after"]
    status, finished, outputs = results["after"]
    assert status == ExecutionStatus.COMPLETED
    assert outputs["safe"]["FOLDER"] == r"C:\Modules\new" and outputs["safe"]["PATH"] == r"C:\Modules\new\sub"
    assert outputs["safe"]["NOTE"] == "[]"
    assert outputs["safe"]["LABEL"] == "COUNT: 3 ITEMS" and outputs["flow"]["N"] == "3"
    assert outputs["existing"]["E"] == "13"
    assert ("unsafe", "failed") in finished  # broken before migration too (pasted text is not code)
