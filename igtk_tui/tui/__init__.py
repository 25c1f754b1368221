"""The terminal UI. The only package that imports textual (DESIGN §1)."""
