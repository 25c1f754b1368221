"""Library management end to end through the real CLI: user overrides,
duplicate/edit with backups and validation, verify/enable enforced by the
engine, export/import without credentials."""

from __future__ import annotations

import hashlib
import json
import stat
import sys
from pathlib import Path

import yaml

from tests.support.cli import PLAYBOOKS, Igtk
from tests.support.store_backend import db_rows

CHILD_OVERRIDE = """\
# A user override of the built-in child.
name: "Greeting (site override)"
version: "9.0"
verified: true
parameters:
  - {name: who, type: string, description: Who to greet}
  - {name: times, type: integer, default: 1, description: Unused here}
steps:
  - id: compose
    type: utility.python
    parameters:
      params: {who: "{{ parameter.who }}"}
      script: print("greeting=Good morning, " + params["who"])
  - id: say
    type: utility.log
    parameters: {message: "{{ step.compose.greeting }}"}
"""

PARENT = """\
name: Parent
version: "1"
steps:
  - id: child
    type: playbook.run
    parameters: {playbook: ops/child.yaml, who: ops}
"""

CHILD = """\
name: Child
version: "1"
parameters:
  - {name: who, type: string, description: Who}
steps:
  - id: say
    type: utility.log
    parameters: {message: "hi {{ parameter.who }}"}
"""

SECRETIVE = """\
# Talks to a gateway with a stored credential.
name: Secretive
version: "2"
parameters:
  - name: gateway
    type: credential
    default: prod-gateway-cred   # a vault entry name
    description: The gateway credential
  - name: api_password
    type: string
    default: "hunter2-canary"
    description: A secret by its name
  - name: pin
    type: string
    secret: true
    default: "4242-canary"
    description: Declared secret
  - name: site
    type: string
    default: north-site
    description: Not a secret
steps:
  - id: hello
    type: utility.log
    parameters: {message: "site {{ parameter.site }} via {{ credential.other-cred.gateway_url }}"}
"""


def write_editor(tmp_path: Path, name: str, body: str) -> str:
    """A tiny `$EDITOR`: a Python script that rewrites the file it is given."""
    script = tmp_path / f"{name}.py"
    script.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\ntext = p.read_text()\n"
                      + body + "\np.write_text(text)\n")
    return f"{sys.executable} {script}"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_user_copy_overrides_builtin_for_run_nesting_and_listing(igtk: Igtk) -> None:
    builtin = PLAYBOOKS / "examples" / "lib" / "greet.yaml"
    before = sha(builtin)
    target = igtk.user_dir / "examples" / "lib" / "greet.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(CHILD_OVERRIDE)

    row = igtk.library()["examples/lib/greet.yaml"]
    assert row["file"] == str(target) and row["root"] == "user" and row["overrides_builtin"]
    assert row["origin"] == "user-created" and row["version"] == "9.0" and row["verified"]

    direct = igtk("run", "examples/lib/greet", "--json", "-p", "who=Ana")
    assert direct.code == 0, direct.describe()
    assert direct.output("say")["logged"] == "Good morning, Ana"
    last = igtk.library()["examples/lib/greet.yaml"]["last_result"]  # from the execution history
    assert last["status"] == "completed" and last["id"] == direct.events[0]["execution_id"]
    # The built-in parent nests `lib/greet.yaml`: the user override wins there too.
    nested = igtk("run", "examples/nesting", "--json")
    assert nested.code == 0, nested.describe()
    assert nested.output("first/say")["logged"] == "Good morning, world"
    assert sha(builtin) == before


