"""Playbook format: typed model, YAML loader with file:line:col errors, references, library."""
