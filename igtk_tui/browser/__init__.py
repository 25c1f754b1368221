"""Headless Chromium for browser.* and perspective.* steps.

`discovery` finds a browser binary without starting anything (so `igtk run`
can fail fast with exit 3); `driver` keeps one Playwright driver per process;
`session` is one browser per execution, kept in the execution's resources;
`reaper` is the last resort that makes sure no Chromium outlives us.
Playwright is imported lazily: nothing here costs anything until a step needs it.
"""
