"""The execution engine: runs playbooks as asyncio tasks and emits typed events.

It knows nothing of UI or storage; subscribers (store, TUI, CLI) listen to events.
"""
