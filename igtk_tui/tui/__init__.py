"""The terminal UI. The only package that imports textual (docs/architecture.md)."""
