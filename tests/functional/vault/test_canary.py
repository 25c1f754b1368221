"""The canary (docs/secrets.md): a secret planted in every place a secret travels, then every sink
grepped for it, byte for byte, in every encoding it could take (raw, URL-, JSON-, XML-escaped,
repr, base64, and its random core alone, which finds a cut or sanitised copy).

The canary is the real admin password of a simulated Ignition 8.1 gateway, stored with the
real `igtk cred add` (secret on stdin) in the encrypted-file vault, whose passphrase is a
second canary. One `igtk run --json --junit FILE` uses the password for a gateway
web-session login, a browser.fill into a Perspective text field (the page then echoes it in
a label, which a page inventory artifact, a screenshot and a failing check's error all see),
a Perspective IdP sign-in, a script parameter (printed, turned into an output and a
variable; the script also prints the vault passphrase from its environment), a failing
step's exception message, a log line and the run's own fatal error. Afterwards no sink holds
either canary: the SQLite file, its WAL and SHM (before and after a checkpoint) and every
cell, every log file, the JSON lines, stderr, the JUnit file, every artifact, `igtk show`
and `igtk history`, and as a catch-all every file (name and content) under the test's
folder. Each sink is also shown to hold the mask where the canary was, so the test cannot
pass because a sink stayed empty.

Also: the plain-terminal progress (no browser needed, so the canary runs without Chromium
too); a secret parameter rejected by validation; and the debug-mode failure capture
(screenshot and page text saved when a browser step fails in debug mode). Headless `igtk run
--debug` pauses with nobody to resume it, so that run drives the real engine, store and
JSON-lines sink in this process, resuming each pause the way the TUI's buttons do.
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.browser.discovery import BrowserUnavailable, find_browser
from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import Igtk
from tests.support.secrets import MASK, encoded_forms, leaks_in, make_canary, scan_files
from tests.support.simulator import running_gateway
from tests.support.store_backend import current, db_rows

try:
    find_browser()
    NO_BROWSER = ""
except BrowserUnavailable as exc:  # pragma: no cover - depends on the machine
    NO_BROWSER = str(exc)

needs_chromium = pytest.mark.skipif(bool(NO_BROWSER), reason=f"needs Chromium: {NO_BROWSER}")

CANARY = make_canary()
PASSPHRASE = make_canary("vault-passphrase")  # the vault's own secret: also loaded, also never shown
FORMS = {**encoded_forms(CANARY), **{f"passphrase {k}": v for k, v in encoded_forms(PASSPHRASE).items()}}
DEMO = "/data/perspective/client/Demo"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatedGateway]:
    """An 8.1 gateway (web-session login only) whose admin password is the canary."""
    with running_gateway(version="8.1", admin_username="admin", admin_password=CANARY) as gateway:
        yield gateway


@pytest.fixture
def igtk(tmp_path: Path, sim: SimulatedGateway) -> Igtk:
    """A private IGTK_HOME whose vault holds credential `gw`: admin / the canary."""
    cli = Igtk(tmp_path / "home", passphrase=PASSPHRASE)
    added = cli("cred", "add", "gw", "--username", "admin", "--gateway-url", sim.url, stdin=CANARY + "\n")
    assert added.code == 0, added.describe()
    assert not leaks_in(added.stdout + added.stderr, FORMS)
    return cli


HEADER = """\
name: Canary
version: '1'
description: the vault password travels through every kind of step
steps:
"""
GATEWAY_STEPS = """\
  - id: login
    name: gateway web-session login
    type: gateway.login
    parameters:
      gateway_url: "{{ credential.gw.gateway_url }}"
      username: "{{ credential.gw.username }}"
      password: "{{ credential.gw.password }}"
  - id: status
    name: an authenticated call on that session
    type: gateway.get_info
