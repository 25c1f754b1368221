"""The one CLI harness: the real `igtk` command in a subprocess with a private IGTK_HOME.

`Igtk(home)` runs `python -m igtk_tui ...` as an operator types it: the test's environment (the
plugin cleared every IGTK_* variable the developer's shell had, so only what the test set itself
passes through, e.g. IGTK_STORE_URL or IGTK_CLOCK_FILE), this IGTK_HOME, no colour, no OS keyring
(unless `keyring_fail=False`), and the vault passphrase given (None: only one the test itself set).
`Result` reads the `--json` event stream. `inproc` calls the same entry point in this process, for
quick queries between the subprocess runs that matter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from igtk_tui.paths import Paths, resolve_paths

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
VAULT_PASSPHRASE = "igtk-tests-vault-passphrase"
# Byte code of the `igtk` children cached outside the repository, so each start does not recompile.
PYCACHE = Path(tempfile.gettempdir()) / f"igtk-test-pycache-{os.getuid()}"


@dataclass
class Result:
    """One finished `igtk` command: its exit code, its output, and its `--json` events."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    _events: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def events(self) -> list[dict[str, Any]]:
        if self._events is None:
            self._events = json_events(self.stdout)
        return self._events

    def json(self) -> Any:
        return json.loads(self.stdout)

    def finished(self, step_id: str) -> dict[str, Any]:
        """The last step_finished event of a step (by its path, e.g. `first/compose`)."""
        found = [e for e in self.events if e["event"] == "step_finished" and e["step_id"] == step_id]
        assert found, f"step {step_id!r} never finished; steps seen: {self.step_ids()}\n{self.stderr}"
        return found[-1]

    def output(self, step_id: str) -> dict[str, Any]:
        event = self.finished(step_id)
        assert event["status"] == "completed", f"{step_id}: {event['status']} {event['error']}"
        return dict(event["output"])

    def step_ids(self) -> list[str]:
        return [e["step_id"] for e in self.events if e["event"] == "step_finished"]

    def logs(self, step_id: str | None = None) -> list[str]:
        return [e["message"] for e in self.events
                if e["event"] == "log" and (step_id is None or e["step_id"] == step_id)]

    @property
    def execution(self) -> dict[str, Any]:
        return next(e for e in self.events if e["event"] == "execution_finished")

    def describe(self) -> str:
        return (f"igtk {' '.join(self.args)} -> {self.code}\n"
                f"stdout:\n{self.stdout[-4000:]}\nstderr:\n{self.stderr[-4000:]}")


