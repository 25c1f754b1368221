"""Changing `inventory.toml`: add, update, remove one gateway, keeping the operator's comments.

Why tomlkit: the inventory is a file people write by hand and annotate ("# line 3, call
Dave before a restart"); a rewrite through tomllib + a dumper would drop every comment
and reorder the tables. tomlkit edits the document in place. Every change is checked by
reading the new text back through the same validator as `igtk inventory list` before it is
written, and written atomically: a bad edit leaves the file as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.inventory.model import Gateway, Inventory
from igtk_tui.inventory.reader import parse_inventory, read_inventory
from igtk_tui.textfile import write_text_atomic

HEADER = """\
# The gateways igtk can run playbooks on, by name (docs/fleets.md).
# Credentials stay in the vault: `credential` is a vault credential's name.
#
# [gateways.plant-a-gw1]
# url = "http://10.0.0.5:8088"
# credential = "plant-a"
# version = "8.3.2"            # optional: what you know it runs
# groups = ["plant-a", "line-3"]
# tags = ["critical"]
"""


def add_gateway(path: Path, gateway: Gateway) -> Inventory:
    """Append `gateway` (InvalidInput when the name is taken or the entry is invalid)."""
    current = read_inventory(path)
    _refuse_taken(current, gateway.name)
    doc = _load(path)
    _gateways(doc)[gateway.name] = _table(gateway)
    return _save(path, doc)


def update_gateway(path: Path, original: str, gateway: Gateway) -> Inventory:
    """Replace the entry named `original` (renamed when `gateway.name` differs); comments inside
    the entry's table stay when the name is kept."""
    current = read_inventory(path)
    if current.get(original) is None:
        raise InvalidInput(f"no gateway {original!r} in the inventory {path}")
    if gateway.name != original:
        _refuse_taken(current, gateway.name)
    doc = _load(path)
    gateways = _gateways(doc)
    if gateway.name != original:
        del gateways[original]
        gateways[gateway.name] = _table(gateway)
    else:
        table = gateways[original]
        for key, value in _values(gateway).items():
            if value is None:
                if key in table:
                    del table[key]
            else:
                table[key] = value
    return _save(path, doc)


def remove_gateway(path: Path, name: str) -> Inventory:
    current = read_inventory(path)
    if current.get(name) is None:
        from igtk_tui.inventory.targets import unknown_name

        raise InvalidInput(unknown_name(current, name))
    doc = _load(path)
    del _gateways(doc)[name]
    return _save(path, doc)


def _refuse_taken(inventory: Inventory, name: str) -> None:
    clash = next((g.name for g in inventory.gateways if g.name.lower() == name.lower()), None)
    if clash is not None:
        raise InvalidInput(f"a gateway named {clash!r} is already in the inventory {inventory.path}: "
                           f"pick another name, or remove it first (`igtk inventory rm {clash}`)")


def _load(path: Path) -> Any:
    import tomlkit  # edits only: reading needs tomllib alone

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = HEADER
    return tomlkit.parse(text)


def _gateways(doc: Any) -> Any:
    import tomlkit

    if "gateways" not in doc:
        doc["gateways"] = tomlkit.table(is_super_table=True)
    return doc["gateways"]


def _values(gateway: Gateway) -> dict[str, Any]:
    """The keys written for an entry, None for those left out (optional and empty)."""
    return {"url": gateway.url, "credential": gateway.credential, "version": gateway.version or None,
            "groups": list(gateway.groups) or None, "tags": list(gateway.tags) or None,
            "description": gateway.description or None}


def _table(gateway: Gateway) -> Any:
    import tomlkit

    table = tomlkit.table()
    for key, value in _values(gateway).items():
        if value is not None:
            table[key] = value
    return table


def _save(path: Path, doc: Any) -> Inventory:
    import tomlkit

    text = tomlkit.dumps(doc)
    inventory = parse_inventory(text, path)  # refuses (exit 2) before anything is written
    write_text_atomic(path, text)
    return inventory
