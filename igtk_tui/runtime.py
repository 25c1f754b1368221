"""The services one process shares, for the CLI and the TUI alike: paths,
settings, library, vault, and execution factory.

Heavy parts (vault crypto, store) are opened lazily so `igtk validate` and the
first TUI screen stay fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui.config import Settings, load_settings
from igtk_tui.engine.nesting import PlaybookResolver
from igtk_tui.paths import Paths, builtin_playbooks_dir, keep_private, resolve_paths
from igtk_tui.playbook.library import Library
from igtk_tui.playbook.metadata import PlaybookMetadata
from igtk_tui.playbook.model import Playbook

if TYPE_CHECKING:  # the engine loads with the first execution: `igtk history` and friends never need it
    from igtk_tui.engine.events import EventBus
    from igtk_tui.engine.execution import Execution, ResumeState
    from igtk_tui.engine.launch import RunRequest


class LibraryResolver(PlaybookResolver):
    """The nesting gate fed by the library: verified/enabled from its metadata,
    and a child found inside a library folder is swapped for its effective copy
    (a user override of a built-in child wins, as it does for `igtk run`)."""

    def __init__(self, library: Library) -> None:
        super().__init__(library.folders, is_verified=library.is_verified, is_enabled=library.is_enabled)
        self.library = library

    def find(self, parent: Playbook, ref: str) -> Path:
        path = super().find(parent, ref)
        rel = self.library.relative(path)
        effective = self.library.effective_path(rel) if rel else None
        return effective or path


class Runtime:
    def __init__(self, paths: Paths | None = None, settings: Settings | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.paths = paths or resolve_paths(self.env)
        keep_private(self.paths)
        self.settings = settings or load_settings(self.paths, self.env)
        from igtk_tui.playbook import safe_yaml

        safe_yaml.configure(safe_yaml.YamlLimits(max_bytes=self.settings.playbook_max_bytes,
                                                 max_depth=self.settings.playbook_max_depth))
        self._library: Library | None = None
        self._metadata: PlaybookMetadata | None = None
        self._vault: Any = None
        self._vault_locked = False  # locked on purpose (`igtk agent lock`): no automatic reopening
        self._store: Any = None  # igtk_tui.store.Store, opened by open_store()
        self._store_location: Any = None  # igtk_tui.store.StoreLocation, built once

    # -- library ----------------------------------------------------------
    @property
    def library(self) -> Library:
        if self._library is None:
            roots: list[tuple[str, Path]] = [("built-in", builtin_playbooks_dir())]
            roots += [("extra", Path(p).expanduser()) for p in self.settings.playbook_dirs]
            roots.append(("user", self.paths.user_playbooks_dir))
            self._library = Library(roots, metadata=self.metadata)
        return self._library

    @property
    def metadata(self) -> PlaybookMetadata:
        """Library metadata (verified, enabled, origin...) in the history database."""
        if self._metadata is None:
            self._metadata = PlaybookMetadata(self._open_metadata_repo)
        return self._metadata

    def _open_metadata_repo(self) -> Any:
        from igtk_tui.store.playbook_meta import PlaybookMetaRepo  # first use only: validate never needs it

        return PlaybookMetaRepo(self.store_location())

    def resolver(self) -> PlaybookResolver:
        """Nesting gate fed by the library: only verified, enabled children run."""
        return LibraryResolver(self.library)

    def check_enabled(self, playbook: Playbook) -> None:
        """Refuse (exit 2) a playbook disabled in the library, whoever starts it."""
        from igtk_tui.errors import InvalidInput

        if not self.library.is_enabled(playbook):
            rel = self.library.relative(playbook.path) if playbook.path else playbook.name
            raise InvalidInput(f"playbook {rel!r} is disabled in the library; "
                               f"enable it with `igtk playbook enable {rel}`")

    # -- vault ------------------------------------------------------------
    def vault(self) -> Any:
        """The open vault; raises ServiceUnavailable (exit 3) with the fixes when it cannot open.

        The one way to the vault for the CLI, the TUI and the agent: once `unlock_vault`
        opened it (the agent's ssh-agent-like unlock), every later call returns that one.
        """
        if self._vault is None:
            from igtk_tui.vault.errors import VaultLocked

            if self._vault_locked:
                raise VaultLocked("the vault was locked: unlock it again (`igtk agent unlock`, or in the TUI)")
            self._vault = self._open_own_vault()
        return self._vault

    def _open_own_vault(self) -> Any:
        from igtk_tui.vault.vault import Vault

        return Vault.open(self.paths, env=self.env, backend=self.settings.vault_backend)

    def unlock_vault(self, passphrase: str | None) -> Any:
        """Open the vault with `passphrase` (None: the environment's, or the keyring) and keep it
        open for every later `vault()`. The passphrase is registered with redact first, so no
        message can show it; only the derived key stays in memory (the file backend's)."""
        from igtk_tui import redact
        from igtk_tui.vault.vault import Vault

        if passphrase:
            redact.register(passphrase)
        self._vault = Vault.open(self.paths, env=self.env, passphrase=passphrase or None,
                                 backend=self.settings.vault_backend)
        self._vault_locked = False
        return self._vault

    def use_vault(self, vault: Any) -> None:
        """Read credentials from `vault` (the agent's, borrowed by a headless run) from now on."""
        self._vault, self._vault_locked = vault, False

    def vault_opener(self) -> Any:
        """Opens this process's own vault, bypassing one set by `use_vault` (its fallback)."""
        return self._open_own_vault

    def lock_vault(self) -> None:
        """Forget the open vault (and its key); `vault()` refuses until it is unlocked again."""
        self._vault, self._vault_locked = None, True

    def vault_state(self) -> dict[str, Any]:
        """Locked or unlocked, and which backend, without opening anything (never a secret)."""
        vault = self._vault
        return {"state": "unlocked" if vault is not None else "locked",
                "backend": vault.backend_name if vault is not None else None}

    # -- history store ------------------------------------------------------
    def store_location(self) -> Any:
        """Where the history lives (store.StoreLocation): the SQLite file, or `store_url` with the
        password of the vault credential `store_credential` when one is named.

        A bad URL or an unknown credential raises store.StoreConfigError (exit 3), naming the setting.
        """
        if self._store_location is None:
            from igtk_tui.store import StoreConfigError
            from igtk_tui.store.location import StoreUrlError, location_for

            try:
                location = location_for(self.paths.db_file, self.settings)
            except StoreUrlError as exc:
                raise StoreConfigError(str(exc)) from None
            name = self.settings.store_credential
            if location.is_postgres and name:
                from igtk_tui.errors import IgtkError

                try:
                    credential = self.vault().get(name)
                except IgtkError as exc:
                    raise StoreConfigError(f"store_credential {name!r}: {exc}") from None
                location = location.with_credential(credential.username, credential.secret)
            self._store_location = location
        return self._store_location

    async def open_store(self, *, retention: bool = False) -> Any:
        """The process's history Store (opened once; recovery runs on open).

        `retention=True` (runs, the TUI) also starts retention in the background.
        Raises store.StoreError when the database cannot be used.
        """
        if self._store is None:
            from igtk_tui.store import Store

            self._store = await Store.open(self.paths, self.settings, location=self.store_location())
        if retention:
            self._store.start_retention()
        return self._store

    async def close(self) -> None:
        """Close the store (its aiosqlite thread would otherwise keep the process alive)."""
        store, self._store = self._store, None
        if store is not None:
            await store.close()

    # -- executions ---------------------------------------------------------
    def preflight(self, request: RunRequest, *, probe_gateway: bool = True) -> Any:
        """Every check before the first step (shared with the agent); returns the credentials source.

        Disabled playbook or bad nesting: exit 2; no browser, locked vault, gateway unreachable: exit 3.
        A fleet run probes each gateway at its turn instead (`probe_gateway=False`): one that does not
        answer fails that gateway, not the whole run.
        """
        from igtk_tui.browser.discovery import preflight as browser_preflight
        from igtk_tui.engine.launch import LazyCredentials, check_credentials, needs_vault

        self.check_enabled(request.playbook)  # a disabled playbook never starts (exit 2)
        tree = self.resolver().check_tree(request.playbook)
        browser_preflight(tree, self.settings, self.env)  # no browser: exit 3 now
        credentials = (self.vault() if (needs_vault(request.playbook, request.params) or request.credential_names)
                       else LazyCredentials(self.vault))
        if request.credential_names:
            check_credentials(request, credentials)  # an unknown name: exit 2 now, not at login
        if request.gateway_url and probe_gateway:
            from igtk_tui.gateway.probe import preflight_gateway

            preflight_gateway(request.playbook, request.gateway_url, self.settings)  # unreachable: exit 3 now
        return credentials

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
        gateway_override: str | None = None,
        credential_names: tuple[str, ...] = (),
        resume: ResumeState | None = None,
        credentials: Any = None,
    ) -> Execution:
        from igtk_tui.engine.execution import Execution

        self.check_enabled(playbook)
        return Execution(
            playbook, params, bus=bus, settings=self.settings, artifacts_root=self.paths.artifacts_dir,
            credentials=credentials, resolver=self.resolver(), debug=debug, breakpoints=breakpoints,
            trigger=trigger, gateway_url=gateway_url, credential_names=credential_names, resume=resume,
            gateway_override=gateway_override,
        )