"""
BROWSER_STEPS = f"""\
  - id: open
    name: open the Demo project
    type: browser.navigate
    parameters: {{url: "{{{{ credential.gw.gateway_url }}}}{DEMO}/", wait_for: "#nameField"}}
  - id: fill
    name: type the password into a text field
    type: browser.fill
    parameters: {{selector: "#nameField", value: "{{{{ credential.gw.password }}}}"}}
  - id: greeting
    name: read the label that now shows it
    type: browser.get_text
    parameters: {{selector: "#greeting"}}
  - id: inventory
    name: inventory of the page (the field's value and the label's text), saved as an artifact
    type: perspective.discover_page
  - id: shot
    name: screenshot of the page showing it
    type: browser.screenshot
    parameters: {{name: greeting, full_page: true}}
  - id: page_check
    name: a failing check whose error quotes the page
    type: browser.verify_text
    on_failure: continue
    parameters: {{selector: "#greeting", text: "Hello, nobody", timeout: 300}}
  - id: idp
    name: Perspective sign-in with the password
    type: perspective.login
    parameters:
      url: "{{{{ credential.gw.gateway_url }}}}{DEMO}/secure"
      username: "{{{{ credential.gw.username }}}}"
      password: "{{{{ credential.gw.password }}}}"
  - id: welcome
    name: signed in
    type: browser.verify_text
    parameters: {{selector: "#welcomeLabel", text: "Welcome, admin"}}
"""
SCRIPT_STEPS = """\
  - id: script
    name: a script gets the password as a parameter
    type: utility.python
    parameters:
      params: {pw: "{{ credential.gw.password }}"}
      script: |
        import sys
        print(params["pw"])
        print("PW=" + params["pw"])
        print("on stderr: " + params["pw"], file=sys.stderr)
        print("vault passphrase: " + os.environ.get("IGTK_VAULT_PASSPHRASE", "(not set)"))
        set_variable("pw_copy", params["pw"])
  - id: boom
    name: a failing step whose exception carries the password
    type: utility.python
    on_failure: continue
    parameters:
      params: {pw: "{{ credential.gw.password }}"}
      script: |
        raise RuntimeError("login refused for password " + params["pw"])
  - id: say
    name: a log line with the password
    type: utility.log
    parameters: {message: "the password is {{ credential.gw.password }}", level: warning}
  - id: fatal
    name: the run fails with the password in its error
    type: utility.python
    parameters:
      params: {pw: "{{ credential.gw.password }}"}
      script: |
        raise SystemExit("giving up with " + params["pw"])
