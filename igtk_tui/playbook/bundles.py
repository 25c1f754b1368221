"""Playbook bundles: one playbook as a self-contained file (its YAML and metadata, no
credentials) for `igtk playbook export` / `import`; also the earlier toolkit's JSON export.

A bundle's verification travels with exactly the exported text (`content_hash`): an import
restores it only when the text still hashes to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.library_entry import LibraryEntry
from igtk_tui.playbook.metadata import content_hash, current_user
from igtk_tui.playbook.model import Playbook
from igtk_tui.timefmt import now_utc

BUNDLE_FORMAT = 1


def make_bundle(entry: LibraryEntry) -> dict[str, Any]:
    """A self-contained bundle: YAML text + metadata, with no credentials.

    Defaults of credential-typed and secret parameters are removed from the
    text (they name vault entries or hold secrets). The verified flag is
    exported for exactly the exported text (`content_hash`).
    """
    from igtk_tui import __version__
    from igtk_tui.playbook.model import ParamType
    from igtk_tui.playbook.params import is_secret_parameter
    from igtk_tui.playbook.yamledit import strip_parameter_defaults

    if not entry.valid or entry.playbook is None:
        raise InvalidInput(f"{entry.rel_path} does not load, so it cannot be exported:\n  "
                           + "\n  ".join(entry.problems))
    pb = entry.playbook
    sensitive = [p.name for p in pb.parameters if p.type == ParamType.CREDENTIAL or is_secret_parameter(p)]
    text, stripped = strip_parameter_defaults(pb.source, sensitive)
    meta = entry.meta
    return {
        "igtk_bundle": BUNDLE_FORMAT,
        "kind": "playbook",
        "path": entry.rel_path,
        "name": pb.name,
        "version": pb.version,
        "description": pb.description,
        "domain": entry.domain,
        "group": entry.group,
        "exported_at": now_utc(),
        "exported_by": current_user(),
        "igtk_version": __version__,
        "credentials_stripped": stripped,
        "content_hash": "sha256:" + content_hash(text),
        "yaml_content": text,
        "metadata": {
            "verified": entry.verified,
            "verified_at": meta.verified_at if meta and entry.verified_meta else None,
            "verified_by": (meta.verified_by if meta and entry.verified_meta
                            else ("YAML" if entry.verified_yaml else None)),
            "enabled": entry.enabled,
            "origin": entry.library_origin,
            "duplicated_from": meta.duplicated_from if meta else None,
            "revision": entry.revision,
            "notes": meta.notes if meta else "",
            "created_at": meta.created_at if meta else None,
        },
    }


def checked_bundle(bundle: Any) -> dict[str, Any]:
    """A bundle as read from a file, checked (an earlier-toolkit JSON export converted first)."""
    if isinstance(bundle, dict) and "yaml_content" not in bundle and isinstance(bundle.get("steps"), list):
        bundle = _from_earlier_json_export(bundle)
    if not isinstance(bundle, dict) or not isinstance(bundle.get("yaml_content"), str):
        raise InvalidInput("not a playbook bundle: expected a mapping with 'yaml_content' "
                           "(made by `igtk playbook export`) or the earlier toolkit's JSON export")
    fmt = bundle.get("igtk_bundle", BUNDLE_FORMAT)
    if not isinstance(fmt, int) or fmt > BUNDLE_FORMAT:
        raise InvalidInput(f"bundle format {fmt!r} is newer than this igtk understands ({BUNDLE_FORMAT})")
    return bundle


def bundle_path(bundle: dict[str, Any]) -> str:
    """Where the bundle's playbook goes in the user folder, unless told otherwise."""
    return str(bundle.get("path") or f"imported/{_slug(str(bundle.get('name') or 'playbook'))}")


def bundle_metadata(bundle: dict[str, Any]) -> dict[str, Any]:
    raw = bundle.get("metadata")
    return raw if isinstance(raw, dict) else {}


def restored_verification(bundle: dict[str, Any], playbook: Playbook) -> tuple[bool, str]:
    """(whether the bundle's verification holds for its text, why)."""
    declared = str(bundle.get("content_hash") or "")
    meta_in = bundle_metadata(bundle)
    if not (bool(meta_in.get("verified")) or playbook.verified):
        return False, "the bundle is not verified"
    if not declared:
        return False, "the bundle carries no content hash"
    if declared != "sha256:" + content_hash(bundle["yaml_content"]):
        return False, "the YAML does not match the bundle's content hash (changed after export)"
    if not meta_in.get("verified"):
        return False, "the bundle's metadata says it is not verified"
    return True, "content hash matches"


def read_bundle(path: Path) -> Any:
    """A bundle file, JSON or YAML."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: {exc.strerror or exc}") from None
    import json

    try:
        return json.loads(text)
    except ValueError:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path}: neither JSON nor YAML: {exc}") from None


def dump_bundle(bundle: dict[str, Any], fmt: str) -> str:
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(bundle, sort_keys=False, allow_unicode=True, width=100)
    import json

    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"


def _from_earlier_json_export(data: dict[str, Any]) -> dict[str, Any]:
    """The earlier toolkit's `playbook export` JSON (the playbook as a mapping plus
    `_export_metadata`) as a bundle: its YAML is re-made, so it arrives unverified."""
    import yaml

    playbook = {k: v for k, v in data.items() if not str(k).startswith("_")}
    text = "# Imported from the earlier toolkit's JSON export.\n" + yaml.safe_dump(
        playbook, sort_keys=False, allow_unicode=True, width=100)
    return {"yaml_content": text, "path": f"imported/{_slug(str(data.get('name') or 'playbook'))}.yaml",
            "metadata": {"verified": False}}


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^\w-]+", "_", text).strip("_").lower() or "playbook"