def test_duplicate_then_edit_keeps_backup_bumps_revision_and_lapses_verification(igtk: Igtk, tmp_path: Path) -> None:
    builtin = PLAYBOOKS / "examples" / "conditions.yaml"
    before = sha(builtin)
    r = igtk.inproc("playbook", "duplicate", "examples/conditions", "team/conditions-copy")
    assert r.code == 0, r.describe()
    copy = igtk.user_dir / "team" / "conditions-copy.yaml"
    row = igtk.library()["team/conditions-copy.yaml"]
    assert row["origin"] == "duplicated" and row["duplicated_from"] == "examples/conditions.yaml"
    assert row["revision"] == 1
    # The built-in's YAML claim becomes library metadata bound to the copy's content.
    assert row["verified"] and row["verified_meta"] and not row["verified_yaml"]
    assert yaml.safe_load(copy.read_text())["verified"] is False
    assert "# Conditional steps with `when:`." in copy.read_text()  # comments survive
    first_text = copy.read_text()

    editor = write_editor(tmp_path, "bump", "text = text.replace('version: \"1.0\"', 'version: \"1.1\"')")
    r = igtk.inproc("playbook", "edit", "team/conditions-copy", env={"EDITOR": editor})
    assert r.code == 0, r.describe()
    assert "revision 2" in r.stdout and "lapsed" in r.stdout
    backups = sorted(copy.parent.glob("conditions-copy.backup.*.yaml"))
    assert len(backups) == 1 and backups[0].read_text() == first_text
    row = igtk.library()["team/conditions-copy.yaml"]
    assert row["version"] == "1.1" and row["revision"] == 2 and not row["verified"]
    assert "team/conditions-copy.backup" not in json.dumps(list(igtk.library()))  # backups are not playbooks

    # A second edit keeps a second backup, of revision 2.
    editor = write_editor(tmp_path, "bump2", "text = text.replace('version: \"1.1\"', 'version: \"1.2\"')")
    assert igtk.inproc("playbook", "edit", "team/conditions-copy", env={"EDITOR": editor}).code == 0
    backups = sorted(copy.parent.glob("conditions-copy.backup.*.yaml"))
    assert len(backups) == 2 and any('version: "1.1"' in b.read_text() for b in backups)
    assert igtk.library()["team/conditions-copy.yaml"]["revision"] == 3
    assert sha(builtin) == before

    # Duplicating onto an existing copy is refused.
    again = igtk.inproc("playbook", "duplicate", "examples/conditions", "team/conditions-copy")
    assert again.code == 2 and "already exists" in again.stderr


def test_edit_of_a_builtin_duplicates_it_first(igtk: Igtk, tmp_path: Path) -> None:
    builtin = PLAYBOOKS / "examples" / "rollback.yaml"
    before = sha(builtin)
    editor = write_editor(tmp_path, "note", "text = text.replace('Take the maintenance lock', 'Take the lock')")
    r = igtk.inproc("playbook", "edit", "examples/rollback", env={"EDITOR": editor})
    assert r.code == 0, r.describe()
    assert "copied the built-in" in r.stdout
    user_copy = igtk.user_dir / "examples" / "rollback.yaml"
    assert "name: Take the lock" in user_copy.read_text()
    assert sha(builtin) == before
    row = igtk.library()["examples/rollback.yaml"]
    assert row["file"] == str(user_copy) and row["origin"] == "duplicated" and row["revision"] == 2
    run = igtk("run", "examples/rollback", "--json")
    assert run.code == 0 and any(e.get("name") == "Take the lock" for e in run.events[0]["steps"])


def test_edit_refuses_an_invalid_save_with_file_line_col(igtk: Igtk, tmp_path: Path) -> None:
    assert igtk.inproc("playbook", "duplicate", "examples/script_step").code == 0
    copy = igtk.user_dir / "examples" / "script_step.yaml"
    before = copy.read_text()
    editor = write_editor(tmp_path, "typo", "text = text.replace('type: utility.log', 'type: utility.lgo', 1)")
    r = igtk.inproc("playbook", "edit", "examples/script_step", env={"EDITOR": editor})
    assert r.code == 2, r.describe()
    line = next(i for i, t in enumerate(before.splitlines(), 1) if "type: utility.log" in t)
    assert f"{copy}:{line}:11: unknown step type 'utility.lgo' (did you mean 'utility.log'?)" in r.stderr
    assert "not saved" in r.stderr
    assert copy.read_text() == before
    assert not list(copy.parent.glob("*.backup.*"))
    assert igtk.library()["examples/script_step.yaml"]["revision"] == 1
    # The rejected text is kept for the operator, not lost.
    kept = Path(r.stderr.rsplit("kept at ", 1)[1].strip())
    assert "utility.lgo" in kept.read_text()


def test_verification_gates_nesting_in_the_engine(igtk: Igtk, tmp_path: Path) -> None:
    ops = igtk.user_dir / "ops"
    ops.mkdir(parents=True)
    (ops / "parent.yaml").write_text(PARENT)
    (ops / "child.yaml").write_text(CHILD)

    refused = igtk("run", "ops/parent", "--json")
    assert refused.code == 2, refused.describe()
    assert "'ops/child.yaml' is not verified" in refused.stderr and not refused.events  # nothing ran

    r = igtk.inproc("playbook", "verify", "ops/child", "--by", "qa-lead", "--note", "reviewed with the site")
    assert r.code == 0, r.describe()
    row = igtk.library()["ops/child.yaml"]
    assert row["verified"] and row["verified_by"] == "qa-lead" and row["notes"] == "reviewed with the site"
    ok = igtk("run", "ops/parent", "--json")
    assert ok.code == 0, ok.describe()
    assert ok.output("child/say")["logged"] == "hi ops"

    # A change to the child's content (even by hand) lapses its verification.
    (ops / "child.yaml").write_text(CHILD.replace("hi ", "hello "))
    again = igtk("run", "ops/parent")
    assert again.code == 2 and "not verified" in again.stderr
    assert igtk("validate", str(ops / "parent.yaml")).code == 2

    # A built-in child unverified in the user's library (override, then --off) is refused as well.
    assert igtk.inproc("playbook", "duplicate", "examples/lib/greet").code == 0
    assert igtk.inproc("playbook", "verify", "examples/lib/greet", "--off").code == 0
    nested = igtk("run", "examples/nesting")
    assert nested.code == 2 and "'lib/greet.yaml' is not verified" in nested.stderr


