"""Themes as data files: `themes/*.toml|yaml` shipped with igtk, then the
user's `<config_dir>/themes/` (a user file with a shipped name wins).

Each file holds the fields of Textual's `Theme` (name, primary, ..., dark,
ansi) and an optional `[variables]` table. A broken file is reported (one
line each) and skipped; it never stops the app. The chosen theme is written
back to config.toml as the one key `theme`, keeping everything else.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from textual.theme import Theme

SUFFIXES = (".toml", ".yaml", ".yml")
DEFAULT_THEME = "igtk-dark"
_FIELDS = {f.name for f in dataclasses.fields(Theme)}


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    import yaml

    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of theme fields")
    return data


def load_theme_file(path: Path, *, check_colours: bool = True) -> Theme:
    """One theme; raises ValueError naming what is wrong (shipped files skip the colour check: tested)."""
    try:
        data = _read(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - yaml errors
        raise ValueError(f"not valid YAML: {exc}") from None
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)} (theme keys: {', '.join(sorted(_FIELDS))})")
    data.setdefault("name", path.stem)
    if "primary" not in data:
        raise ValueError("a theme needs at least `primary`")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ValueError("`variables` must be a table of name = colour")
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    theme = Theme(**data)
    if check_colours:
        try:
            theme.to_color_system().generate()
        except Exception as exc:  # noqa: BLE001 - a bad colour string
            raise ValueError(f"invalid colour: {exc}") from None
    return theme


def load_themes(*folders: Path, trusted: Path | None = None) -> tuple[dict[str, Theme], list[str]]:
    """Themes by name from each folder in turn (later folders override), and problems.

    Colours are checked for every file except those in `trusted` (the shipped folder, whose
    files a test checks): generating a colour system per theme is start-up time.
    """
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            try:
                theme = load_theme_file(path, check_colours=folder != trusted)
            except ValueError as exc:
                problems.append(f"{path}: {exc}")
                continue
            themes[theme.name] = theme
    return themes, problems


def rich_colour(value: str) -> str:
    """A theme colour as a Rich colour: hex stays, `ansi_bright_red` becomes `bright_red`."""
    if value.startswith("ansi_"):
        name = value[5:]
        return "default" if name == "default" else name
    return value


def status_styles(variables: dict[str, str]) -> dict[str, str]:
    """Rich styles for statuses, from the theme's colours (tint only: words carry the meaning)."""

    def get(name: str, fallback: str) -> str:
        value = variables.get(name)
        return rich_colour(value) if value else fallback

    success, error, warning = get("success", "green"), get("error", "red"), get("warning", "yellow")
    primary, accent = get("primary", "blue"), get("accent", "cyan")
    return {
        "completed": success,
        "failed": f"bold {error}",
        "running": f"bold {accent}",
        "paused": f"bold {warning}",
        "skipped": "dim",
        "cancelled": warning,
        "interrupted": f"bold {warning}",
        "pending": "dim",
        "breakpoint": error,
        "verified": success,
        "error": f"bold {error}",
        "warning": warning,
        "debug": "dim",
        "primary": primary,
    }


# -- remembering the choice -----------------------------------------------------------------
_TABLE_RE = re.compile(r"^\s*\[")


def set_config_value_text(text: str, key: str, value: str) -> str:
    """`key = "value"` replaced where it is (outside [keymap]) or added at the top.

    A tiny line-based merge: comments, order and other keys stay exactly as
    the operator wrote them (tomllib can read TOML but not write it).
    """
    line = f'{key} = "{_escape(value)}"'
    pattern = re.compile(rf"^(\s*){re.escape(key)}\s*=.*$")
    lines = text.splitlines()
    table = ""
    for i, current in enumerate(lines):
        if _TABLE_RE.match(current):
            table = current.strip()
            continue
        match = pattern.match(current)
        if match and table != "[keymap]":
            lines[i] = match.group(1) + line
            return "\n".join(lines) + "\n"
    insert = 0
    while insert < len(lines) and not _TABLE_RE.match(lines[insert]):
        insert += 1
    lines.insert(insert, line)
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def remember_theme(config_file: Path, name: str) -> None:
    """Write `theme = "name"` into config.toml atomically; the file must still parse."""
    try:
        text = config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    new = set_config_value_text(text, "theme", name)
    parsed = tomllib.loads(new)  # raises: then nothing is written
    if _flat_theme(parsed) != name:
        raise ValueError("could not place the theme key in config.toml")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = config_file.with_name(f".{config_file.name}.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, config_file)


def _flat_theme(data: dict[str, Any]) -> Any:
    if "theme" in data:
        return data["theme"]
    for key, value in data.items():
        if isinstance(value, dict) and key != "keymap" and "theme" in value:
            return value["theme"]
    return None
