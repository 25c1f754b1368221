"""igtk: run YAML playbooks against Ignition gateways, from a terminal or headless."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (click, rich, pygments) whenever those happen to be
# installed, and they are (textual brings rich, uvicorn click): half of `import httpx`, ~0.1 CPU-s
# of every headless gateway run, for a CLI igtk never calls. httpx falls back to a stub `main`
# when that module cannot be imported; None here makes that so (the TUI imports rich itself).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None blocks the import, by design
