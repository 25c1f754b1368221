from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.vault import VaultUnavailable
from igtk_tui.vault.passphrase import resolve_passphrase, strip_one_newline


def test_strip_one_newline_only() -> None:
    assert strip_one_newline("pw\n") == "pw"
    assert strip_one_newline("pw\r\n") == "pw"
    assert strip_one_newline("pw\n\n") == "pw\n"
    assert strip_one_newline(" pw ") == " pw "


def test_precedence_argument_env_file(tmp_path: Path) -> None:
    pfile = tmp_path / "pp"
    pfile.write_text("from-file\n")
    env = {"IGTK_VAULT_PASSPHRASE": "from-env", "IGTK_VAULT_PASSPHRASE_FILE": str(pfile)}
    assert resolve_passphrase("from-arg", env).value == "from-arg"  # type: ignore[union-attr]
    assert resolve_passphrase(None, env).value == "from-env"  # type: ignore[union-attr]
    del env["IGTK_VAULT_PASSPHRASE"]
    source = resolve_passphrase(None, env)
    assert source is not None and source.value == "from-file"
    assert "from-file" not in repr(source)
    assert resolve_passphrase(None, {}) is None
    assert resolve_passphrase(None, {"IGTK_VAULT_PASSPHRASE": ""}) is None


def test_missing_or_empty_passphrase_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VaultUnavailable, match="cannot read IGTK_VAULT_PASSPHRASE_FILE"):
        resolve_passphrase(None, {"IGTK_VAULT_PASSPHRASE_FILE": str(tmp_path / "nope")})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(VaultUnavailable, match="is empty"):
        resolve_passphrase(None, {"IGTK_VAULT_PASSPHRASE_FILE": str(empty)})
