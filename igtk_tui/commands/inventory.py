"""`igtk inventory list|add|rm|check`: the gateways a fleet run can target (docs/fleets.md).

The inventory is `inventory.toml` in the config folder; credentials stay in the vault and
the inventory names them. A name the vault does not know is a warning, not an error: the
vault may be locked here, or the credential added later. `check` asks every gateway its
state and version (no credentials needed), records them, and exits 1 when one is not RUNNING.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from igtk_tui.commands.argtypes import whole_number
from igtk_tui.commands.text import cut
from igtk_tui.errors import EXIT_FAILED, EXIT_OK


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("inventory", help="the gateways fleet runs target (list, add, rm, check)",
                            description=__doc__.splitlines()[0])
    parser.set_defaults(func=lambda args: _usage(parser))
    verbs = parser.add_subparsers(dest="inventory_command", metavar="ACTION")

    lst = verbs.add_parser("list", help="list the gateways with their last checked state")
    lst.add_argument("--json", action="store_true", help="print a JSON array")
    lst.add_argument("--group", action="append", default=[], metavar="G", help="only gateways in this group "
                     "(repeatable: in any of them)")
    lst.add_argument("--tag", action="append", default=[], metavar="T", help="only gateways with this tag (repeatable)")
    lst.set_defaults(func=_list)

    add = verbs.add_parser("add", help="add a gateway")
    add.add_argument("name", metavar="NAME", help="how the gateway is named in --on, reports and locks")
    add.add_argument("--url", required=True, help="the gateway's URL, e.g. http://10.0.0.5:8088")
    add.add_argument("--credential", required=True, metavar="CRED", help="the vault credential's name")
    add.add_argument("--group", action="append", default=[], metavar="G", help="a group it belongs to (repeatable)")
    add.add_argument("--tag", action="append", default=[], metavar="T", help="a free-form tag (repeatable)")
    add.add_argument("--version", metavar="V", help="the Ignition version it runs, when known (e.g. 8.3.2)")
    add.add_argument("--description", default="", metavar="TEXT")
    add.set_defaults(func=_add)

    rm = verbs.add_parser("rm", help="remove a gateway")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=_rm)

    check = verbs.add_parser("check", help="ask each gateway its state and version, and record them")
    check.add_argument("--on", action="append", default=[], metavar="TARGETS",
                       help="gateways, groups, tag:X (comma-separated or repeated; default: all)")
    check.add_argument("--forks", type=whole_number(1), default=20, metavar="N",
                       help="gateways asked at once (default 20)")
    check.add_argument("--json", action="store_true", help="print a JSON array")
    check.set_defaults(func=_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _runtime() -> Any:
    from igtk_tui.runtime import Runtime

    return Runtime()


def _read(runtime: Any) -> Any:
    from igtk_tui.inventory import read_inventory

    inventory = read_inventory(runtime.paths.inventory_file)
    for warning in inventory.warnings:
        print(f"igtk: warning: {warning}", file=sys.stderr)
    return inventory


def warn_unknown_credentials(runtime: Any, gateways: list[Any]) -> None:
    """A warning per credential the vault does not hold; one note when the vault cannot be read."""
    from igtk_tui.errors import IgtkError

    if not gateways:
        return
    try:
        known = set(runtime.vault().names())
    except IgtkError as exc:
        print(f"igtk: warning: credentials not checked ({str(exc).splitlines()[0]})", file=sys.stderr)
        return
    for gateway in gateways:
        if gateway.credential not in known:
            print(f"igtk: warning: gateway {gateway.name!r}: credential {gateway.credential!r} is not in the vault "
                  f"(add it with `igtk cred add {gateway.credential} ...`)", file=sys.stderr)


def _list(args: argparse.Namespace) -> int:
    from igtk_tui.store.session import with_store
    from igtk_tui.values import gateway_key

    runtime = _runtime()
    inventory = _read(runtime)
    gateways = [g for g in inventory.gateways
                if (not args.group or set(args.group) & set(g.groups)) and (not args.tag or set(args.tag) & set(g.tags))]
    warn_unknown_credentials(runtime, gateways)
    checks = with_store(runtime, lambda store: store.checks.last()) if runtime.paths.db_file.exists() else {}
    if args.json:
        rows = []
        for g in gateways:
            row = g.to_json()
            last = checks.get(gateway_key(g.url))
            row["last_check"] = last.to_json() if last else None
            rows.append(row)
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not gateways:
        print("no gateways" + (" match" if inventory.gateways else f" in {inventory.path}: add one with "
                               "`igtk inventory add NAME --url URL --credential CRED`"))
        return EXIT_OK
    _table(gateways, checks)
    return EXIT_OK


def _table(gateways: list[Any], checks: dict[str, Any]) -> None:
    from igtk_tui.timefmt import local_time
    from igtk_tui.values import gateway_key

    def groups_of(g: Any) -> str:
        return ",".join(g.groups) + (" #" + ",#".join(g.tags) if g.tags else "")

    name_w = min(24, max(4, *(len(g.name) for g in gateways)))
    url_w = min(30, max(3, *(len(g.url) for g in gateways)))
    cred_w = min(14, max(10, *(len(g.credential) for g in gateways)))
    group_w = min(24, max(6, *(len(groups_of(g)) for g in gateways)))
    print(f"{'NAME':<{name_w}}  {'URL':<{url_w}}  {'CREDENTIAL':<{cred_w}}  {'GROUPS':<{group_w}}  LAST CHECK")
    for g in gateways:
        last = checks.get(gateway_key(g.url))
        seen = f"{last.state} {last.version or ''} ({local_time(last.checked_at)[5:16]})" if last else "-"
        print(f"{cut(g.name, name_w):<{name_w}}  {cut(g.url, url_w):<{url_w}}  {cut(g.credential, cred_w):<{cred_w}}  "
              f"{cut(groups_of(g), group_w):<{group_w}}  {seen}")




def _add(args: argparse.Namespace) -> int:
    from igtk_tui.inventory import add_gateway
    from igtk_tui.inventory.model import make_gateway

    gateway = make_gateway(args.name, args.url, args.credential, groups=args.group, tags=args.tag,
                           version=args.version, description=args.description,
                           labels={"url": "--url", "credential": "--credential", "version": "--version"})
    runtime = _runtime()
    inventory = add_gateway(runtime.paths.inventory_file, gateway)
    for warning in inventory.warnings:
        print(f"igtk: warning: {warning}", file=sys.stderr)
    warn_unknown_credentials(runtime, [gateway])
    print(f"added gateway {gateway.name} ({gateway.url}) to {runtime.paths.inventory_file}")
    return EXIT_OK


def _rm(args: argparse.Namespace) -> int:
    from igtk_tui.inventory import remove_gateway

    runtime = _runtime()
    remove_gateway(runtime.paths.inventory_file, args.name)
    print(f"removed gateway {args.name} from {runtime.paths.inventory_file}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    import asyncio

    from igtk_tui.fleet.check import check_gateways, version_mismatch
    from igtk_tui.inventory import select
    from igtk_tui.store.session import open_for_command

    runtime = _runtime()
    inventory = _read(runtime)
    gateways = select(inventory, args.on or ["all"])
    warn_unknown_credentials(runtime, gateways)
    by_name = {g.name: g for g in gateways}

    async def main() -> list[Any]:
        try:
            results = await check_gateways(gateways, runtime.settings, forks=args.forks)
            store = await open_for_command(runtime)
            await store.checks.record(results)
            return results
        finally:
            await runtime.close()

    results = asyncio.run(main())
    for check in results:
        note = version_mismatch(by_name[check.name], check)
        if note:
            print(f"igtk: warning: {note}", file=sys.stderr)
    bad = [c for c in results if not c.ok]
    if args.json:
        print(json.dumps([c.to_json() for c in results], indent=2, ensure_ascii=False))
    else:
        _check_table(results)
        print(f"{len(results) - len(bad)} of {len(results)} gateway(s) RUNNING"
              + (f"; not running: {', '.join(c.name for c in bad)}" if bad else ""))
    return EXIT_FAILED if bad else EXIT_OK


def _check_table(results: list[Any]) -> None:
    """One line per gateway in inventory order: state with a glyph, version, answer time, the error."""
    from igtk_tui.sinks.human import glyph

    name_w = min(24, max(4, *(len(c.name) for c in results)))
    print(f"{'NAME':<{name_w}}  {'STATE':<14}  {'VERSION':<10}  {'TIME':>6}  NOTE")
    for c in results:
        state = f"{glyph('completed' if c.ok else 'failed')} {c.state}"
        print(f"{cut(c.name, name_w):<{name_w}}  {cut(state, 14):<14}  {cut(c.version or '-', 10):<10}  "
              f"{c.elapsed or 0:5.2f}s  {cut(c.error or '', 80)}".rstrip())
