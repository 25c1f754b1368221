"""Headless event sinks for `igtk run`: human progress and JSON lines (JUnit and the other reports: igtk_tui/report)."""
