"""The vault as the UI sees it: opened after the first paint in a thread,
unlocked from the passphrase box, edited from the vault list.

Every change ends in one `VaultChanged` message carrying secret-free
`CredentialInfo` rows; the App hands it to the screens.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.tui.messages import VaultChanged


class VaultController:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.vault: Any = None

    @property
    def runtime(self) -> Any:
        return self.app.runtime

    # -- opening ----------------------------------------------------------------------------------
    def open_in_background(self) -> None:
        self.app.run_worker(self._open, thread=True, group="vault", exclusive=True, exit_on_error=False,
                            name="open vault")

    def _open(self) -> None:
        from igtk_tui.vault import VaultLocked, VaultUnavailable

        self._seed_demo()
        try:
            vault = self.open_with(None)
        except VaultUnavailable as exc:
            self.app.post_message(VaultChanged("locked", detail=exc.reason))
            return
        except VaultLocked as exc:
            self.app.post_message(VaultChanged("locked", detail=str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - corrupt file, bad config: shown, never a crash
            self.app.post_message(VaultChanged("unavailable", detail=str(exc).splitlines()[0]))
            return
        self._post_open(vault)

    def _seed_demo(self) -> None:
        """`igtk demo`: its credentials go in before the vault opens for the screens (in this thread)."""
        demo = getattr(self.app, "demo", None)
        seed = getattr(demo, "seed", None)
        if seed is None:
            return
        problem = seed()
        if problem:
            self.app.call_from_thread(self.app.notify, f"demo vault not seeded: {problem}", title="Configuration",
                                      severity="warning", markup=False, timeout=10)

    def open_with(self, passphrase: str | None) -> Any:
        """Open the vault (blocking: call in a thread)."""
        from igtk_tui.vault import Vault

        rt = self.runtime
        return Vault.open(rt.paths, env=rt.env, passphrase=passphrase, backend=rt.settings.vault_backend)

    def opened(self, vault: Any) -> None:
        """The unlock box opened it (on the loop): usable at once, listed in a thread."""
        self.vault = vault
        self.app.run_worker(lambda: self._post_open(vault), thread=True, group="vault", exit_on_error=False)

    def _post_open(self, vault: Any) -> None:
        self.vault = vault
        self.app.post_message(VaultChanged("open", vault.list(), detail=vault.backend_name, is_file=vault.is_file))

    # -- operator actions --------------------------------------------------------------------------
    def unlock(self, then: Any = None, *, for_agent: bool = False) -> None:
        """The passphrase box; `for_agent`: also when this TUI's vault is open (the agent's is locked)."""
        if self.vault is not None and not for_agent:
            self.app.notify("The vault is open")
            return
        from igtk_tui.tui.screens.unlock import UnlockScreen

        path = self.runtime.paths.vault_file
        self.app.push_screen(UnlockScreen(str(path), exists=path.exists()),
                             lambda ok: then() if ok and then else None)

    async def hand_to_agent(self, passphrase: str) -> None:
        """ssh-add for igtk: the agent holds its own unlocked vault, so runs it owns (started here,
        by `run --detach` or by schedules) read credentials. Only over the agent's 0600 socket, and
        only when the agent says its vault is locked. A problem is said, never raised."""
        from igtk_tui import redact

        redact.register(passphrase)
        try:
            if (await self.app.agent.vault_state()).get("state") != "unlocked":
                await self.app.agent.unlock_vault(passphrase)
        except Exception as exc:  # noqa: BLE001 - the TUI's vault is open anyway; the run start says the rest
            self.app.notify(f"the agent's vault is still locked: {redact.scrub(str(exc).splitlines()[0])}",
                            title="Vault", severity="warning", markup=False)

    def add(self) -> None:
        from igtk_tui.tui.screens.credential_form import CredentialForm

        self.app.push_screen(CredentialForm(), self._save)

    def edit(self, name: str) -> None:
        from igtk_tui.tui.screens.credential_form import CredentialForm

        info = next((c for c in self.app.vault_infos if c.name == name), None)
        if info is not None:
            self.app.push_screen(CredentialForm(info), self._save)

    def delete(self, name: str) -> None:
        from igtk_tui.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(lambda: self.vault.delete(name), f"deleted {name}")

        self.app.push_screen(ConfirmScreen(f"Delete credential {name}?",
                                           "Playbooks that reference it will fail until it is added again."),
                             answered)

    def _save(self, data: Any) -> None:
        if data is None or self.vault is None:
            return
        from igtk_tui.vault import Credential

        def work() -> None:
            if data.original is None:
                self.vault.add(Credential(data.name, data.type, data.username, data.secret, data.gateway_url,
                                          data.description))
                return
            changes = {"type": data.type, "username": data.username, "gateway_url": data.gateway_url,
                       "description": data.description}
            if data.secret:
                changes["secret"] = data.secret
            self.vault.update(data.original, **changes)
            if data.name != data.original:
                self.vault.rename(data.original, data.name)

        self._run(work, f"saved {data.name}")

    def _run(self, fn: Any, done: str) -> None:
        def job() -> None:
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - duplicate name, vault error: a toast, not a crash
                self.app.notify(str(exc).splitlines()[0], title="Vault", severity="error", markup=False)
                return
            self.app.notify(done, title="Vault", markup=False)
            self._post_open(self.vault)

        self.app.run_worker(job, thread=True, group="vault-write", exit_on_error=False)
