"""Run the real `igtk` command in a subprocess with a private IGTK_HOME, and
read its `--json` event stream. Shared by the library and playbook tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
PLAYBOOKS = REPO / "playbooks"
VAULT_PASSPHRASE = "playbook-tests-passphrase"


@dataclass
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    _events: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def events(self) -> list[dict[str, Any]]:
        if self._events is None:
            self._events = [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]
        return self._events

    def finished(self, step_id: str) -> dict[str, Any]:
        """The last step_finished event of a step (by its path, e.g. `first/compose`)."""
        found = [e for e in self.events if e["event"] == "step_finished" and e["step_id"] == step_id]
        assert found, f"step {step_id!r} never finished; steps seen: {self.step_ids()}\n{self.stderr}"
        return found[-1]

    def output(self, step_id: str) -> dict[str, Any]:
        event = self.finished(step_id)
        assert event["status"] == "completed", f"{step_id}: {event['status']} {event['error']}"
        return event["output"]

    def step_ids(self) -> list[str]:
        return [e["step_id"] for e in self.events if e["event"] == "step_finished"]

    def logs(self, step_id: str | None = None) -> list[str]:
        return [e["message"] for e in self.events
                if e["event"] == "log" and (step_id is None or e["step_id"] == step_id)]

    @property
    def execution(self) -> dict[str, Any]:
        return next(e for e in self.events if e["event"] == "execution_finished")

    def describe(self) -> str:
        return f"igtk {' '.join(self.args)} -> {self.code}\nstdout:\n{self.stdout[-4000:]}\nstderr:\n{self.stderr[-4000:]}"


class Igtk:
    """`igtk ...` as an operator would type it, hermetic: IGTK_HOME, no OS keyring."""

    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        base = {k: v for k, v in os.environ.items()
                if not k.startswith("IGTK_") and k not in ("VISUAL", "EDITOR")}
        base.update(IGTK_HOME=str(home), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
                    IGTK_VAULT_PASSPHRASE=VAULT_PASSPHRASE, NO_COLOR="1", PYTHONUNBUFFERED="1")
        base.update(env)
        self.env = base

    @property
    def user_dir(self) -> Path:
        return self.home / "data" / "playbooks"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "igtk_tui", *args]

    def __call__(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None,
                 timeout: float = 90) -> Result:
        proc = subprocess.run(self.command(*args), input=stdin, capture_output=True, text=True,
                              env={**self.env, **(env or {})}, timeout=timeout, cwd=REPO,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
        return Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, env={**self.env, **(env or {})}, cwd=REPO)

    def inproc(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """The same `igtk` entry point called in this process (no interpreter start-up):
        for quick library queries between the subprocess runs that matter."""
        import contextlib
        import io

        from igtk_tui.cli import main

        out, err = io.StringIO(), io.StringIO()
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update({**self.env, **(env or {})})
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(args))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return Result(tuple(args), code, out.getvalue(), err.getvalue())

    def json(self, *args: str) -> Any:
        result = self.inproc(*args)
        assert result.code == 0, result.describe()
        return json.loads(result.stdout)

    def seed_cheap_vault(self) -> None:
        """Create the encrypted vault file with the vault tests' cheap KDF (its header carries
        the KDF parameters), so each run unlocks it quickly; credentials are then added with
        the real `igtk cred add`."""
        from igtk_tui.paths import resolve_paths
        from igtk_tui.vault import Credential, Vault
        from igtk_tui.vault.kdf import CHEAP_TEST_KDF

        paths = resolve_paths({"IGTK_HOME": str(self.home)})
        vault = Vault.open(paths, env={}, passphrase=VAULT_PASSPHRASE, backend="file", test_kdf=CHEAP_TEST_KDF)
        vault.add(Credential("seed", "basic", "seed", "seed-secret"))
        vault.delete("seed")

    def library(self) -> dict[str, dict[str, Any]]:
        return {row["path"]: row for row in self.json("playbooks", "--json")}
