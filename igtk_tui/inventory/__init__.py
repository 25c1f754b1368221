"""The gateway inventory: `inventory.toml` in the config folder (docs/fleets.md).

Read with tomllib (`read_inventory`), changed with tomlkit so comments survive
(`add_gateway`, `update_gateway`, `remove_gateway`), and `--on` targets resolved
against it (`select`). Credentials stay in the vault: entries hold their names.
"""

from igtk_tui.inventory.editor import add_gateway, remove_gateway, update_gateway
from igtk_tui.inventory.model import ALL, Gateway, Inventory, make_gateway
from igtk_tui.inventory.reader import InventoryError, read_inventory
from igtk_tui.inventory.targets import select, split_targets, unknown_name

__all__ = ["ALL", "Gateway", "Inventory", "InventoryError", "add_gateway", "make_gateway", "read_inventory", "remove_gateway",
           "select", "split_targets", "unknown_name", "update_gateway"]
