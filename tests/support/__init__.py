"""Helpers and fixtures shared by the test suite (a package: `from tests.support.cli import Igtk`).

plugin.py is the pytest plugin (fixtures, hooks; pyproject's addopts load it); the other modules are
helpers, one per subject.
"""
