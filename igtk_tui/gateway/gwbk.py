"""Build, validate and read gateway backups (`.gwbk`).

A `.gwbk` is a zip (ignition-gateway.md §6): `backupinfo.xml` with `<version>`,
`projects/<name>/project.json` (+ resources) and either the 8.1 internal config
database `db_backup_sqlite.idb` (SQLite) or the 8.3 file-based resources under
`config/resources/<collection>/...`. The simulator serves and restores these;
the client uses `validate_gwbk` to check a downloaded backup before trusting it.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

BACKUP_INFO = "backupinfo.xml"
IDB_ENTRY = "db_backup_sqlite.idb"
SQLITE_MAGIC = b"SQLite format 3\x00"
_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")


@dataclass
class BackupProject:
    """One project inside a backup: its project.json and resource files."""

    name: str
    config: dict[str, object]
    resources: dict[str, bytes] = field(default_factory=dict)


@dataclass
class BackupContents:
    version: str
    gateway_name: str | None
    edition: str | None
    projects: dict[str, BackupProject]


def version_tuple(version: str) -> tuple[int, int, int]:
    """`"8.3.6 (b2026042713)"` -> (8, 3, 6); ValueError when it is not a version."""
    match = _VERSION_RE.match(version)
    if not match:
        raise ValueError(f"not an Ignition version: {version!r}")
    return int(match[1]), int(match[2]), int(match[3])


def _backup_info(version: str, gateway_name: str, edition: str) -> bytes:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<backupinfo>\n"
        f"  <version>{version}</version>\n"
        f"  <edition>{edition}</edition>\n"
        f"  <gatewayname>{gateway_name}</gatewayname>\n"
        f"  <timestamp>{stamp}</timestamp>\n"
        "</backupinfo>\n"
    ).encode()


def _idb(gateway_name: str) -> bytes:
    """The 8.1 internal config DB: a real SQLite file with the tables tools read (§6)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(
            "CREATE TABLE SYSPROPS (SYSPROPS_ID INTEGER PRIMARY KEY, SYSTEMNAME TEXT, SYSTEMUID TEXT);"
            "CREATE TABLE CERTIFICATES (CERTIFICATES_ID INTEGER PRIMARY KEY, THUMBPRINT TEXT, SUBJECTNAME TEXT);"
            "CREATE TABLE EULAS (EULAS_ID INTEGER PRIMARY KEY, MODULEID TEXT, CRC INTEGER);"
        )
        conn.execute(
            "INSERT INTO SYSPROPS (SYSTEMNAME, SYSTEMUID) VALUES (?, ?)",
            (gateway_name, uuid.uuid4().hex),
        )
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def _resource_files(kind: str, name: str, config: Mapping[str, object]) -> dict[str, bytes]:
    base = f"config/resources/core/{kind}/{name}"
    meta = {"scope": "A", "version": 1, "restricted": False, "overridable": True, "files": ["config.json"]}
    return {
        f"{base}/config.json": json.dumps(config, indent=2).encode(),
        f"{base}/resource.json": json.dumps(meta, indent=2).encode(),
    }


def build_gwbk(
    version: str,
    gateway_name: str = "Ignition-Simulator",
    projects: Iterable[BackupProject] = (),
    edition: str = "standard",
) -> bytes:
    """A valid backup for `version` (8.1 layout below 8.3, file resources from 8.3)."""
    plain = ".".join(str(part) for part in version_tuple(version))
    entries: dict[str, bytes] = {BACKUP_INFO: _backup_info(plain, gateway_name, edition)}
    if version_tuple(version) >= (8, 3, 0):
        entries.update(
            _resource_files("ignition/system-properties", "_singleton", {"systemName": gateway_name})
        )
        entries.update(_resource_files("ignition/tag-provider", "default", {"profile": {"type": "STANDARD"}}))
    else:
        entries[IDB_ENTRY] = _idb(gateway_name)
        entries["redundancy.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            b'<!DOCTYPE properties SYSTEM "http://java.sun.com/dtd/properties.dtd">\n'
            b'<properties><entry key="redundancy.noderole">Independent</entry></properties>\n'
        )
    for project in projects:
        root = f"projects/{project.name}"
        entries[f"{root}/project.json"] = json.dumps(project.config, indent=2).encode()
        for path, content in project.resources.items():
            entries[f"{root}/{path}"] = content
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries.items():
            archive.writestr(path, content)
    return out.getvalue()


def _open(data: bytes | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except zipfile.BadZipFile:
        raise ValueError("not a gateway backup: the data is not a zip archive") from None


def _info_text(root: ElementTree.Element, name: str) -> str | None:
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1].lower() == name:
            return (element.text or "").strip() or None
    return None


def validate_gwbk(data: bytes | Path, *, crc_checked: bool = False) -> str:
    """Check that `data` (the bytes, or a file read from disk as needed: backups run to
    gigabytes) is a usable backup; returns its version (e.g. `8.3.6`).

    Raises ValueError naming the problem: not a zip, a corrupt member, no
    backupinfo.xml or version, an 8.1 backup without a SQLite config DB, or an
    8.3 backup without config resources. `crc_checked`: every member's CRC was
    already verified (a download checks it while receiving), so it is not read twice.
    """
    with _open(data) as archive:
        try:
            return _check(archive, crc_checked)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:  # a damaged member or header
            raise ValueError(f"corrupt backup: {exc}") from None


def _check(archive: zipfile.ZipFile, crc_checked: bool) -> str:
    bad = None if crc_checked else archive.testzip()
    if bad is not None:
        raise ValueError(f"corrupt backup: member {bad!r} fails its CRC check")
    names = archive.namelist()
    if BACKUP_INFO not in names:
        raise ValueError("not a gateway backup: backupinfo.xml is missing")
    try:
        info = ElementTree.fromstring(archive.read(BACKUP_INFO))
    except ElementTree.ParseError as exc:
        raise ValueError(f"backupinfo.xml is not valid XML: {exc}") from None
    version = _info_text(info, "version")
    if not version:
        raise ValueError("backupinfo.xml has no <version>")
    parsed = version_tuple(version)
    if parsed >= (8, 3, 0):
        if not any(name.startswith("config/resources/") for name in names):
            raise ValueError("8.3 backup has no config/resources/ entries")
    elif IDB_ENTRY not in names:
        raise ValueError(f"backup has no {IDB_ENTRY} (the 8.1 config database)")
    elif not archive.read(IDB_ENTRY).startswith(SQLITE_MAGIC):
        raise ValueError(f"{IDB_ENTRY} is not a SQLite database")
    return version


def read_gwbk(data: bytes) -> BackupContents:
    """Validate, then return what a restore applies (version, name, projects)."""
    version = validate_gwbk(data)
    with _open(data) as archive:
        info = ElementTree.fromstring(archive.read(BACKUP_INFO))
        projects: dict[str, BackupProject] = {}
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) < 3 or parts[0] != "projects" or name.endswith("/"):
                continue
            project = projects.setdefault(parts[1], BackupProject(parts[1], {}))
            rel = "/".join(parts[2:])
            if rel == "project.json":
                try:
                    project.config = json.loads(archive.read(name))
                except ValueError:
                    raise ValueError(f"{name} is not valid JSON") from None
            else:
                project.resources[rel] = archive.read(name)
        return BackupContents(
            version=version,
            gateway_name=_info_text(info, "gatewayname"),
            edition=_info_text(info, "edition"),
            projects=projects,
        )
