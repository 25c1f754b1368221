"""`igtk playbook ACTION`: manage one library playbook.

    show PATH [--json]               metadata, flags and parameters
    duplicate PATH [NEW_PATH]        copy into the user folder (origin duplicated)
    edit PATH                        $EDITOR on the user copy; validated on save, backup kept, revision+1
    verify PATH [--off]              mark (or unmark) verified for its current content
    enable PATH / disable PATH       a disabled playbook is refused by `igtk run` and by nesting
    export PATH [-o FILE]            a JSON/YAML bundle: YAML text + metadata, no credentials
    import FILE [--as NEW_PATH]      into the user folder (origin imported)

PATH is a library path (`gateway/backup`, with or without `.yaml`) or a file
inside a library folder. Built-ins are never written: edit and duplicate work
on a copy in the user folder, which then overrides the built-in.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui.errors import EXIT_INVALID, EXIT_OK, InvalidInput

if TYPE_CHECKING:
    from igtk_tui.playbook.library_entry import LibraryEntry
    from igtk_tui.runtime import Runtime


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("playbook", help="manage one playbook: duplicate, edit, verify, enable, export, import",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=lambda args: _usage(parser))
    actions = parser.add_subparsers(dest="playbook_command", metavar="ACTION")

    show = actions.add_parser("show", help="metadata, flags and parameters of one playbook")
    show.add_argument("path", metavar="PATH")
    show.add_argument("--json", action="store_true", help="print a JSON document")
    show.set_defaults(func=_show)

    dup = actions.add_parser("duplicate", help="copy a playbook into the user folder")
    dup.add_argument("path", metavar="PATH")
    dup.add_argument("new_path", metavar="NEW_PATH", nargs="?",
                     help="library path of the copy (default: the same path, overriding the original)")
    dup.set_defaults(func=_duplicate)

    edit = actions.add_parser("edit", help="edit the user copy in $EDITOR (duplicating a built-in first)")
    edit.add_argument("path", metavar="PATH")
    edit.set_defaults(func=_edit)

    verify = actions.add_parser("verify", help="mark a playbook verified (nestable) for its current content")
    verify.add_argument("path", metavar="PATH")
    verify.add_argument("--off", action="store_true", help="remove the verification")
    verify.add_argument("--by", metavar="WHO", help="who verified it (default: the current user)")
    verify.add_argument("--note", metavar="TEXT", help="a note stored with the metadata")
    verify.set_defaults(func=_verify)

    for name, flag in (("enable", True), ("disable", False)):
        p = actions.add_parser(name, help=f"{name} a playbook (disabled ones are refused by the engine)")
        p.add_argument("path", metavar="PATH")
        p.set_defaults(func=_set_enabled, enabled=flag)

    export = actions.add_parser("export", help="write a bundle (YAML text + metadata, no credentials)")
    export.add_argument("path", metavar="PATH")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--format", choices=("json", "yaml"),
                        help="bundle format (default: from FILE's suffix, else json)")
    export.set_defaults(func=_export)

    imp = actions.add_parser("import", help="add a bundle's playbook to the user folder")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--as", dest="new_path", metavar="NEW_PATH", help="library path to import it as")
    imp.add_argument("--force", action="store_true", help="replace an existing user playbook (a backup is kept)")
    imp.set_defaults(func=_import)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_INVALID


def _runtime() -> Runtime:
    from igtk_tui.runtime import Runtime

    return Runtime()


def describe(entry: LibraryEntry) -> dict[str, Any]:
    """One playbook's library view; shared by `playbooks --json` and `playbook show --json`."""
    pb = entry.playbook
    meta = entry.meta
    return {
        "path": entry.rel_path,
        "file": str(entry.path),
        "name": entry.name,
        "version": pb.version if pb else None,
        "description": pb.description if pb else "",
        "domain": entry.domain,
        "group": entry.group,
        "origin": entry.library_origin,
        "root": entry.origin,
        "overrides_builtin": entry.overrides_builtin,
        "verified": entry.verified,
        "verified_yaml": entry.verified_yaml,
        "verified_meta": entry.verified_meta,
        "verified_at": meta.verified_at if meta and entry.verified_meta else None,
        "verified_by": meta.verified_by if meta and entry.verified_meta else None,
        "enabled": entry.enabled,
        "revision": entry.revision,
        "duplicated_from": meta.duplicated_from if meta else None,
        "notes": meta.notes if meta else "",
        "valid": entry.valid,
        "problems": entry.problems,
        "content_hash": entry.content_hash,
    }


def _flags(entry: LibraryEntry) -> str:
    return " ".join(f for f in (
        "verified" if entry.verified else "unverified",
        "enabled" if entry.enabled else "DISABLED",
        "" if entry.valid else "INVALID",
    ) if f)


# -- actions -------------------------------------------------------------------
def _show(args: argparse.Namespace) -> int:
    entry = _runtime().library.entry(args.path)
    row = describe(entry)
    if entry.playbook:
        row["parameters"] = [
            {"name": p.name, "type": p.type.value, "required": p.required, "default": p.default,
             "description": p.description} for p in entry.playbook.parameters
        ]
    if args.json:
        print(json.dumps(row, indent=2))
        return EXIT_OK
    print(f"{entry.rel_path}  ({entry.name} {row['version'] or ''})".rstrip())
    print(f"  file      {entry.path}")
    print(f"  origin    {row['origin']}" + (f" from {row['duplicated_from']}" if row["duplicated_from"] else ""))
    print(f"  flags     {_flags(entry)}  revision {entry.revision}")
    if entry.verified:
        how = "YAML verified: true" if entry.verified_yaml else f"by {row['verified_by']} at {row['verified_at']}"
        print(f"  verified  {how}")
    if row["notes"]:
        print(f"  notes     {row['notes']}")
    for p in row.get("parameters", []):
        default = "" if p["default"] is None else f" = {p['default']!r}"
        need = "" if p["required"] else " (optional)"
        print(f"  -p {p['name']} ({p['type']}){default}{need}  {p['description']}")
    for problem in entry.problems:
        print(f"  {problem}")
    return EXIT_OK


