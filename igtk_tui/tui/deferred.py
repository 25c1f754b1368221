"""A Runtime whose engine half loads after the first paint.

`Runtime` imports the engine, the playbook model and YAML (~0.1-0.2 s on the
project's machines); the first screen needs only paths and settings. This
stand-in has those at once and builds the real Runtime on first use of
anything else (the library worker, the store worker), once, under a lock.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from igtk_tui.config import Settings, load_settings
from igtk_tui.paths import Paths, resolve_paths


class DeferredRuntime:
    def __init__(self, env: dict[str, str] | None = None, *, paths: Paths | None = None,
                 settings: Settings | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.paths = paths or resolve_paths(self.env)
        self.settings = settings or load_settings(self.paths, self.env)
        self._real: Any = None
        self._lock = threading.Lock()

    @property
    def real(self) -> Any:
        if self._real is None:
            with self._lock:
                if self._real is None:
                    from igtk_tui.runtime import Runtime

                    self._real = Runtime(paths=self.paths, settings=self.settings, env=self.env)
        return self._real

    async def close(self) -> None:
        """Close what the real runtime opened (nothing to do when it was never built)."""
        if self._real is not None:
            await self._real.close()

    def __getattr__(self, name: str) -> Any:
        # Only called for what this object does not have itself: everything engine-side.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.real, name)
