"""`igtk cred`: add, list, edit, remove credentials and change the vault passphrase.

Secrets are never taken from arguments (they would land in shell history and
`ps`): they come from stdin when it is not a terminal, else a hidden prompt.
The vault is imported inside the handlers so `igtk --help` stays fast.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from igtk_tui.errors import InvalidInput

if TYPE_CHECKING:
    from igtk_tui.vault import Vault

_BACKENDS = ("auto", "keyring", "file")


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "cred",
        help="manage stored credentials (secrets are never taken from arguments)",
        description="Manage the credential vault: an OS keyring when one works, else an encrypted "
        "file unlocked by IGTK_VAULT_PASSPHRASE or IGTK_VAULT_PASSPHRASE_FILE.",
    )
    _backend_option(parser, default=None)
    parser.set_defaults(func=lambda args: _usage(parser))
    actions = parser.add_subparsers(dest="cred_command", metavar="ACTION")

    add = actions.add_parser("add", help="store a credential; the secret is read from stdin or a hidden prompt")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--username", "-u", required=True, help="user name (for api-token: the token name)")
    add.add_argument("--gateway-url", default="", help="gateway this credential belongs to")
    add.add_argument("--description", default="")
    add.add_argument("--type", choices=("basic", "api-token"), default="basic")
    _backend_option(add)
    add.set_defaults(func=_add)

    lst = actions.add_parser("list", help="list credentials (never their secrets)")
    lst.add_argument("--json", action="store_true", help="print a JSON array")
    _backend_option(lst)
    lst.set_defaults(func=_list)

    rm = actions.add_parser("rm", help="remove a credential")
    rm.add_argument("name", metavar="NAME")
    _backend_option(rm)
    rm.set_defaults(func=_rm)

    edit = actions.add_parser("edit", help="change fields, rename, or replace the secret")
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--username", "-u")
    edit.add_argument("--gateway-url")
    edit.add_argument("--description")
    edit.add_argument("--rename", metavar="NEW")
    edit.add_argument(
        "--secret", action="store_true", help="read a new secret from stdin or a hidden prompt"
    )
    _backend_option(edit)
    edit.set_defaults(func=_edit)

    passwd = actions.add_parser(
        "passwd",
        help="change the encrypted file's passphrase",
        description="The new passphrase comes from IGTK_VAULT_NEW_PASSPHRASE, else stdin when it "
        "is not a terminal, else a hidden prompt asked twice.",
    )
    _backend_option(passwd)
    passwd.set_defaults(func=_passwd)


def _backend_option(parser: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    # SUPPRESS on the actions lets `cred add X --backend file` and `cred --backend file add X` both work.
    parser.add_argument("--backend", choices=_BACKENDS, default=default,
                        help="vault backend (default: the vault_backend setting, auto unless configured)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("igtk cred: choose an action: add, list, edit, rm, passwd", file=sys.stderr)
    return 2


# -- terminal input -------------------------------------------------------------


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _prompt_twice(prompt: str, what: str) -> str:
    try:
        first = getpass.getpass(prompt)
        if not first:
            raise InvalidInput(f"empty {what}: nothing was stored")
        if getpass.getpass("Repeat to confirm: ") != first:
            raise InvalidInput(f"the two {what}s differ: nothing was stored")
    except EOFError:
        raise InvalidInput(f"no {what} entered") from None
    return first


def _read_secret(prompt: str, what: str = "secret") -> str:
    """stdin when piped (one trailing newline dropped), else a hidden prompt asked twice."""
    from igtk_tui.vault.passphrase import strip_one_newline

    if sys.stdin is None:
        raise InvalidInput(f"no {what}: pipe it on stdin")
    if _interactive():
        return _prompt_twice(prompt, what)
    value = strip_one_newline(sys.stdin.read())
    if not value:
        raise InvalidInput(f"empty {what} on stdin: nothing was stored")
    return value


def _open(args: argparse.Namespace, *, backend: str | None = None) -> Vault:
    """Open the vault; at a terminal, ask for the file passphrase instead of failing."""
    from igtk_tui.config import load_settings
    from igtk_tui.paths import resolve_paths
    from igtk_tui.vault import Vault, VaultUnavailable

    paths = resolve_paths()
    # The same vault `igtk run -c` and the TUI open: the vault_backend setting unless --backend says otherwise.
    backend = backend or args.backend or load_settings(paths).vault_backend
    try:
        return Vault.open(paths, backend=backend)
    except VaultUnavailable:
        if backend == "keyring" or not _interactive():
            raise
    if paths.vault_file.exists():
        try:
            passphrase = getpass.getpass(f"Passphrase for {paths.vault_file}: ")
        except EOFError:
            passphrase = ""
    else:
        print(f"Creating the encrypted vault {paths.vault_file}.", file=sys.stderr)
        passphrase = _prompt_twice("New vault passphrase: ", "passphrase")
    if not passphrase:
        raise InvalidInput("no vault passphrase entered")
    return Vault.open(paths, backend="file", passphrase=passphrase)


# -- actions ------------------------------------------------------------------


def _add(args: argparse.Namespace) -> int:
    from igtk_tui.vault import Credential

    # Validate the fields before asking for anything, so a typo costs no prompt.
    probe = Credential(args.name, args.type, args.username, "x", args.gateway_url, args.description)
    vault = _open(args)
    if args.name in vault.names():
        raise InvalidInput(f"a credential named {args.name!r} already exists (change it with: igtk cred edit)")
    what = "token secret" if args.type == "api-token" else "password"
    secret = _read_secret(f"{what.capitalize()} for {args.name}: ", what)
    vault.add(probe.with_changes(secret=secret))
    print(f"added credential {args.name} ({args.type}) to the {vault.backend_name}")
    print(f"use it as {{{{ credential.{args.name} }}}} or: igtk run PLAYBOOK -c {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    vault = _open(args)
    infos = vault.list()
    if args.json:
        print(json.dumps([i.as_dict() for i in infos], indent=2))
        return 0
    if not infos:
        print(f"no credentials in the {vault.backend_name}; add one with: igtk cred add NAME --username U")
        return 0
    rows = [("NAME", "TYPE", "USERNAME", "GATEWAY URL", "DESCRIPTION")]
    rows += [(i.name, i.type, i.username, i.gateway_url or "-", i.description) for i in infos]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    for row in rows:
        print(("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4]).rstrip())
    return 0


def _rm(args: argparse.Namespace) -> int:
    vault = _open(args)
    vault.delete(args.name)
    print(f"removed credential {args.name}")
    return 0


def _edit(args: argparse.Namespace) -> int:
    changes = {
        key: value
        for key, value in (
            ("username", args.username),
            ("gateway_url", args.gateway_url),
            ("description", args.description),
        )
        if value is not None
    }
    if not changes and not args.secret and not args.rename:
        raise InvalidInput(
            "nothing to change: give --username, --gateway-url, --description, --rename NEW or --secret"
        )
    vault = _open(args)
    vault.get(args.name)  # fail on a wrong name before prompting
    if args.rename:
        from igtk_tui.vault.model import validate_name

        validate_name(args.rename)
        if args.rename != args.name and args.rename in vault.names():
            raise InvalidInput(f"a credential named {args.rename!r} already exists")
    if args.secret:
        changes["secret"] = _read_secret(f"New secret for {args.name}: ")
    name = args.name
    if changes:
        vault.update(name, **changes)
    if args.rename:
        vault.rename(name, args.rename)
        name = args.rename
    print(f"updated credential {name}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from igtk_tui.config import load_settings
    from igtk_tui.paths import resolve_paths
    from igtk_tui.vault.passphrase import ENV_NEW_PASSPHRASE, ENV_PASSPHRASE, ENV_PASSPHRASE_FILE

    if (args.backend or load_settings().vault_backend) == "keyring":
        raise InvalidInput("the OS keyring has no vault passphrase to change (it is the keyring's own)")
    vault_file = resolve_paths().vault_file
    if not vault_file.exists():
        raise InvalidInput(f"no encrypted vault at {vault_file}: there is no passphrase to change yet")
    vault = _open(args, backend="file")
    new = os.environ.get(ENV_NEW_PASSPHRASE) or _read_secret("New vault passphrase: ", "passphrase")
    vault.change_passphrase(new)
    print(f"vault passphrase changed for {vault_file}")
    for name in (ENV_PASSPHRASE, ENV_PASSPHRASE_FILE):
        if os.environ.get(name):
            print(f"note: {name} still gives the old passphrase; update it", file=sys.stderr)
    return 0
