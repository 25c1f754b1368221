"""The one playbook builder: write a playbook file for a test, from its whole text or from its steps."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any


def step(step_id: str, step_type: str, **params: Any) -> dict[str, Any]:
    """One step as a mapping (for `write_playbook(..., steps=[...])`)."""
    return {"id": step_id, "name": f"step {step_id}", "type": step_type, "parameters": params}


def write_playbook(folder: Path, text: str | None = None, name: str | None = None, *,
                   steps: str | list[dict[str, Any]] | None = None, title: str = "Test",
                   parameters: str | list[dict[str, Any]] | None = None, **top: Any) -> Path:
    """Write folder/name (sub-folders made) and return its path.

    Either `text`, the whole playbook (dedented, written as is), or `steps`: the playbook is built
    around them, named `title`, version "1", with `parameters` and any other top-level key (`top`).
    Steps and parameters are mappings (written as JSON, which YAML reads) or YAML text of the list.
    The file name defaults to "pb.yaml" for a text and to the title in lower case for steps.
    """
    if text is not None:
        assert steps is None and parameters is None and not top, "give the whole text, or the steps"
        body = textwrap.dedent(text)
    else:
        assert steps is not None, "give the whole text, or the steps"
        lines = [f"name: {json.dumps(title)}", 'version: "1"']
        lines += [f"{key}: {json.dumps(value)}" for key, value in top.items()]
        body = "\n".join(lines) + "\n" + _block("parameters", parameters or []) + _block("steps", steps)
        name = name or f"{title.lower().replace(' ', '-')}.yaml"
    path = folder / (name or "pb.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def _block(key: str, value: str | list[dict[str, Any]]) -> str:
    if isinstance(value, str):  # the list's YAML text, or the whole `key:` entry
        text = textwrap.dedent(value).strip("\n")
        if text.startswith(f"{key}:"):
            return text + "\n"
        return f"{key}:\n{textwrap.indent(text, '  ')}\n" if text else f"{key}: []\n"
    return f"{key}: {json.dumps(value, indent=1)}\n"


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
    return write_playbook(folder, steps=steps, title=name)