def test_disabled_playbooks_are_refused_by_run_and_nesting(igtk: Igtk) -> None:
    r = igtk.inproc("playbook", "disable", "examples/lib/greet")
    assert r.code == 0, r.describe()
    row = igtk.library()["examples/lib/greet.yaml"]
    assert row["enabled"] is False and row["origin"] == "built-in"

    direct = igtk("run", "examples/lib/greet", "--json", "-p", "who=x")
    assert direct.code == 2 and not direct.events
    assert "disabled in the library" in direct.stderr and "igtk playbook enable" in direct.stderr
    by_file = igtk("run", str(PLAYBOOKS / "examples" / "lib" / "greet.yaml"), "-p", "who=x")
    assert by_file.code == 2  # a file path inside the library is the same playbook
    nested = igtk("run", "examples/nesting", "--json")
    assert nested.code == 2 and "'lib/greet.yaml' is disabled" in nested.stderr

    assert igtk.inproc("playbook", "enable", "examples/lib/greet").code == 0
    assert igtk("run", "examples/lib/greet", "-p", "who=x").code == 0


def test_export_import_round_trip_without_credentials(igtk: Igtk, tmp_path: Path) -> None:
    (igtk.user_dir / "ops").mkdir(parents=True)
    source = igtk.user_dir / "ops" / "secretive.yaml"
    source.write_text(SECRETIVE)
    assert igtk.inproc("playbook", "verify", "ops/secretive", "--by", "alice").code == 0

    for fmt, name in (("json", "bundle.json"), ("yaml", "bundle.yaml")):
        out = tmp_path / name
        r = igtk.inproc("playbook", "export", "ops/secretive", "-o", str(out))
        assert r.code == 0, r.describe()
        text = out.read_text()
        for canary in ("prod-gateway-cred", "hunter2-canary", "4242-canary"):
            assert canary not in text, f"{canary} leaked into the {fmt} bundle"
        bundle = json.loads(text) if fmt == "json" else yaml.safe_load(text)
        assert bundle["credentials_stripped"] == ["api_password", "gateway", "pin"]
        assert "north-site" in bundle["yaml_content"]  # ordinary defaults stay
        assert "# a vault entry name" not in bundle["yaml_content"]
        assert "# Talks to a gateway" in bundle["yaml_content"]  # comments stay
        assert bundle["metadata"]["verified"] and bundle["metadata"]["verified_by"] == "alice"
        assert bundle["content_hash"] == "sha256:" + hashlib.sha256(bundle["yaml_content"].encode()).hexdigest()
    stdout_bundle = igtk.inproc("playbook", "export", "ops/secretive")
    assert stdout_bundle.code == 0 and json.loads(stdout_bundle.stdout)["path"] == "ops/secretive.yaml"

    other = Igtk(tmp_path / "other-home")
    r = other.inproc("playbook", "import", str(tmp_path / "bundle.json"))
    assert r.code == 0, r.describe()
    assert "verification restored" in r.stdout
    row = other.library()["ops/secretive.yaml"]
    assert row["origin"] == "imported" and row["verified"] and row["verified_by"] == "alice"
    imported = yaml.safe_load((other.user_dir / "ops" / "secretive.yaml").read_text())
    params = {p["name"]: p for p in imported["parameters"]}
    assert "default" not in params["gateway"] and params["api_password"].get("default") is None
    assert params["site"]["default"] == "north-site"
    # Without its credential default the parameter must be given at run time.
    missing = other("run", "ops/secretive")
    assert missing.code == 2 and "missing required parameter 'gateway'" in missing.stderr

    # A second import of the same path needs --force, and keeps a backup.
    assert other.inproc("playbook", "import", str(tmp_path / "bundle.yaml")).code == 2
    forced = other.inproc("playbook", "import", str(tmp_path / "bundle.yaml"), "--force")
    assert forced.code == 0 and list((other.user_dir / "ops").glob("secretive.backup.*.yaml"))


