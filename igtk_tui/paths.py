"""Every on-disk location igtk uses, derived from IGTK_HOME or the XDG directories.

One root for all state keeps tests and acceptance checks hermetic (IGTK_HOME=tmp)
and makes `igtk info` able to print every path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

APP_NAME = "igtk"


@dataclass(frozen=True)
class Paths:
    config_dir: Path
    data_dir: Path
    state_dir: Path
    # Where crash reports go when not under state_dir (igtk demo: its state is removed on exit).
    crash_root: Path | None = None

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def inventory_file(self) -> Path:
        """The gateways a fleet run can target (docs/fleets.md)."""
        return self.config_dir / "inventory.toml"

    @property
    def user_themes_dir(self) -> Path:
        return self.config_dir / "themes"

    @property
    def db_file(self) -> Path:
        return self.data_dir / "igtk.db"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def user_playbooks_dir(self) -> Path:
        return self.data_dir / "playbooks"

    @property
    def vault_file(self) -> Path:
        return self.data_dir / "vault" / "vault.bin"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def crash_dir(self) -> Path:
        return self.crash_root or self.state_dir / "crash"

    def execution_artifacts(self, execution_id: str) -> Path:
        return self.artifacts_dir / execution_id

    def as_dict(self) -> dict[str, str]:
        """Every path by name, for `igtk info`."""
        out = {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "crash_root"}
        for name in (
            "config_file",
            "inventory_file",
            "user_themes_dir",
            "db_file",
            "artifacts_dir",
            "user_playbooks_dir",
            "vault_file",
            "logs_dir",
            "crash_dir",
        ):
            out[name] = str(getattr(self, name))
        return out


def system_config_file() -> Path:
    return Path("/etc/igtk/config.toml")


def _shipped(folder: str) -> Path:
    """A folder shipped with igtk: inside the package when installed from a wheel (setup.py
    copies it to `_shipped/`), else the checkout's top-level folder (editable install, tests)."""
    here = Path(__file__).resolve().parent
    installed = here / "_shipped" / folder
    if installed.is_dir():
        return installed
    return here.parent / folder


def builtin_playbooks_dir() -> Path:
    return _shipped("playbooks")


def builtin_themes_dir() -> Path:
    return _shipped("themes")


def resolve_paths(env: Mapping[str, str] | None = None) -> Paths:
    """IGTK_HOME roots everything; otherwise the platform's XDG locations."""
    home = (os.environ if env is None else env).get("IGTK_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        _check_home(root)
        return Paths(config_dir=root / "config", data_dir=root / "data", state_dir=root / "state")
    import platformdirs

    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
        state_dir=Path(platformdirs.user_state_dir(APP_NAME)),
    )


def _check_home(root: Path) -> None:
    """IGTK_HOME must be a folder, or not exist yet under a folder: a file there is an operator's slip."""
    from igtk_tui.errors import InvalidInput

    for candidate in (root, *root.parents):
        if candidate.exists():
            if not candidate.is_dir():
                raise InvalidInput(f"IGTK_HOME={root}: {candidate} is a file, not a folder; "
                                   "point IGTK_HOME at a folder (it is created if missing)")
            return


def keep_private(paths: Paths) -> None:
    """Everything igtk writes is its owner's alone: files 0600, folders 0700.

    A umask rather than a chmod per file, because SQLite (database, WAL, SHM), log rotation,
    artifacts and reports all create files of their own; the state roots made by an older
    version (0755) are tightened, which closes the files inside them too.
    """
    os.umask(0o077)
    for root in (paths.config_dir, paths.data_dir, paths.state_dir):
        try:
            if root.is_dir() and root.stat().st_mode & 0o077:
                os.chmod(root, 0o700)
        except OSError:
            pass


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable only by its owner (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path