"""
CANARY_PLAYBOOK = HEADER + GATEWAY_STEPS + BROWSER_STEPS + SCRIPT_STEPS


def sqlite_files(db: Path) -> list[Path]:
    return [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")) if p.exists()]


@pytest.mark.browser
@needs_chromium
def test_canary_reaches_no_sink(igtk: Igtk, tmp_path: Path) -> None:
    playbook = tmp_path / "canary.yaml"
    playbook.write_text(CANARY_PLAYBOOK, encoding="utf-8")
    junit = tmp_path / "report" / "junit.xml"
    before = igtk("history", "--json")  # creates the database (WAL mode)
    assert before.code == 0 and json.loads(before.stdout) == [], before.describe()
    # An open connection keeps the WAL file after the run's process closes its own (the last
    # connection to close would checkpoint and delete it), so its bytes can be read as written.
    holder = sqlite3.connect(igtk.db)
    holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
    try:
        run = igtk("run", str(playbook), "--json", "--junit", str(junit))
        check_run_and_sinks(igtk, tmp_path, run, junit, holder)
    finally:
        holder.close()
    # -- catch-all: no file anywhere in the test's folder (IGTK_HOME, report, playbook) ------------
    assert scan_files([tmp_path], FORMS) == {}


def check_run_and_sinks(igtk: Igtk, tmp_path: Path, run: Any, junit: Path, holder: sqlite3.Connection) -> None:
    assert run.code == 1, run.describe()  # the last step fails the run on purpose
    evts = run.events
    execution_id = evts[0]["execution_id"]

    # -- every use of the secret really happened ------------------------------------------------
    login = run.finished("login")["output"]
    assert (login["status"], login["auth"]) == ("logged_in", "session"), login  # the canary is the password
    assert run.finished("status")["status"] == "completed"
    assert run.finished("fill")["output"] == {"selector": "#nameField", "status": "filled"}
    assert run.finished("greeting")["output"]["text"] == f"Hello, {MASK}"  # the page showed the canary
    assert run.finished("idp")["output"]["status"] == "logged_in"
    assert run.finished("welcome")["status"] == "completed"
    script = run.finished("script")
    assert script["output"]["PW"] == MASK
    # The vault passphrase is withheld from scripts: it is igtk's secret, not the playbook's.
    assert script["output"]["_output"] == f"{MASK}\nPW={MASK}\nvault passphrase: (not set)"
    assert script["variables"]["pw_copy"] == MASK
    logs = [(e["step_id"], e["level"], e["message"]) for e in evts if e["event"] == "log"]
    assert ("script", "info", MASK) in logs and ("script", "warning", f"on stderr: {MASK}") in logs
    assert ("say", "warning", f"the password is {MASK}") in logs
    page_check, boom = run.finished("page_check"), run.finished("boom")
    assert page_check["status"] == "failed" and f"actual 'Hello, {MASK}'" in page_check["error"]
    assert boom["status"] == "failed" and f"RuntimeError: login refused for password {MASK}" in boom["error"]
    end = evts[-1]
    assert end["event"] == "execution_finished" and end["status"] == "failed" and end["failed_steps"] == 3
    assert f"giving up with {MASK}" in end["error"]
    saved = [Path(e["path"]).name for e in evts if e["event"] == "artifact"]
    assert saved == ["inventory-inventory.json", "shot-greeting.png"]
    inventory = run.finished("inventory")["output"]["inventory"]
    typed = [i for i in inventory if i["tagName"] == "input" and i["componentId"] == "nameField"]
    assert [i["text"] for i in typed] == [MASK]  # the inventory read the field's value

    # -- the terminal: JSON lines and stderr --------------------------------------------------------
    assert not leaks_in(run.stdout, FORMS), "JSON lines"
    assert not leaks_in(run.stderr, FORMS), "stderr"

    # -- JUnit --------------------------------------------------------------------------------------
    report = junit.read_bytes()
    assert not leaks_in(report, FORMS), "JUnit"
    suite = ET.fromstring(report).find("testsuite")
    assert suite is not None and suite.get("failures") == "3"
    failures = {case.get("name", "").split(":")[0]: case.find("failure") for case in suite.iter("testcase")}
    assert MASK in failures["boom"].get("message", "") and MASK in failures["fatal"].get("message", "")
    assert any(MASK in (p.get("value") or "") for p in suite.iter("property") if p.get("name") == "error")

    # -- the log files ------------------------------------------------------------------------------
    log_files = sorted(p for p in igtk.logs_dir.rglob("*") if p.is_file())
    assert log_files and scan_files(log_files, FORMS) == {}, "log files"
    log_text = "".join(p.read_text(encoding="utf-8") for p in log_files)
    assert f"say the password is {MASK}" in log_text and f"script on stderr: {MASK}" in log_text

    # -- artifacts: the page inventory (text) and the screenshot (binary, grepped anyway) -----------
    artifacts = igtk.artifacts(execution_id)
    assert {p.name for p in artifacts.iterdir()} == set(saved)
    assert scan_files([artifacts], FORMS) == {}, "artifacts"
    saved_inventory = json.loads((artifacts / "inventory-inventory.json").read_text(encoding="utf-8"))
    assert f"Hello, {MASK}" in json.dumps(saved_inventory, ensure_ascii=False)

    # -- the database: raw bytes of the file, WAL and SHM; then checkpointed; then every cell -------
    files = sqlite_files(igtk.db)
    wal = igtk.db.with_name("igtk.db-wal")
    assert len(files) == 3 and wal.stat().st_size > 0, "the run's writes are expected in the WAL"
    assert scan_files(files, FORMS) == {}, "database files (WAL mode)"
    busy, _, _ = holder.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0 and wal.stat().st_size == 0
    assert scan_files(sqlite_files(igtk.db), FORMS) == {}, "database files after a checkpoint"
    cells = current().dump_text(igtk.home)
    assert not leaks_in(cells, FORMS), "database cells"
    ((error,),) = db_rows(igtk.home, "SELECT error FROM steps WHERE execution_id = ? AND path = 'boom'", (execution_id,))
    messages = [m for (m,) in db_rows(igtk.home, "SELECT message FROM logs WHERE execution_id = ?", (execution_id,))]
    assert f"login refused for password {MASK}" in error
    assert f"the password is {MASK}" in messages

    # -- what the history commands print ----------------------------------------------------------
    show = igtk("show", execution_id, "--json")
    history = igtk("history", "--json")
    assert show.code == 0 and history.code == 0, show.describe() + history.describe()
    for result in (show, history):
        assert not leaks_in(result.stdout + result.stderr, FORMS), result.args
    detail = json.loads(show.stdout)
    steps = {s["id"]: s for s in detail["steps"]}
    assert MASK in steps["boom"]["error"] and steps["script"]["output"]["PW"] == MASK
    assert [row["id"] for row in json.loads(history.stdout)] == [execution_id]


def test_canary_human_output_without_browser(igtk: Igtk, tmp_path: Path) -> None:
    """The same secret through the gateway and script steps with the plain-terminal progress
    (cron mail, CI logs): also the part of the canary that runs where there is no Chromium."""
    playbook = tmp_path / "canary.yaml"
    playbook.write_text(HEADER + GATEWAY_STEPS + SCRIPT_STEPS, encoding="utf-8")
    run = igtk("run", str(playbook))
    assert run.code == 1, run.describe()
    out = run.stdout
    assert not leaks_in(out, FORMS) and not leaks_in(run.stderr, FORMS), run.describe()
    assert "✓ [1/6] login: gateway web-session login completed" in out
    assert f"warning: on stderr: {MASK}" in out and f"warning: the password is {MASK}" in out
    assert f"RuntimeError: login refused for password {MASK}" in out
    assert f"giving up with {MASK}" in out.splitlines()[-1]
    assert scan_files([tmp_path], FORMS) == {}  # IGTK_HOME: the database, the log file; the playbook


def test_a_rejected_secret_parameter_is_not_echoed(tmp_path: Path) -> None:
    """A secret given with -p that fails validation: the error names the parameter, not the value."""
    playbook = tmp_path / "pin.yaml"
    playbook.write_text(HEADER.replace("steps:\n", "parameters:\n  - {name: pin, type: integer, secret: true}\n"
                                                  "  - {name: api_password, type: integer}\nsteps:\n")
                        + "  - {id: hi, name: hi, type: utility.log, parameters: {message: hi}}\n", encoding="utf-8")
    run = Igtk(tmp_path / "home")("run", str(playbook), "-p", f"pin={CANARY}", "-p", f"api_password={PASSPHRASE}")
    assert run.code == 2, run.describe()
    assert f"parameter 'pin': must be a whole number, got '{MASK}'" in run.stderr
    assert f"parameter 'api_password': must be a whole number, got '{MASK}'" in run.stderr  # secret by name
    assert not leaks_in(run.stdout + run.stderr, FORMS), run.describe()


DEBUG_PLAYBOOK = f"""\
name: Canary in debug mode
version: '1'
steps:
  - id: open
    name: open the Demo project
    type: browser.navigate
    parameters: {{url: "{{{{ credential.gw.gateway_url }}}}{DEMO}/", wait_for: "#nameField"}}
  - id: fill
    name: type the password into a text field
    type: browser.fill
    parameters: {{selector: "#nameField", value: "{{{{ credential.gw.password }}}}"}}
  - id: check
    name: fails while the page shows the password
    type: browser.verify_text
    parameters: {{selector: "#greeting", text: "Hello, nobody", timeout: 300}}
