"""The encrypted-file backend on a real disk: CRUD, unlock sources, errors, permissions, damage."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from igtk_tui import redact
from igtk_tui.errors import EXIT_INVALID, EXIT_UNAVAILABLE, InvalidInput
from igtk_tui.paths import Paths
from igtk_tui.vault import (
    Credential,
    CredentialExists,
    CredentialNotFound,
    Vault,
    VaultCorrupt,
    VaultLocked,
    VaultUnavailable,
)
from igtk_tui.vault.fileformat import read_header
from igtk_tui.vault.kdf import DEFAULT_KDF

PP = "file-passphrase-Zeta"
GW = Credential("gw1", "basic", "admin", "sekrit-password-1", "http://gw1:8088", "north line")
TOKEN = Credential("ci-token", "api-token", "ci", "sekrit-token-2", "http://gw2:8088")


def test_round_trip(open_vault: Callable[..., Vault], paths: Paths) -> None:
    vault = open_vault(passphrase=PP)
    assert vault.backend_name == f"encrypted file: {paths.vault_file}"
    vault.add(GW)
    vault.add(TOKEN)

    again = open_vault(passphrase=PP)
    assert [i.name for i in again.list()] == ["ci-token", "gw1"]
    got = again.get("gw1")
    assert (got.username, got.secret, got.gateway_url, got.description) == (
        "admin", "sekrit-password-1", "http://gw1:8088", "north line",
    )
    assert got.created_at and got.updated_at
    assert again.get("ci-token").field("token") == "ci:sekrit-token-2"
    for info in again.list():
        assert "sekrit" not in repr(info)

    again.update("gw1", username="root", secret="sekrit-password-3")
    assert open_vault(passphrase=PP).get("gw1").secret == "sekrit-password-3"
    assert open_vault(passphrase=PP).get("gw1").username == "root"

    again.rename("gw1", "gw-north")
    assert open_vault(passphrase=PP).names() == ["ci-token", "gw-north"]
    assert open_vault(passphrase=PP).get("gw-north").secret == "sekrit-password-3"

    again.delete("ci-token")
    assert open_vault(passphrase=PP).names() == ["gw-north"]


def test_first_write_creates_the_file(open_vault: Callable[..., Vault], paths: Paths) -> None:
    vault = open_vault(passphrase=PP)
    assert vault.list() == []
    assert vault.describe()["state"] == "created on first add"
    assert not paths.vault_file.exists()  # opening, listing, describing leave nothing behind
    vault.add(GW)
    assert paths.vault_file.exists()
    assert open_vault(passphrase=PP).describe()["state"] == "exists"
    with pytest.raises(VaultLocked):
        open_vault(passphrase="another")


def test_duplicate_and_missing_names(open_vault: Callable[..., Vault]) -> None:
    vault = open_vault(passphrase=PP)
    vault.add(GW)
    with pytest.raises(CredentialExists) as dup:
        vault.add(GW)
    assert dup.value.exit_code == EXIT_INVALID
    with pytest.raises(CredentialNotFound, match=r"did you mean: gw1\?") as missing:
        vault.get("gw2")
    assert missing.value.exit_code == EXIT_INVALID
    with pytest.raises(CredentialNotFound):
        vault.delete("nope")
    vault.add(TOKEN)
    with pytest.raises(CredentialExists):
        vault.rename("gw1", "ci-token")
    with pytest.raises(Exception, match="cannot update name"):
        vault.update("gw1", name="x")


def test_a_gateway_url_that_is_not_one_is_refused_and_nothing_is_stored(open_vault: Callable[..., Vault]) -> None:
    vault = open_vault(passphrase=PP)
    for bad, why in (("gw1:8088", "must look like http://host:8088"), ("http://gw1:80x8", "port"),
                     ("http://admin:pw@gw1:8088", "user name or password")):
        with pytest.raises(InvalidInput, match=why) as refused:
            vault.add(GW.with_changes(gateway_url=bad))
        assert refused.value.exit_code == EXIT_INVALID and "gateway URL" in str(refused.value)
    assert vault.list() == []
    vault.add(GW)
    with pytest.raises(InvalidInput, match="gateway URL"):
        vault.update("gw1", gateway_url="ftp://gw1")
    assert vault.get("gw1").gateway_url == "http://gw1:8088"
    vault.update("gw1", gateway_url="")  # clearing it stays allowed
    assert vault.get("gw1").gateway_url == ""


def test_get_registers_secrets_for_redaction(open_vault: Callable[..., Vault]) -> None:
    open_vault(passphrase=PP).add(Credential("t2", "api-token", "tk", "canary-Qx81-secret"))
    redact.REDACTOR.clear()
    open_vault(passphrase=PP).get("t2")
    assert redact.scrub("hdr tk:canary-Qx81-secret") == "hdr ••••"


def test_wrong_passphrase(open_vault: Callable[..., Vault]) -> None:
    open_vault(passphrase=PP).add(GW)
    with pytest.raises(VaultLocked) as info:
        open_vault(passphrase="not-it")
    assert str(info.value) == "wrong vault passphrase"
    assert info.value.exit_code == EXIT_UNAVAILABLE


def test_passphrase_from_env_and_from_file(open_vault: Callable[..., Vault], tmp_path: Path) -> None:
    open_vault(env={"IGTK_VAULT_PASSPHRASE": PP}).add(GW)
    pfile = tmp_path / "pp.txt"
    pfile.write_text(PP + "\n")
    vault = open_vault(env={"IGTK_VAULT_PASSPHRASE_FILE": str(pfile)})
    assert vault.get("gw1").secret == GW.secret
    assert "IGTK_VAULT_PASSPHRASE_FILE" in vault.describe()["selected because"]


def test_unavailable_names_the_fixes(open_vault: Callable[..., Vault], paths: Paths) -> None:
    with pytest.raises(VaultUnavailable) as info:
        open_vault()
    message = str(info.value)
    assert message.startswith("vault unavailable: ")
    for fix in ("IGTK_VAULT_PASSPHRASE", "IGTK_VAULT_PASSPHRASE_FILE", "unlock", "TUI", "Secret Service over D-Bus"):
        assert fix in message
    assert "Traceback" not in message
    assert info.value.exit_code == EXIT_UNAVAILABLE
    assert not paths.vault_file.exists()
    with pytest.raises(VaultUnavailable):
        open_vault(backend="file")


def test_permissions(open_vault: Callable[..., Vault], paths: Paths) -> None:
    old = os.umask(0o022)
    try:
        vault = open_vault(passphrase=PP)
        vault.add(GW)
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)  # noqa: E731
    assert mode(paths.vault_file) == 0o600
    assert mode(paths.vault_file.parent) == 0o700
    assert mode(f"{paths.vault_file}.lock") == 0o600
    assert [p.name for p in paths.vault_file.parent.iterdir() if p.name.endswith(".tmp")] == []
    os.chmod(paths.vault_file, 0o644)
    open_vault(passphrase=PP)
    assert mode(paths.vault_file) == 0o600


def test_raw_file_never_holds_secret_or_passphrase(open_vault: Callable[..., Vault], paths: Paths) -> None:
    vault = open_vault(passphrase=PP)
    vault.add(GW)
    vault.add(TOKEN)
    vault.update("gw1", secret="sekrit-password-9")
    raw = paths.vault_file.read_bytes()
    for text in (PP, "sekrit", "admin", "gw1", "ci-token", "north line"):
        assert text.encode() not in raw
        assert text.encode("utf-16-le") not in raw


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],
        lambda raw: raw[:-1],
        lambda raw: raw[:5],
        lambda raw: b"",
        lambda raw: raw[:40] + bytes([raw[40] ^ 0xFF]) + raw[41:],
        lambda raw: raw[:20] + bytes([raw[20] ^ 0x01]) + raw[21:],  # inside the salt
    ],
    ids=["half", "last-byte", "magic-only", "empty", "flipped", "salt-flipped"],
)
def test_damaged_file_is_reported_and_never_overwritten(
    open_vault: Callable[..., Vault], paths: Paths, damage: Callable[[bytes], bytes]
) -> None:
    vault = open_vault(passphrase=PP)
    vault.add(GW)
    damaged = damage(paths.vault_file.read_bytes())
    paths.vault_file.write_bytes(damaged)

    with pytest.raises(VaultCorrupt) as info:
        open_vault(passphrase=PP)
    assert str(paths.vault_file) in str(info.value)
    assert "left as is" in str(info.value)
    assert info.value.exit_code == EXIT_UNAVAILABLE
    # An already-open vault must not "repair" it either.
    with pytest.raises(VaultCorrupt):
        vault.add(TOKEN)
    with pytest.raises(VaultCorrupt):
        vault.delete("gw1")
    assert paths.vault_file.read_bytes() == damaged


def test_change_passphrase(open_vault: Callable[..., Vault], paths: Paths) -> None:
    vault = open_vault(passphrase=PP)
    vault.add(GW)
    vault.add(TOKEN)
    before = paths.vault_file.read_bytes()
    vault.change_passphrase("new-passphrase-Omega")
    assert read_header(paths.vault_file.read_bytes()).salt != read_header(before).salt
    with pytest.raises(VaultLocked, match="wrong vault passphrase"):
        open_vault(passphrase=PP)
    reopened = open_vault(passphrase="new-passphrase-Omega")
    assert reopened.get("gw1").secret == GW.secret
    assert reopened.get("ci-token").secret == TOKEN.secret
    vault.add(Credential("after", "basic", "u", "after-secret"))  # the open vault holds the new key
    assert open_vault(passphrase="new-passphrase-Omega").names() == ["after", "ci-token", "gw1"]
    assert b"new-passphrase-Omega" not in paths.vault_file.read_bytes()


def test_other_process_changed_passphrase_is_plain(open_vault: Callable[..., Vault]) -> None:
    open_vault(passphrase=PP).add(GW)
    first = open_vault(passphrase=PP)
    open_vault(passphrase=PP).change_passphrase("other-pp")
    with pytest.raises(VaultLocked, match="changed by another process"):
        first.list()


def test_real_default_kdf(paths: Paths) -> None:
    """No test KDF: the file records Argon2id at the default cost; print the unlock time."""
    start = time.perf_counter()
    Vault.open(paths, env={}, passphrase=PP, backend="file").add(GW)
    created = time.perf_counter() - start
    assert read_header(paths.vault_file.read_bytes()).kdf == DEFAULT_KDF
    start = time.perf_counter()
    vault = Vault.open(paths, env={}, passphrase=PP, backend="file")
    unlock = time.perf_counter() - start
    assert vault.get("gw1").secret == GW.secret
    assert "argon2id m=65536 KiB t=3 p=4" == vault.describe()["kdf"]
    print(f"\nvault create+add {created:.3f} s, unlock {unlock:.3f} s ({DEFAULT_KDF.describe()})")
    with pytest.raises(VaultLocked):
        Vault.open(paths, env={}, passphrase="wrong", backend="file")


def test_full_disk_is_a_plain_error_and_keeps_the_file(
    open_vault: Callable[..., Vault], paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from igtk_tui.vault import atomic

    vault = open_vault(passphrase=PP)
    vault.add(GW)
    before = paths.vault_file.read_bytes()

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", full)
    with pytest.raises(Exception, match="cannot write .*No space left on device") as info:
        vault.add(TOKEN)
    assert info.value.exit_code == EXIT_UNAVAILABLE  # type: ignore[attr-defined]
    assert paths.vault_file.read_bytes() == before
