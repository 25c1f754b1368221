"""`igtk cred` end to end in subprocesses: piped secrets, JSON listing, edit, passwd, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from igtk_tui.paths import Paths
from igtk_tui.vault import Credential, Vault
from tests.support.cli import Igtk, Result

PP = "cli-passphrase-77"


@pytest.fixture
def cli(home: Path, paths: Paths, open_vault: Callable[..., Vault]) -> Callable[..., Result]:
    """`igtk cred ARGS` (the real command) on a cheap-KDF vault; the CLI reads its parameters from the
    header. `env` entries override the environment, "<unset>" removes one."""
    seeded = open_vault(passphrase=PP)
    seeded.add(Credential("seed", "basic", "u", "seed-secret"))
    seeded.delete("seed")
    igtk = Igtk(home, passphrase=PP)

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
        unset = tuple(k for k, v in (env or {}).items() if v == "<unset>")
        kept = {k: v for k, v in (env or {}).items() if v != "<unset>"}
        return igtk("cred", *args, stdin=stdin, env=kept, unset=unset, timeout=60)

    return run


def test_add_from_stdin_list_json_rm(cli: Callable[..., Result], paths: Paths) -> None:
    r = cli("add", "gw1", "--username", "admin", "--gateway-url", "http://gw1:8088", "--description", "north",
            stdin="pw-from-stdin-1\n")
    assert r.code == 0, r.stderr
    assert "{{ credential.gw1 }}" in r.stdout
    r = cli("add", "tok", "--username", "ci", "--type", "api-token", stdin="token-secret-2")
    assert r.code == 0, r.stderr

    vault = Vault.open(paths, env={}, passphrase=PP, backend="file")
    assert vault.get("gw1").secret == "pw-from-stdin-1"  # exactly one newline stripped
    assert vault.get("tok").field("token") == "ci:token-secret-2"

    r = cli("list", "--json")
    assert r.code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["name"] for row in rows] == ["gw1", "tok"]
    assert rows[0]["gateway_url"] == "http://gw1:8088" and rows[0]["username"] == "admin"
    assert all("secret" not in row and "password" not in row for row in rows)
    assert "pw-from-stdin" not in r.stdout and "token-secret" not in r.stdout

    r = cli("list")
    assert r.code == 0
    assert r.stdout.splitlines()[0].split() == ["NAME", "TYPE", "USERNAME", "GATEWAY", "URL", "DESCRIPTION"]
    assert "pw-from-stdin" not in r.stdout

    r = cli("rm", "gw1")
    assert r.code == 0, r.stderr
    assert [row["name"] for row in json.loads(cli("list", "--json").stdout)] == ["tok"]
    r = cli("rm", "gw1")
    assert r.code == 2 and "no credential named 'gw1'" in r.stderr


def test_bad_input_exits_2(cli: Callable[..., Result]) -> None:
    r = cli("add", "gw1", "--username", "admin", "--password", "oops", stdin="x")
    assert r.code == 2
    assert "unrecognized arguments: --password" in r.stderr
    r = cli("add", "gw1", "--username", "admin", stdin="\n")
    assert r.code == 2 and "empty password" in r.stderr
    r = cli("add", "gw1", "--username", "admin", stdin="pw-1")
    assert r.code == 0, r.stderr
    r = cli("add", "gw1", "--username", "admin", stdin="pw-2")
    assert r.code == 2 and "already exists" in r.stderr
    r = cli("add", "bad name", "--username", "admin", stdin="pw-1")
    assert r.code == 2 and "invalid credential name" in r.stderr
    r = cli("edit", "gw1")
    assert r.code == 2 and "nothing to change" in r.stderr


def test_unavailable_and_locked_exit_3(cli: Callable[..., Result]) -> None:
    r = cli("list", env={"IGTK_VAULT_PASSPHRASE": "<unset>"})
    assert r.code == 3
    assert r.stderr.startswith("igtk: vault unavailable: ")
    assert "IGTK_VAULT_PASSPHRASE_FILE" in r.stderr and "Secret Service over D-Bus" in r.stderr
    assert "Traceback" not in r.stderr
    r = cli("list", env={"IGTK_VAULT_PASSPHRASE": "wrong"})
    assert r.code == 3 and r.stderr.strip() == "igtk: wrong vault passphrase"


def test_edit_secret_and_fields(cli: Callable[..., Result], paths: Paths) -> None:
    assert cli("add", "gw1", "--username", "admin", stdin="old-secret-1").code == 0
    r = cli("edit", "gw1", "--secret", "--description", "rotated", stdin="new-secret-2\n")
    assert r.code == 0, r.stderr
    r = cli("edit", "gw1", "--rename", "gw-main", "--gateway-url", "http://gw:8088")
    assert r.code == 0, r.stderr
    cred = Vault.open(paths, env={}, passphrase=PP, backend="file").get("gw-main")
    assert (cred.secret, cred.description, cred.gateway_url) == ("new-secret-2", "rotated", "http://gw:8088")
    r = cli("edit", "gw-main", "--secret", stdin="")
    assert r.code == 2 and "empty" in r.stderr


def test_passwd(cli: Callable[..., Result], paths: Paths) -> None:
    assert cli("add", "gw1", "--username", "admin", stdin="kept-secret").code == 0
    r = cli("passwd", env={"IGTK_VAULT_NEW_PASSPHRASE": "brand-new-pp"})
    assert r.code == 0, r.stderr
    assert "IGTK_VAULT_PASSPHRASE still gives the old passphrase" in r.stderr
    assert cli("list").code == 3  # old passphrase now fails
    r = cli("list", "--json", env={"IGTK_VAULT_PASSPHRASE": "brand-new-pp"})
    assert r.code == 0 and json.loads(r.stdout)[0]["name"] == "gw1"
    # New passphrase from stdin this time.
    r = cli("passwd", stdin="third-pp\n", env={"IGTK_VAULT_PASSPHRASE": "brand-new-pp"})
    assert r.code == 0, r.stderr
    cred = Vault.open(paths, env={}, passphrase="third-pp", backend="file").get("gw1")
    assert cred.secret == "kept-secret"


def test_passphrase_file_and_backend_option_after_action(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    pfile = tmp_path / "pp"
    pfile.write_text(PP + "\n")
    env = {"IGTK_VAULT_PASSPHRASE": "<unset>", "IGTK_VAULT_PASSPHRASE_FILE": str(pfile)}
    r = cli("add", "gw1", "--username", "admin", "--backend", "file", stdin="s-1", env=env)
    assert r.code == 0, r.stderr
    r = cli("--backend", "file", "list", "--json", env=env)
    assert r.code == 0 and json.loads(r.stdout)[0]["name"] == "gw1"
    r = cli("list", "--backend", "keyring", env=env)
    assert r.code == 3 and "no usable OS keyring" in r.stderr


def test_cred_opens_the_configured_backend_unless_told_otherwise(
    cli: Callable[..., Result], paths: Paths
) -> None:
    """`igtk cred` opens the vault `igtk run -c` and the TUI open: the vault_backend setting."""
    assert cli("add", "gw1", "--username", "admin", stdin="s-1").code == 0
    r = cli("list", "--json", env={"IGTK_VAULT_BACKEND": "keyring"})
    assert r.code == 3 and "no usable OS keyring" in r.stderr
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text('[vault]\nvault_backend = "keyring"\n')
    assert cli("list", "--json").code == 3
    r = cli("list", "--json", "--backend", "file")
    assert r.code == 0 and json.loads(r.stdout)[0]["name"] == "gw1"