"""


@pytest.mark.browser
@needs_chromium
async def test_debug_failure_capture_is_scrubbed(igtk: Igtk, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Debug mode saves a screenshot and the page's text when a browser step fails; the page
    shows the canary (typed into a field, echoed by a label), the saved text must not."""
    from igtk_tui.engine.events import EventBus, ExecutionStatus
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.runtime import Runtime
    from igtk_tui.sinks.jsonl import JsonLines
    from igtk_tui.store.session import recorded

    monkeypatch.setenv("IGTK_HOME", str(igtk.home))
    monkeypatch.setenv("IGTK_VAULT_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "debug.yaml"
    path.write_text(DEBUG_PLAYBOOK, encoding="utf-8")
    runtime = Runtime()
    vault = runtime.vault()
    bus = EventBus()
    execution = runtime.new_execution(load_file(path), {}, bus=bus, debug=True, credentials=vault)
    pauses: list[tuple[str, dict[str, Any]]] = []

    def operator(event: Any) -> None:  # the TUI's Skip on a failure, Resume on every other pause
        if event.kind == "paused":
            pauses.append((event.reason, event.context))
            action = execution.skip if event.reason == "failure" else execution.resume
            asyncio.get_running_loop().call_soon(action)  # once the engine waits at the pause

    bus.subscribe(operator)
    lines = io.StringIO()
    async with recorded(runtime, bus, execution.id, JsonLines(lines)):
        result = await asyncio.wait_for(execution.run(), 60)
    assert result.status == ExecutionStatus.COMPLETED, result.error

    failure = [ctx for reason, ctx in pauses if reason == "failure"]
    assert len(failure) == 1 and [r for r, _ in pauses].count("debug") == 2
    context = failure[0]
    assert f"actual 'Hello, {MASK}'" in context["error"]
    page_text = Path(context["page_text"])
    assert f"Hello, {MASK}" in page_text.read_text(encoding="utf-8")  # the page showed the canary
    assert f"Hello, {MASK}" in context["page_text_excerpt"]
    assert Path(context["screenshot"]).read_bytes()[:4] == b"\x89PNG"
    artifacts = igtk.artifacts(execution.id)
    assert {page_text.parent, Path(context["screenshot"]).parent} == {artifacts}
    assert scan_files([artifacts], FORMS) == {}, "debug-mode failure artifacts"

    assert not leaks_in(lines.getvalue(), FORMS), "JSON lines"
    paused = [e for e in map(json.loads, lines.getvalue().splitlines()) if e["event"] == "paused"]
    assert any(MASK in json.dumps(e["context"], ensure_ascii=False) for e in paused)
    assert scan_files(sqlite_files(igtk.db), FORMS) == {}, "database files"
    assert not leaks_in(current().dump_text(igtk.home), FORMS), "database cells"
    assert scan_files([tmp_path], FORMS) == {}


URL_PLAYBOOK = """\
name: Canary in URLs
version: '1'
parameters:
  - {name: pw, type: string, secret: true}
  - {name: gateway_url, type: string}
steps:
  - id: userinfo
    name: a password written into the gateway URL
    type: gateway.ping
    on_failure: continue
    parameters: {gateway_url: "http://operator:{{ parameter.pw }}@127.0.0.1:9"}
  - id: login
    name: a proper login
    type: gateway.login
    parameters: {gateway_url: "{{ parameter.gateway_url }}", username: admin, password: "{{ parameter.pw }}"}
  - id: in_path
    name: the password in a URL path and query (a project of that name)
    type: gateway.get_project
    on_failure: continue
    parameters: {project_name: "{{ parameter.pw }}"}
  - id: cut
    name: an error message that cuts pieces out of the password
    type: utility.python
    on_failure: continue
    parameters:
      params: {pw: "{{ parameter.pw }}"}
      script: |
        raise ValueError("Invalid port: " + repr(params["pw"][2:20]) + " near " + params["pw"][-14:])
"""


def test_canary_in_urls_and_cut_fragments_reaches_no_sink(igtk: Igtk, sim: SimulatedGateway, tmp_path: Path) -> None:
    """Issue 15: a secret inside a URL's user info is refused before any request (pointing to
    credentials) and never quoted; one in a URL path or query is masked in its URL-encoded
    forms; pieces an error message cuts from it are masked whole. Every sink: stdout, stderr,
    JSON lines, JUnit, `igtk show`, the database and every file under the test's folder."""
    playbook = tmp_path / "urls.yaml"
    playbook.write_text(URL_PLAYBOOK, encoding="utf-8")
    junit = tmp_path / "report.xml"
    run = igtk("run", str(playbook), "--json", "--junit", str(junit), "-p", f"pw={CANARY}",
               "-p", f"gateway_url={sim.url}")
    assert run.code == 0, run.describe()
    assert not leaks_in(run.stdout, FORMS) and not leaks_in(run.stderr, FORMS), run.describe()
    steps = {e["step_id"]: e for e in run.events if e["event"] == "step_finished"}
    userinfo = steps["userinfo"]["error"]
    assert "user name or password in it" in userinfo and "vault credential" in userinfo, userinfo
    assert "Invalid port" not in userinfo and "InvalidURL" not in userinfo
    assert steps["login"]["status"] == "completed"
    assert steps["in_path"]["status"] == "failed" and MASK in steps["in_path"]["error"], steps["in_path"]
    assert steps["cut"]["error"].count(MASK) >= 2, steps["cut"]["error"]
    execution_id = next(e["execution_id"] for e in run.events if e["event"] == "execution_started")
    show = igtk("show", execution_id, "--json")
    assert show.code == 0 and not leaks_in(show.stdout + show.stderr, FORMS), show.describe()
    assert MASK in junit.read_text(encoding="utf-8")
    assert scan_files([tmp_path], FORMS) == {}
