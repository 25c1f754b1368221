"""The README says what the code does (issue 14 item 17): theme names that exist,
the KDF actually used, every sub-command of `igtk playbook`, and the keys of the
action registry."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start:end if end > 0 else None]


def test_theme_names_in_the_readme_exist() -> None:
    from igtk_tui.paths import builtin_themes_dir

    shipped = {re.search(r'^name = "([^"]+)"', p.read_text(), re.M).group(1)  # type: ignore[union-attr]
               for p in builtin_themes_dir().glob("*.toml")}
    textual_builtin = {"ansi-dark", "ansi-light"}
    named = set(re.findall(r"`([a-z-]+)`(?:,| or| theme)", _section("### tmux and SSH")))
    assert named and named <= shipped | textual_builtin, named - shipped - textual_builtin


def test_the_kdf_named_is_the_default_one() -> None:
    from igtk_tui.vault.kdf import DEFAULT_KDF, KDF_NAMES

    used = KDF_NAMES[DEFAULT_KDF.kdf_id]
    secrets = _section("### State, config and secrets").lower()
    assert used in secrets
    assert re.search(r"aes-256-gcm, key from " + used, secrets)


def test_every_playbook_subcommand_is_listed() -> None:
    import argparse

    from igtk_tui.commands import playbook

    parser = argparse.ArgumentParser()
    playbook.add_parser(parser.add_subparsers())
    sub = next(a for a in parser._subparsers._group_actions[0].choices["playbook"]._actions  # type: ignore[union-attr]
               if isinstance(a, argparse._SubParsersAction))
    usage = _section("## Usage")
    for name in sub.choices:
        assert re.search(rf"igtk playbook [a-z|]*\b{name}\b", usage), name


def test_the_keys_section_lists_every_shown_single_key() -> None:
    from igtk_tui.tui.actions import ACTIONS

    keys = _section("### Keys (TUI)")
    display = {"left_square_bracket": "[", "right_square_bracket": "]", "slash": "/", "colon": ":",
               "question_mark": "?", "escape": "esc", "delete": "delete"}
    missing = []
    for action in ACTIONS:
        first = action.key.split(",")[0]
        shown = display.get(first, first)
        if action.id.startswith(("form-", "debug-save", "confirm-", "vault-edit", "delete-", "log-follow",
                                 "focus-library", "focus-steps", "focus-logs", "focus-vault", "vault-delete", "report-")):
            continue  # shown on their own dialogs / as a range (1-4)
        if not action.key:  # a `:` command only: listed as it is typed
            if f"`{action.command_form}`" not in keys:
                missing.append(f"{action.id}={action.command_form}")
        elif f"`{shown}`" not in keys:
            missing.append(f"{action.id}={shown}")
    assert not missing, missing
