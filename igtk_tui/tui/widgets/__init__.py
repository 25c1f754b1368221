"""Widgets of the terminal UI (list-like ones are Tree/OptionList/DataTable/Log, never ListView)."""
