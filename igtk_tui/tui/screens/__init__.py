"""Screens: the main four-pane screen, history, detail, vault and the dialogs."""
