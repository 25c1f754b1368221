"""`python -m igtk_tui` is the same as the `igtk` console script."""

from igtk_tui.cli import entry

entry()