def test_import_of_a_changed_bundle_arrives_unverified(igtk: Igtk, tmp_path: Path) -> None:
    r = igtk.inproc("playbook", "export", "examples/lib/greet", "-o", str(tmp_path / "greet.json"))
    assert r.code == 0, r.describe()
    bundle = json.loads((tmp_path / "greet.json").read_text())
    assert bundle["metadata"]["verified"] and "verified: true" in bundle["yaml_content"]
    changed = bundle["yaml_content"].replace("greeting=Hello, ", "greeting=Bye, ")
    assert changed != bundle["yaml_content"]
    bundle["yaml_content"] = changed
    (tmp_path / "tampered.json").write_text(json.dumps(bundle))

    r = igtk.inproc("playbook", "import", str(tmp_path / "tampered.json"), "--as", "imported/greet")
    assert r.code == 0, r.describe()
    assert "verification not restored" in r.stdout and "content hash" in r.stdout
    row = igtk.library()["imported/greet.yaml"]
    assert row["origin"] == "imported" and not row["verified"]
    # Its YAML `verified: true` was neutralised, so the claim cannot ride along.
    assert yaml.safe_load((igtk.user_dir / "imported" / "greet.yaml").read_text())["verified"] is False

    clean = igtk.inproc("playbook", "import", str(tmp_path / "greet.json"), "--as", "imported/greet-clean")
    assert clean.code == 0 and "verification restored" in clean.stdout
    assert igtk.library()["imported/greet-clean.yaml"]["verified"]


def test_listing_reports_every_flag(igtk: Igtk) -> None:
    broken = igtk.user_dir / "ops" / "broken.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("name: Broken\nversion: 1\nsteps:\n  - id: a\n    type: utility.nope\n")
    rows = igtk.library()
    for key in ("path", "name", "version", "domain", "group", "origin", "verified", "enabled", "revision",
                "valid", "last_result"):
        assert key in rows["examples/nesting.yaml"], key
    assert rows["examples/nesting.yaml"]["domain"] == "examples"
    assert rows["ops/broken.yaml"]["valid"] is False and rows["ops/broken.yaml"]["problems"]
    assert not rows["ops/broken.yaml"]["verified"]
    text = igtk("playbooks")
    assert text.code == 0 and "INVALID" in text.stdout and "examples/nesting.yaml" in text.stdout
    verify_broken = igtk.inproc("playbook", "verify", "ops/broken")
    assert verify_broken.code == 2 and "cannot be verified" in verify_broken.stderr


def test_metadata_lives_in_the_store_database(igtk: Igtk) -> None:
    """One private SQLite file holds history and library metadata, migrated by user_version."""

    from igtk_tui.store.schema import LATEST_VERSION

    db = igtk.home / "data" / "igtk.db"
    igtk("playbooks", "--json")
    assert not db.exists()  # listing never creates the database
    assert igtk.inproc("playbook", "disable", "examples/slow_demo").code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert db_rows(igtk.home, "PRAGMA user_version")[0][0] == LATEST_VERSION  # the SQLite file's schema
    (row,) = db_rows(igtk.home, "SELECT enabled, origin FROM playbook_meta WHERE path = ?", ("examples/slow_demo.yaml",))
    assert tuple(row) == (0, "built-in")


def test_import_of_the_earlier_toolkits_json_export(igtk: Igtk, tmp_path: Path) -> None:
    """Its `playbook export` wrote the playbook as JSON plus `_export_metadata`."""
    earlier = {
        "name": "Legacy Greeting", "version": "2.0", "description": "from the web toolkit",
        "parameters": [{"name": "who", "type": "string", "required": True, "description": "Who"}],
        "steps": [{"id": "say", "name": "Say", "type": "utility.log",
                   "parameters": {"message": "hello {{ parameter.who }}"}}],
        "metadata": {"author": "someone"},
        "_export_metadata": {"version": "1.0", "exported_by": "toolkit", "credentials_stripped": True},
    }
    (tmp_path / "legacy.json").write_text(json.dumps(earlier))
    r = igtk.inproc("playbook", "import", str(tmp_path / "legacy.json"))
    assert r.code == 0, r.describe()
    row = igtk.library()["imported/legacy_greeting.yaml"]
    assert row["origin"] == "imported" and row["valid"] and not row["verified"]
    run = igtk("run", "imported/legacy_greeting", "--json", "-p", "who=plant")
    assert run.code == 0 and run.output("say")["logged"] == "hello plant"
