"""Every exception igtk raises for an operator is an IgtkError carrying its exit code
(docs/cli.md); the few that are not say why here."""

from __future__ import annotations

import ast
from pathlib import Path

import igtk_tui

BUILTIN_ERRORS = {"Exception", "BaseException", "ValueError", "TypeError", "RuntimeError", "KeyError",
                  "LookupError", "OSError", "IOError"}
# Not operator-facing errors, and why.
NOT_IGTK_ERRORS = {
    "engine/controls.py:StepInterrupted",  # a control signal (skip, step back): no error handler may swallow it
    "simulator/errors.py:HttpError",  # the simulated gateway's HTTP answers, never raised to igtk's operator
    "simulator/errors.py:Unprocessable",
    "simulator/api_projects.py:_Missing",
}


def test_exceptions_derive_from_igtk_error() -> None:
    root = Path(igtk_tui.__file__).parent
    direct = set()
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if bases & BUILTIN_ERRORS:
                    direct.add(f"{path.relative_to(root)}:{node.name}")
    assert direct - NOT_IGTK_ERRORS == {"errors.py:IgtkError"}
