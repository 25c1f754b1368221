"""The agent's own vault (the ssh-agent model) and its replay of recorded executions, with a
real agent process over its real socket: locked at start, `igtk agent unlock` from stdin, runs
that read credentials, credentials added after the unlock, `igtk agent lock`; the passphrase
never in the agent's log, the database or what `status` / `ps` print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from igtk_tui.paths import resolve_paths
from igtk_tui.vault import Credential, Vault
from igtk_tui.vault.kdf import CHEAP_TEST_KDF
from tests.support.agent import LONG, AgentHandle, kind_is, wait_event
from tests.support.cli import Igtk
from tests.support.playbooks import write_playbook

PASSPHRASE = "agent-vault-canary-passphrase"
READS_CREDENTIAL = """\
    name: Reads a credential
    version: 1
    parameters:
      - {name: gateway, type: credential}
    steps:
      - {id: who, name: who, type: utility.log, parameters: {message: "as {{ parameter.gateway.username }}"}}
    """


@pytest.fixture
def file_agent(home: Path, monkeypatch: pytest.MonkeyPatch) -> AgentHandle:
    monkeypatch.setenv("IGTK_VAULT_BACKEND", "file")  # never a desktop keyring: the agent starts locked
    return AgentHandle.start(home)


def test_unlock_lock_and_runs_that_read_credentials(file_agent: AgentHandle, tmp_path: Path) -> None:
    home, cli = file_agent.home, file_agent.cli
    paths = resolve_paths({"IGTK_HOME": str(home)})
    vault = Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    playbook = str(write_playbook(tmp_path, READS_CREDENTIAL, "creds.yaml"))
    status = json.loads(cli("agent", "status", "--json").stdout)
    assert status["vault"]["state"] == "locked"
    refused = cli("run", playbook, "--detach", "-p", "gateway=plant-gw")
    assert refused.code == 3 and "vault is locked" in refused.stderr and "igtk agent unlock" in refused.stderr
    wrong = cli("agent", "unlock", stdin="Zq9x-wr0ng-7kdQ" + "\n")
    assert wrong.code == 3 and "passphrase" in wrong.stderr
    done = cli("agent", "unlock", stdin=PASSPHRASE + "\n")
    assert done.code == 0, done.stderr
    assert "unlocked" in done.stdout and "encrypted file" in done.stdout
    shown = cli("agent", "status")
    assert "vault:   unlocked (encrypted file:" in shown.stdout
    first = file_agent.detach(Path(playbook), "-p", "gateway=plant-gw")
    assert wait_event(file_agent, first, kind_is("execution_finished"))["status"] == "completed"
    vault.add(Credential("late-gw", "basic", "late-operator", "late-canary-456"))  # after the unlock
    late = file_agent.detach(Path(playbook), "-p", "gateway=late-gw")
    wait_event(file_agent, late, lambda e: e["event"] == "log" and "late-operator" in e["message"])
    assert wait_event(file_agent, late, kind_is("execution_finished"))["status"] == "completed"
    printed = cli("agent", "status", "--json").stdout + cli("ps", "--json").stdout
    locked = cli("agent", "lock")
    assert locked.code == 0 and "locked" in locked.stdout
    assert json.loads(cli("agent", "status", "--json").stdout)["vault"]["state"] == "locked"
    assert cli("run", playbook, "--detach", "-p", "gateway=plant-gw").code == 3
    files = b"".join(p.read_bytes() for p in (home / "state").rglob("*") if p.is_file() and p.suffix != ".sock")
    files += b"".join(p.read_bytes() for p in (home / "data").glob("igtk.db*"))
    for secret in (PASSPHRASE, "pw-canary-123", "late-canary-456"):
        assert secret.encode() not in files, secret
        assert secret not in printed + done.stdout + done.stderr, secret


def test_run_detach_with_c_reads_the_agents_vault_not_its_own(file_agent: AgentHandle, tmp_path: Path) -> None:
    """`igtk agent unlock`, then `igtk run --detach -c CRED` from a shell without the passphrase:
    the credential is the agent's to read (this process's own vault is locked and stays unopened)."""
    home, cli = file_agent.home, file_agent.cli
    paths = resolve_paths({"IGTK_HOME": str(home)})
    vault = Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    playbook = str(write_playbook(tmp_path, READS_CREDENTIAL, "creds.yaml"))
    assert cli("agent", "unlock", stdin=PASSPHRASE + "\n").code == 0
    started = cli("run", playbook, "--detach", "-c", "plant-gw")
    assert started.code == 0, started.stderr
    execution_id = started.stdout.strip()
    wait_event(file_agent, execution_id, lambda e: e["event"] == "log" and "as operator7" in e["message"])
    assert wait_event(file_agent, execution_id, kind_is("execution_finished"))["status"] == "completed"
    unknown = cli("run", playbook, "--detach", "-c", "plant-gq")
    assert unknown.code == 2 and "plant-gw" in unknown.stderr  # the agent's vault names close matches
    bad = cli("run", playbook, "--detach", "-p", "nope=1")
    assert bad.code == 2 and "nope" in bad.stderr


def test_an_agent_opening_its_vault_from_its_environment_never_says_locked(home: Path) -> None:
    """The agent opens the vault itself when its environment holds the passphrase (`igtk demo`,
    a systemd credential); with the real key derivation that takes a second. The first status,
    the one the TUI asks before a run that reads credentials, must not say "locked" meanwhile:
    the TUI would ask the operator for a passphrase they may not know (the demo's)."""
    from igtk_tui.agent.client import AgentClient

    paths = resolve_paths({"IGTK_HOME": str(home)})
    Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file").add(  # the real, slow KDF
        Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    started = Igtk(home, passphrase=PASSPHRASE, IGTK_VAULT_BACKEND="file")("agent", "start")
    assert started.code == 0, started.stderr
    with AgentClient.connect(paths) as client:  # the agent is stopped by the `home` fixture
        assert client.status()["vault"]["state"] == "unlocked"


def test_the_agent_replays_a_recorded_execution_with_resume_of(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path, LONG, "long.yaml"), "-p", "seconds=0", "--breakpoint", "b")
    wait_event(agent, execution_id, kind_is("paused", step_id="b"))
    assert agent.cli("cancel", execution_id).code == 0
    wait_event(agent, execution_id, kind_is("execution_finished"))
    with agent.client() as client:
        resumed = client.start({"resume_of": execution_id[:8], "trigger": "test"})
        with pytest.raises(Exception, match="still running|only interrupted, failed or cancelled"):
            client.start({"resume_of": resumed["id"]})
    finished = wait_event(agent, resumed["id"], kind_is("execution_finished"))
    assert finished["status"] == "completed"
    shown = json.loads(agent.cli("show", resumed["id"], "--json").stdout)
    assert shown["resumed_from"] == execution_id
    assert [s["status"] for s in shown["steps"]][:2] == ["completed", "completed"]  # restored, not re-run


