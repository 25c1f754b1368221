"""The agent's own vault (the ssh-agent model) and its replay of recorded executions, with a
real agent process over its real socket: locked at start, `igtk agent unlock` from stdin, runs
that read credentials, credentials added after the unlock, `igtk agent lock`; the passphrase
never in the agent's log, the database or what `status` / `ps` print."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from agent_helpers import AgentHandle, igtk, kind_is, stop_agent, stop_agent_at, wait_event, write_playbook

from igtk_tui.paths import resolve_paths
from igtk_tui.vault import Credential, Vault
from igtk_tui.vault.kdf import CHEAP_TEST_KDF

PASSPHRASE = "agent-vault-canary-passphrase"
READS_CREDENTIAL = """\
    name: Reads a credential
    version: 1
    parameters:
      - {name: gateway, type: credential}
    steps:
      - {id: who, name: who, type: utility.log, parameters: {message: "as {{ parameter.gateway.username }}"}}
    """


def unlock(home: Path, passphrase: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*igtk_argv(), "agent", "unlock"], input=passphrase + "\n", capture_output=True, text=True, timeout=60,
        env=agent_env(home))


def igtk_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "igtk_tui"]


def agent_env(home: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_VAULT_PASSPHRASE")}
    return {**env, "IGTK_HOME": str(home), "IGTK_VAULT_BACKEND": "file"}


@pytest.fixture
def file_agent(home: Path, monkeypatch: pytest.MonkeyPatch) -> AgentHandle:
    monkeypatch.setenv("IGTK_VAULT_BACKEND", "file")  # never a desktop keyring: the agent starts locked
    handle = AgentHandle.start(home)
    yield handle
    stop_agent(handle)


def test_unlock_lock_and_runs_that_read_credentials(file_agent: AgentHandle, tmp_path: Path) -> None:
    home = file_agent.home
    paths = resolve_paths({"IGTK_HOME": str(home)})
    vault = Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    playbook = str(write_playbook(tmp_path, READS_CREDENTIAL, "creds.yaml"))
    status = json.loads(igtk(home, "agent", "status", "--json").stdout)
    assert status["vault"]["state"] == "locked"
    refused = igtk(home, "run", playbook, "--detach", "-p", "gateway=plant-gw")
    assert refused.returncode == 3 and "vault is locked" in refused.stderr and "igtk agent unlock" in refused.stderr
    wrong = unlock(home, "Zq9x-wr0ng-7kdQ")
    assert wrong.returncode == 3 and "passphrase" in wrong.stderr
    done = unlock(home, PASSPHRASE)
    assert done.returncode == 0, done.stderr
    assert "unlocked" in done.stdout and "encrypted file" in done.stdout
    shown = igtk(home, "agent", "status")
    assert "vault:   unlocked (encrypted file:" in shown.stdout
    first = file_agent.detach(Path(playbook), "-p", "gateway=plant-gw")
    assert wait_event(file_agent, first, kind_is("execution_finished"))["status"] == "completed"
    vault.add(Credential("late-gw", "basic", "late-operator", "late-canary-456"))  # after the unlock
    late = file_agent.detach(Path(playbook), "-p", "gateway=late-gw")
    wait_event(file_agent, late, lambda e: e["event"] == "log" and "late-operator" in e["message"])
    assert wait_event(file_agent, late, kind_is("execution_finished"))["status"] == "completed"
    printed = igtk(home, "agent", "status", "--json").stdout + igtk(home, "ps", "--json").stdout
    locked = igtk(home, "agent", "lock")
    assert locked.returncode == 0 and "locked" in locked.stdout
    assert json.loads(igtk(home, "agent", "status", "--json").stdout)["vault"]["state"] == "locked"
    assert igtk(home, "run", playbook, "--detach", "-p", "gateway=plant-gw").returncode == 3
    files = b"".join(p.read_bytes() for p in (home / "state").rglob("*") if p.is_file() and p.suffix != ".sock")
    files += b"".join(p.read_bytes() for p in (home / "data").glob("igtk.db*"))
    for secret in (PASSPHRASE, "pw-canary-123", "late-canary-456"):
        assert secret.encode() not in files, secret
        assert secret not in printed + done.stdout + done.stderr, secret


def test_run_detach_with_c_reads_the_agents_vault_not_its_own(file_agent: AgentHandle, tmp_path: Path) -> None:
    """`igtk agent unlock`, then `igtk run --detach -c CRED` from a shell without the passphrase:
    the credential is the agent's to read (this process's own vault is locked and stays unopened)."""
    home = file_agent.home
    paths = resolve_paths({"IGTK_HOME": str(home)})
    vault = Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    playbook = write_playbook(tmp_path, READS_CREDENTIAL, "creds.yaml")
    assert unlock(home, PASSPHRASE).returncode == 0
    started = igtk(home, "run", str(playbook), "--detach", "-c", "plant-gw", env=agent_env(home))
    assert started.returncode == 0, started.stderr
    execution_id = started.stdout.strip()
    wait_event(file_agent, execution_id, lambda e: e["event"] == "log" and "as operator7" in e["message"])
    assert wait_event(file_agent, execution_id, kind_is("execution_finished"))["status"] == "completed"
    unknown = igtk(home, "run", str(playbook), "--detach", "-c", "plant-gq", env=agent_env(home))
    assert unknown.returncode == 2 and "plant-gw" in unknown.stderr  # the agent's vault names close matches
    bad = igtk(home, "run", str(playbook), "--detach", "-p", "nope=1", env=agent_env(home))
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_an_agent_opening_its_vault_from_its_environment_never_says_locked(home: Path) -> None:
    """The agent opens the vault itself when its environment holds the passphrase (`igtk demo`,
    a systemd credential); with the real key derivation that takes a second. The first status,
    the one the TUI asks before a run that reads credentials, must not say "locked" meanwhile:
    the TUI would ask the operator for a passphrase they may not know (the demo's)."""
    from igtk_tui.agent.client import AgentClient

    paths = resolve_paths({"IGTK_HOME": str(home)})
    Vault.open(paths, env={"IGTK_VAULT_PASSPHRASE": PASSPHRASE}, backend="file").add(  # the real, slow KDF
        Credential("plant-gw", "basic", "operator7", "pw-canary-123"))
    try:
        started = igtk(home, "agent", "start", env={**agent_env(home), "IGTK_VAULT_PASSPHRASE": PASSPHRASE})
        assert started.returncode == 0, started.stderr
        with AgentClient.connect(paths) as client:
            assert client.status()["vault"]["state"] == "unlocked"
    finally:
        stop_agent_at(home)


def test_the_agent_replays_a_recorded_execution_with_resume_of(agent: AgentHandle, tmp_path: Path) -> None:
    execution_id = agent.detach(write_playbook(tmp_path), "-p", "seconds=0", "--breakpoint", "b")
    wait_event(agent, execution_id, kind_is("paused", step_id="b"))
    assert igtk(agent.home, "cancel", execution_id).returncode == 0
    wait_event(agent, execution_id, kind_is("execution_finished"))
    with agent.client() as client:
        resumed = client.start({"resume_of": execution_id[:8], "trigger": "test"})
        with pytest.raises(Exception, match="still running|only interrupted, failed or cancelled"):
            client.start({"resume_of": resumed["id"]})
    finished = wait_event(agent, resumed["id"], kind_is("execution_finished"))
    assert finished["status"] == "completed"
    shown = json.loads(igtk(agent.home, "show", resumed["id"], "--json").stdout)
    assert shown["resumed_from"] == execution_id
    assert [s["status"] for s in shown["steps"]][:2] == ["completed", "completed"]  # restored, not re-run
