"""The services one process shares, for the CLI and the TUI alike: paths,
settings, library, vault, and execution factory.

Heavy parts (vault crypto, store) are opened lazily so `igtk validate` and the
first TUI screen stay fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from igtk_tui.config import Settings, load_settings
from igtk_tui.engine.events import EventBus
from igtk_tui.engine.execution import Execution, ResumeState
from igtk_tui.engine.nesting import PlaybookResolver
from igtk_tui.paths import Paths, builtin_playbooks_dir, resolve_paths
from igtk_tui.playbook.library import Library
from igtk_tui.playbook.model import Playbook


class Runtime:
    def __init__(self, paths: Paths | None = None, settings: Settings | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.paths = paths or resolve_paths(self.env)
        self.settings = settings or load_settings(self.paths, self.env)
        self._library: Library | None = None
        self._vault: Any = None

    # -- library ----------------------------------------------------------
    @property
    def library(self) -> Library:
        if self._library is None:
            roots: list[tuple[str, Path]] = [("built-in", builtin_playbooks_dir())]
            roots += [("extra", Path(p).expanduser()) for p in self.settings.playbook_dirs]
            roots.append(("user", self.paths.user_playbooks_dir))
            self._library = Library(roots)
        return self._library

    def resolver(self) -> PlaybookResolver:
        return PlaybookResolver(self.library.folders)

    # -- vault ------------------------------------------------------------
    def vault(self) -> Any:
        """The open vault; raises ServiceUnavailable (exit 3) with the fixes when it cannot open."""
        if self._vault is None:
            from igtk_tui.vault.vault import Vault

            self._vault = Vault.open(self.paths, env=self.env, backend=self.settings.vault_backend)
        return self._vault

    # -- executions ---------------------------------------------------------
    def new_execution(
        self,
        playbook: Playbook,
        params: dict[str, Any],
        *,
        bus: EventBus | None = None,
        trigger: str = "cli",
        debug: bool = False,
        breakpoints: tuple[str, ...] = (),
        gateway_url: str | None = None,
        credential_names: tuple[str, ...] = (),
        resume: ResumeState | None = None,
        credentials: Any = None,
    ) -> Execution:
        return Execution(
            playbook, params, bus=bus, settings=self.settings, artifacts_root=self.paths.artifacts_dir,
            credentials=credentials, resolver=self.resolver(), debug=debug, breakpoints=breakpoints,
            trigger=trigger, gateway_url=gateway_url, credential_names=credential_names, resume=resume,
        )