def _duplicate(args: argparse.Namespace) -> int:
    entry = _runtime().library.duplicate(args.path, args.new_path)
    meta = entry.meta
    print(f"duplicated {meta.duplicated_from if meta else args.path} -> {entry.rel_path} ({entry.path})")
    if entry.overrides_builtin:
        print(f"  this copy now overrides the built-in {entry.rel_path}")
    print(f"  {_flags(entry)}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    library = _runtime().library
    entry = library.verify(args.path, on=not args.off, by=args.by, notes=args.note)
    if args.off:
        print(f"{entry.rel_path}: verification removed")
        if entry.verified_yaml:
            print(f"  note: its YAML declares `verified: true`, which still counts; "
                  f"`igtk playbook edit {entry.rel_path}` to change that", file=sys.stderr)
    else:
        meta = entry.meta
        print(f"{entry.rel_path}: verified by {meta.verified_by if meta else '?'} "
              f"for content {entry.content_hash[:12]}; editing it lapses the verification")
    return EXIT_OK


def _set_enabled(args: argparse.Namespace) -> int:
    entry = _runtime().library.set_enabled(args.path, args.enabled)
    print(f"{entry.rel_path}: {'enabled' if entry.enabled else 'disabled (igtk run and playbook.run refuse it)'}")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from igtk_tui.playbook.bundles import dump_bundle

    bundle = _runtime().library.export_bundle(args.path)
    fmt = args.format or ("yaml" if args.output and Path(args.output).suffix in (".yaml", ".yml") else "json")
    text = dump_bundle(bundle, fmt)
    if args.output:
        out = Path(args.output).expanduser()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        stripped = ", ".join(bundle["credentials_stripped"]) or "none"
        print(f"exported {bundle['path']} to {out} ({fmt}; defaults removed: {stripped}; "
              f"verified: {str(bundle['metadata']['verified']).lower()})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from igtk_tui.playbook.bundles import read_bundle

    bundle = read_bundle(Path(args.file).expanduser())
    result = _runtime().library.import_bundle(bundle, new_rel=args.new_path, force=args.force)
    entry = result.entry
    print(f"imported {entry.rel_path} ({entry.path})")
    if result.replaced_backup:
        print(f"  replaced the previous copy; backup: {result.replaced_backup}")
    state = "restored" if result.verified_restored else "not restored"
    print(f"  verification {state}: {result.reason}")
    return EXIT_OK


# -- edit ------------------------------------------------------------------------------
def editor_command(env: dict[str, str] | None = None) -> list[str]:
    """IGTK_EDITOR, VISUAL, EDITOR, then whatever is installed."""
    env = dict(os.environ if env is None else env)
    for name in ("IGTK_EDITOR", "VISUAL", "EDITOR"):
        if env.get(name, "").strip():
            return shlex.split(env[name])
    for fallback in ("editor", "nano", "vi"):
        if shutil.which(fallback):
            return [fallback]
    raise InvalidInput("no editor: set EDITOR (for example EDITOR=nano)")


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _edit(args: argparse.Namespace) -> int:
    from igtk_tui.engine.nesting import NestingError
    from igtk_tui.playbook.errors import PlaybookError

    runtime = _runtime()
    library = runtime.library
    editor = editor_command()
    entry, duplicated = library.user_copy(args.path)
    if duplicated:
        print(f"copied the built-in {entry.rel_path} to your user folder: {entry.path}")
    original = entry.path.read_text(encoding="utf-8")
    workdir = Path(tempfile.mkdtemp(prefix="igtk-edit-"))
    work = workdir / entry.path.name
    work.write_text(original, encoding="utf-8")
    resolver = runtime.resolver()
    while True:
        code = subprocess.call([*editor, str(work)])
        if code != 0:
            print(f"igtk: the editor exited with status {code}; nothing saved (your text: {work})", file=sys.stderr)
            return EXIT_INVALID
        text = work.read_text(encoding="utf-8")
        if text == original:
            shutil.rmtree(workdir, ignore_errors=True)
            print(f"{entry.rel_path}: no changes")
            return EXIT_OK
        try:
            result = library.save_text(entry.rel_path, text, check=resolver.check_tree)
        except PlaybookError as exc:
            problems = [str(p) for p in exc.problems]
        except NestingError as exc:
            problems = [str(exc)]
        else:
            break
        for problem in problems:
            print(problem, file=sys.stderr)
        if _interactive() and _ask("re-open the editor to fix it? [Y/n] "):
            continue
        print(f"igtk: not saved: {entry.path} is unchanged; your edited text is kept at {work}", file=sys.stderr)
        return EXIT_INVALID
    shutil.rmtree(workdir, ignore_errors=True)
    saved = result.entry
    print(f"saved {saved.rel_path} revision {saved.revision}"
          + (f"; previous revision kept as {result.backup.name}" if result.backup else ""))
    if result.verification_lapsed:
        print(f"  the library verification lapsed (content changed): `igtk playbook verify {saved.rel_path}` "
              "after reviewing it")
    return EXIT_OK


def _ask(prompt: str) -> bool:
    try:
        answer = input(prompt).strip().lower()
    except EOFError:
        return False
    return answer in ("", "y", "yes")
