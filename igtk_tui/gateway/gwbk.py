"""Build, validate and read gateway backups (`.gwbk`).

A `.gwbk` is a zip. As a real 8.3.2 gateway writes it
(issue 17 item 5): `backupinfo.xml` with root `<gateway-backup>`, a full
`<version>` such as `8.3.2.2025120210`, `<backup-type>ALL</backup-type>`,
`<ts>` and an `<edition>` that is empty for standard, and no gateway name;
then `db_backup_sqlite.idb`, `gateway.xml`, `ignition.conf`, `redundancy.xml`,
the file-based resources under `config/resources/<collection>/...` (the
system name is `systemName` in `core/ignition/system-properties/config.json`)
and `projects/<name>/project.json` (+ resources). 8.1 backups carry the name
in the SQLite config database (`SYSPROPS.SYSTEMNAME`) instead. The simulator
serves and restores these; the client uses `validate_gwbk` to check a
downloaded backup before trusting it.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from igtk_tui.gateway.version import GatewayVersion

BACKUP_INFO = "backupinfo.xml"
IDB_ENTRY = "db_backup_sqlite.idb"
SYSTEM_PROPERTIES_ENTRY = "config/resources/core/ignition/system-properties/config.json"
SQLITE_MAGIC = b"SQLite format 3\x00"


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
    """`"8.3.6 (b2026042713)"` or backupinfo.xml's `8.3.2.2025120210` -> (8, 3, 6); ValueError when
    it is not a version."""
    parsed = GatewayVersion.parse(version)
    return parsed.major, parsed.minor, parsed.patch


def full_version(version: str) -> str:
    """`8.3.2 (b2025120210)` -> `8.3.2.2025120210`, the form backupinfo.xml holds; a plain
    version stays plain."""
    parsed = GatewayVersion.parse(version)
    build = parsed.build.removeprefix("b")
    return f"{parsed.plain}.{build}" if build.isdigit() else parsed.plain


def _backup_info(version: str, edition: str) -> bytes:
    # <ts> as epoch milliseconds: [UNVERIFIED] the exact format of the 8.3.2 element.
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<gateway-backup>\n"
        f"  <version>{version}</version>\n"
        "  <backup-type>ALL</backup-type>\n"
        f"  <ts>{int(time.time() * 1000)}</ts>\n"
        f"  <edition>{'' if edition == 'standard' else edition}</edition>\n"
        "</gateway-backup>\n"
    ).encode()


def _properties(entries: Mapping[str, str]) -> bytes:
    """A Java XML properties file (redundancy.xml, gateway.xml)."""
    body = "".join(f'<entry key="{k}">{v}</entry>' for k, v in entries.items())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        '<!DOCTYPE properties SYSTEM "http://java.sun.com/dtd/properties.dtd">\n'
        f"<properties>{body}</properties>\n"
    ).encode()


def _idb(gateway_name: str) -> bytes:
    """The 8.1 internal config DB: a real SQLite file with the tables tools read."""
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
    base = f"config/resources/core/{kind}" + (f"/{name}" if name else "")
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
    """A valid backup for `version` (`8.3.6 (b2026042713)` or plain): the 8.3.2 layout
    from 8.3 (see the module docstring), the SQLite config database below."""
    version_tuple(version)
    entries: dict[str, bytes] = {BACKUP_INFO: _backup_info(full_version(version), edition)}
    entries[IDB_ENTRY] = _idb(gateway_name)
    entries["redundancy.xml"] = _properties({"redundancy.noderole": "Independent"})
    if version_tuple(version) >= (8, 3, 0):
        entries["gateway.xml"] = _properties({"gateway.httpPort": "8088", "gateway.httpsPort": "8043"})
        entries["ignition.conf"] = b"wrapper.java.initmemory=1024\nwrapper.java.maxmemory=2048\n"
        entries.update(_resource_files("ignition/system-properties", "", {"systemName": gateway_name}))
        entries.update(_resource_files("ignition/tag-provider", "default", {"profile": {"type": "STANDARD"}}))
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
    gigabytes) is a usable backup; returns its version without the build (e.g. `8.3.6`).

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
    written = _info_text(info, "version")
    if not written:
        raise ValueError("backupinfo.xml has no <version>")
    parsed = version_tuple(written)  # a real 8.3.2 writes the build too: 8.3.2.2025120210
    version = ".".join(str(part) for part in parsed)
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
            gateway_name=_system_name(archive),
            edition=_info_text(info, "edition") or "standard",
            projects=projects,
        )


def _system_name(archive: zipfile.ZipFile) -> str | None:
    """8.3: `systemName` of the system-properties singleton; 8.1: SYSPROPS.SYSTEMNAME in the idb."""
    names = set(archive.namelist())
    if SYSTEM_PROPERTIES_ENTRY in names:
        try:
            name = json.loads(archive.read(SYSTEM_PROPERTIES_ENTRY)).get("systemName")
        except (ValueError, AttributeError):
            raise ValueError(f"{SYSTEM_PROPERTIES_ENTRY} is not a JSON object") from None
        return str(name) if name else None
    if IDB_ENTRY in names:
        conn = sqlite3.connect(":memory:")
        try:
            conn.deserialize(archive.read(IDB_ENTRY))
            row = conn.execute("SELECT SYSTEMNAME FROM SYSPROPS LIMIT 1").fetchone()
        except sqlite3.Error:
            return None  # a config DB without SYSPROPS: keep the gateway's own name
        finally:
            conn.close()
        return str(row[0]) if row and row[0] else None
    return None