def json_events(stdout: str) -> list[dict[str, Any]]:
    """The JSON lines of an `igtk run --json` output (other lines skipped)."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


class Igtk:
    """`igtk ...` as an operator types it, hermetic: a private IGTK_HOME, no OS keyring.

    `keyring_fail=False` lets keyring's real probe run instead, with the session bus hidden and
    keyring's folders private, as on a headless server without D-Bus. `env` entries override the
    environment of every command; `cwd` is where the commands run (by default the folder that holds
    the home: the test's own, never the checkout).
    """

    def __init__(self, home: Path, *, passphrase: str | None = VAULT_PASSPHRASE, keyring_fail: bool = True,
                 cwd: Path | None = None, **env: str) -> None:
        self.home = home
        self.cwd = cwd or home.parent
        self.overrides: dict[str, str] = {"IGTK_HOME": str(home), "NO_COLOR": "1", "PYTHONUNBUFFERED": "1",
                                          "PYTHONPYCACHEPREFIX": str(PYCACHE)}
        self.removed = {"VISUAL", "EDITOR", "PYTHONDONTWRITEBYTECODE"}
        if passphrase is not None:
            self.overrides["IGTK_VAULT_PASSPHRASE"] = passphrase
        if keyring_fail:
            self.overrides["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        else:  # keyring's config and any runtime bus socket come from private folders
            self.removed |= {"PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS"}
            for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
                folder = home.parent / f"xdg-{name.lower()}"
                folder.mkdir(parents=True, exist_ok=True)
                self.overrides[name] = str(folder)
        self.overrides.update(env)

    # -- where things are -----------------------------------------------------------------------
    @property
    def paths(self) -> Paths:
        return resolve_paths({"IGTK_HOME": str(self.home)})

    @property
    def user_dir(self) -> Path:
        return self.home / "data" / "playbooks"

    @property
    def db(self) -> Path:
        return self.home / "data" / "igtk.db"

    @property
    def logs_dir(self) -> Path:
        return self.home / "state" / "logs"

    @property
    def crash_dir(self) -> Path:
        return self.home / "state" / "crash"

    def artifacts(self, execution_id: str) -> Path:
        return self.home / "data" / "artifacts" / execution_id

    # -- running ----------------------------------------------------------------------------------
    def environment(self, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> dict[str, str]:
        """The environment of one command: the test's, this harness's, then `env`; `unset` removed."""
        full = {k: v for k, v in os.environ.items() if k not in self.removed}
        full.update(self.overrides)
        full.update(env or {})
        for name in unset:
            full.pop(name, None)
        return full

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "igtk_tui", *args]

    def __call__(self, *args: str, stdin: str | IO[Any] | int | None = None, env: dict[str, str] | None = None,
                 unset: tuple[str, ...] = (), timeout: float = 90, cwd: Path | None = None,
                 **popen: Any) -> Result:
        """Run `igtk ARGS` to its end; `stdin` is text to feed, a file or a pipe (none: /dev/null)."""
        return self._run(self.command(*args), args, stdin=stdin, env=env, unset=unset, timeout=timeout, cwd=cwd,
                         **popen)

    def python(self, code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60,
               cwd: Path | None = None) -> Result:
        """`python -c CODE ARGS` in the same environment (a script that drives igtk's own code)."""
        return self._run([sys.executable, "-c", code, *args], ("-c", *args), stdin=None, env=env, unset=(),
                         timeout=timeout, cwd=cwd)

    def _run(self, argv: list[str], args: tuple[str, ...], *, stdin: str | IO[Any] | int | None,
             env: dict[str, str] | None, unset: tuple[str, ...], timeout: float, cwd: Path | None,
             **popen: Any) -> Result:
        feed: dict[str, Any] = ({"input": stdin} if isinstance(stdin, str)
                                else {"stdin": stdin if stdin is not None else subprocess.DEVNULL})
        proc = subprocess.run(argv, **feed, capture_output=True, text=True, env=self.environment(env, unset),
                              timeout=timeout, cwd=cwd or self.cwd, **popen)
        return Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str, stdin: IO[Any] | int | None = None, env: dict[str, str] | None = None,
              cwd: Path | None = None, **popen: Any) -> subprocess.Popen[str]:
        """`igtk ARGS` started and left running: stdout and stderr are pipes."""
        popen.setdefault("stdout", subprocess.PIPE)
        popen.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.command(*args), stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                text=True, env=self.environment(env), cwd=cwd or self.cwd, **popen)

    def inproc(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """The same `igtk` entry point called in this process (no interpreter start-up)."""
        from igtk_tui.cli import main

        out, err = io.StringIO(), io.StringIO()
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.environment(env))
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

    # -- state ------------------------------------------------------------------------------------
    def seed_cheap_vault(self) -> None:
        """Create the encrypted vault file with the vault tests' cheap KDF (its header carries
        the KDF parameters), so each run unlocks it quickly; credentials are then added with
        the real `igtk cred add`."""
        from igtk_tui.vault import Credential, Vault
        from igtk_tui.vault.kdf import CHEAP_TEST_KDF

        passphrase = self.overrides["IGTK_VAULT_PASSPHRASE"]
        vault = Vault.open(self.paths, env={}, passphrase=passphrase, backend="file", test_kdf=CHEAP_TEST_KDF)
        vault.add(Credential("seed", "basic", "seed", "seed-secret"))
        vault.delete("seed")

    def library(self) -> dict[str, dict[str, Any]]:
        return {row["path"]: row for row in self.json("playbooks", "--json")}
