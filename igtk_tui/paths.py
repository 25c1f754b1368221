"""Every on-disk location igtk uses, derived from IGTK_HOME or the XDG directories.

One root for all state keeps tests and acceptance checks hermetic (IGTK_HOME=tmp)
and makes `igtk info` able to print every path.
"""

from __future__ import annotations

import os
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


def builtin_playbooks_dir() -> Path:
    """Shipped playbooks: next to the package in a checkout, inside it when installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "playbooks", here / "_shipped" / "playbooks"):
        if candidate.is_dir():
            return candidate
    return here.parent / "playbooks"


def builtin_themes_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "themes", here / "_shipped" / "themes"):
        if candidate.is_dir():
            return candidate
    return here.parent / "themes"


def resolve_paths(env: dict[str, str] | None = None) -> Paths:
    """IGTK_HOME roots everything; otherwise the platform's XDG locations."""
    env = os.environ if env is None else env
    home = env.get("IGTK_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(config_dir=root / "config", data_dir=root / "data", state_dir=root / "state")
    import platformdirs

    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
        state_dir=Path(platformdirs.user_state_dir(APP_NAME)),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create a folder readable only by its owner (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path