def test_headless_run_c_reads_the_credential_from_the_unlocked_agent(file_agent: AgentHandle, tmp_path: Path) -> None:
    """`igtk agent unlock`, then a plain `igtk run -c CRED` (not detached) from a shell without the
    passphrase: the run asks the agent for that credential over its socket instead of deriving the
    key itself. Locked again, the run opens its own vault: without a passphrase that is exit 3,
    with one it runs. The secret never reaches what the runs print or the agent's files."""
    home, cli = file_agent.home, file_agent.cli
    paths = resolve_paths({"IGTK_HOME": str(home)})
    vault = Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    playbook = str(write_playbook(tmp_path, READS_CREDENTIAL, "creds.yaml"))
    assert cli("run", playbook, "-c", "plant-gw").code == 3  # locked agent, no key
    assert cli("agent", "unlock", stdin=PASSPHRASE + "\n").code == 0
    ran = cli("run", playbook, "-c", "plant-gw")
    assert ran.code == 0, ran.stderr
    assert "as operator7" in ran.stdout
    by_param = cli("run", playbook, "-p", "gateway=plant-gw", "--json")
    assert by_param.code == 0, by_param.stderr
    assert "as operator7" in by_param.stdout
    unknown = cli("run", playbook, "-c", "plant-gq")
    assert unknown.code == 2 and "plant-gw" in unknown.stderr  # close matches, as the local vault names them
    assert cli("agent", "lock").code == 0
    assert cli("run", playbook, "-c", "plant-gw").code == 3
    local = cli("run", playbook, "-c", "plant-gw", env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE})
    assert local.code == 0 and "as operator7" in local.stdout, local.stderr
    printed = "".join(r.stdout + r.stderr for r in (ran, by_param, unknown, local))
    files = b"".join(p.read_bytes() for p in (home / "state").rglob("*") if p.is_file() and p.suffix != ".sock")
    files += b"".join(p.read_bytes() for p in (home / "data").glob("igtk.db*"))
    assert "pw-canary-123" not in printed
    assert b"pw-canary-123" not in files
