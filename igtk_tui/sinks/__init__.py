"""Headless event sinks for `igtk run`: human progress, JSON lines, JUnit XML."""
