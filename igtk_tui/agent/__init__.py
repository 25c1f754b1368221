"""The igtk agent: one background process per user and state root that owns the
executions started through it, so they outlive the terminal that started them.

Only `server.py` imports starlette/uvicorn: clients (`igtk run --detach`, `ps`,
`attach`, the control verbs) pay for httpx alone.
"""
