"""Helpers for history-store tests: playbooks written to tmp, the CLI as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def backend() -> Any:
    """The history backend of the running test (its fixture sets IGTK_STORE_URL for PostgreSQL)."""
    from store_backend import StoreBackend

    url = os.environ.get("IGTK_STORE_URL")
    return StoreBackend("postgresql", url) if url else StoreBackend("sqlite")


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """The CLI's environment: this IGTK_HOME and the test's history backend only; bytecode cached
    outside the repository (PYTHONPYCACHEPREFIX) so each start does not recompile every module."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith("IGTK_") or k == "IGTK_STORE_URL") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"IGTK_HOME": str(home), "PYTHONPATH": str(REPO), "NO_COLOR": "1",
                "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / f"igtk-test-pycache-{os.getuid()}")},
               **extra)
    return env


def igtk(home: Path, *args: str, timeout: float = 60, **env: str) -> Result:
    proc = subprocess.run([sys.executable, "-m", "igtk_tui", *args], capture_output=True, text=True,
                          env=cli_env(home, **env), timeout=timeout, cwd=str(home.parent))
    return Result(proc.returncode, proc.stdout, proc.stderr)


def spawn(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "igtk_tui", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(home, **env), cwd=str(home.parent))


def step(step_id: str, step_type: str, **params: Any) -> dict[str, Any]:
    return {"id": step_id, "name": f"step {step_id}", "type": step_type, "parameters": params}


def write_playbook(folder: Path, name: str, steps: list[dict[str, Any]],
                   parameters: list[dict[str, Any]] | None = None, **top: Any) -> Path:
    """YAML is a superset of JSON: write the playbook as JSON text."""
    doc = {"name": name, "version": "1", **top, "parameters": parameters or [], "steps": steps}
    path = folder / f"{name.lower().replace(' ', '-')}.yaml"
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def long_playbook(folder: Path, n: int = 40, name: str = "long") -> Path:
    """Many short utility steps; each log step reads the variable set before it, and the
    last step reads restored outputs and variables (so a bad resume fails the run)."""
    steps = []
    for i in range(n):
        if i % 3 == 0:
            steps.append(step(f"s{i:03d}", "utility.set_variable", name=f"v{i}", value=i))
        elif i % 3 == 1:
            steps.append(step(f"s{i:03d}", "utility.log", message=f"step {i} sees {{{{ variable.v{i - 1} }}}}"))
        else:
            steps.append(step(f"s{i:03d}", "utility.sleep", seconds=0.004))
    last_var = 3 * ((n - 1) // 3)
    # A slower step before the end, so a kill after any of the first n-4 steps lands mid-run.
    steps.append(step("guard", "utility.sleep", seconds=0.4))
    steps.append(step("final", "utility.log",
                      message=f"first={{{{ step.s000.value }}}} last={{{{ variable.v{last_var} }}}}"))
    return write_playbook(folder, name, steps)


def db_connect(home: Path) -> Any:
    """A plain connection to the test's history database (SQL with `?`, rows by index or name)."""
    return backend().connect(home)


def db_rows(home: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return backend().rows(home, sql, params)


def db_execute(home: Path, sql: str, params: Any = (), *, many: bool = False) -> None:
    backend().execute(home, sql, params, many=many)
