"""Build hook: ship the top-level playbooks/ and themes/ inside the package.

The developers' guide keeps those folders at the repository's top level (no src/ layout), so
setuptools cannot find them as package data. This copies them into `igtk_tui/_shipped/` of the
build tree; `igtk_tui.paths` looks there first and falls back to the checkout. Everything else
about the build is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder at the top of the repository -> the file patterns shipped from it
SHIPPED = {"playbooks": ("**/*.yaml",), "themes": ("*.toml",)}


def shipped_files() -> list[tuple[Path, str]]:
    """(source file, path relative to igtk_tui/_shipped) for every shipped file."""
    out = []
    for folder, patterns in SHIPPED.items():
        for pattern in patterns:
            for src in sorted((ROOT / folder).glob(pattern)):
                if src.is_file():
                    out.append((src, src.relative_to(ROOT).as_posix()))
    return out


class BuildPyWithShipped(build_py):
    """build_py that also copies the shipped playbooks and themes (not in editable installs,
    where paths.py reads them from the checkout itself)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        shipped = Path(self.build_lib) / "igtk_tui" / "_shipped"
        # A build/ folder left from an earlier build must not ship a playbook deleted since.
        self.remove_tree_quietly(shipped)
        for src, rel in shipped_files():
            target = shipped / rel
            self.mkpath(str(target.parent))
            self.copy_file(str(src), str(target))

    @staticmethod
    def remove_tree_quietly(path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path)

    def get_source_files(self) -> list[str]:
        # sdist takes these too, so a wheel built from the sdist ships the same files.
        return [*super().get_source_files(), *(str(src.relative_to(ROOT)) for src, _ in shipped_files())]


setup(cmdclass={"build_py": BuildPyWithShipped})
