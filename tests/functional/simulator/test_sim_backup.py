"""Backup download (a valid .gwbk) and restore (validation, restart, state replaced)."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from igtk_tui.gateway.gwbk import BackupProject, build_gwbk, read_gwbk, validate_gwbk
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import wait_for, wait_running

API = "/data/api/v1"
OCTET = {"Content-Type": "application/octet-stream"}


def test_backup_download_is_a_valid_gwbk(client: httpx.Client) -> None:
    response = client.get(f"{API}/backup", params={"includePeerLocal": "false"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert re.fullmatch(
        r'attachment; filename="Ignition-igtk-sim_Ignition-backup-\d{8}-\d{4}\.gwbk"',
        response.headers["content-disposition"],
    )
    assert validate_gwbk(response.content) == "8.3.6"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
    assert "backupinfo.xml" in names and "projects/Demo/project.json" in names
    assert any(n.startswith("config/resources/core/") for n in names)


def test_81_backup_has_sqlite_config_db(gw81: SimulatedGateway, tmp_path: Path) -> None:
    data = build_gwbk("8.1.44", gw81.state.gateway_name)
    assert validate_gwbk(data) == "8.1.44"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (tmp_path / "db.idb").write_bytes(archive.read("db_backup_sqlite.idb"))
    with sqlite3.connect(tmp_path / "db.idb") as db:
        assert db.execute("SELECT SYSTEMNAME FROM SYSPROPS").fetchone() == ("Ignition-igtk-sim",)


def test_restore_restarts_and_replaces_projects(client: httpx.Client, gw: SimulatedGateway) -> None:
    backup = client.get(f"{API}/backup").content
    assert client.post(f"{API}/projects", json={"name": "AfterBackup"}).status_code == 200
    restored = client.post(f"{API}/backup", content=backup, headers=OCTET)
    assert restored.status_code == 200 and restored.text == "Restore operation successfully initiated"
    wait_for(lambda: client.get(f"{API}/projects/names").status_code == 503, 5, "503 while STARTING")
    wait_running(gw)
    assert set(client.get(f"{API}/projects/names").json()) == {"Demo", "Global"}
    assert gw.state.restores == 1


def test_restore_rejects_bad_backups(client: httpx.Client, gw: SimulatedGateway) -> None:
    assert client.post(f"{API}/backup", content=b"nope", headers=OCTET).status_code == 400
    assert client.post(f"{API}/backup", headers=OCTET).status_code == 400
    newer = build_gwbk("8.9.0", "Future", [BackupProject("P", {"title": "P"})])
    response = client.post(f"{API}/backup", content=newer, headers=OCTET)
    assert response.status_code == 400 and "newer" in response.json()["message"]
    assert gw.phase == "RUNNING"


def test_81_backup_restores_onto_83(client: httpx.Client, gw: SimulatedGateway) -> None:
    old = build_gwbk("8.1.44", "Old-GW", [BackupProject("Legacy", {"title": "Legacy", "enabled": True})])
    assert client.post(f"{API}/backup", content=old, headers=OCTET).status_code == 200
    wait_running(gw)
    assert client.get(f"{API}/projects/names").json() == ["Legacy"]
    assert client.get(f"{API}/overview/name").json()["gatewayName"] == "Old-GW"


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"plain text", "not a zip"),
        (_zip({"projects/a/project.json": b"{}"}), "backupinfo.xml is missing"),
        (_zip({"backupinfo.xml": b"<backupinfo></backupinfo>"}), "no <version>"),
        (
            _zip({"backupinfo.xml": b"<backupinfo><version>8.1.40</version></backupinfo>"}),
            "db_backup_sqlite.idb",
        ),
        (
            _zip(
                {
                    "backupinfo.xml": b"<backupinfo><version>8.1.40</version></backupinfo>",
                    "db_backup_sqlite.idb": b"junk",
                }
            ),
            "not a SQLite",
        ),
        (_zip({"backupinfo.xml": b"<backupinfo><version>8.3.1</version></backupinfo>"}), "config/resources"),
    ],
)
def test_validate_gwbk_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_gwbk(data)


def test_read_gwbk_round_trip() -> None:
    data = build_gwbk("8.3.6 (b2026042713)", "GW", [BackupProject("P", {"title": "T"}, {"a/b.json": b"{}"})])
    contents = read_gwbk(data)
    assert contents.version == "8.3.6" and contents.gateway_name == "GW"
    assert contents.projects["P"].config == {"title": "T"}
    assert contents.projects["P"].resources == {"a/b.json": b"{}"}


def test_81_web_backup_needs_session(gw81: SimulatedGateway, login81: Callable[[httpx.Client], None]) -> None:
    with sim_client(gw81.url) as browser:
        anonymous = browser.get("/web/config/system.backup/download")
        assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/web/login")
        login81(browser)
        download = browser.get("/web/config/system.backup/download")
        assert download.status_code == 200 and validate_gwbk(download.content) == "8.1.44"
        files = {"file": ("gw.gwbk", download.content, "application/octet-stream")}
        restored = browser.post("/web/config/system.backup/restore", files=files)
        assert restored.status_code == 200 and "Restore operation successfully initiated" in restored.text
    wait_running(gw81)


def test_validate_gwbk_reads_a_file_from_disk_and_can_skip_a_crc_already_checked(tmp_path: Path) -> None:
    """Backups run to gigabytes: the steps validate the file on disk, not its bytes in memory,
    and a download (whose CRCs were checked while it was received) is not read twice."""
    data = build_gwbk("8.3.6 (b2026042713)", "GW", [BackupProject("P", {"title": "T"}, {"a/b.json": b"{}"})])
    good = tmp_path / "good.gwbk"
    good.write_bytes(data)
    assert validate_gwbk(good) == "8.3.6"
    with zipfile.ZipFile(good) as archive:  # flip one byte inside a project file's stored data
        info = next(i for i in archive.infolist() if i.filename.endswith("a/b.json"))
        offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw = bytearray(data)
    raw[offset] ^= 0xFF
    bad = tmp_path / "bad.gwbk"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupt backup"):  # CRC mismatch or a broken deflate stream
        validate_gwbk(bad)
    assert validate_gwbk(bad, crc_checked=True) == "8.3.6"


def _real_832_backup(system_name: str) -> bytes:
    """A .gwbk of the shape a real 8.3.2 gateway writes (issue 17 item 5), built by hand, not by
    build_gwbk: <gateway-backup> root, full version, backup-type ALL, ts, empty edition, no name
    element; the idb, gateway.xml, ignition.conf, redundancy.xml and the system-properties singleton."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE SCHEMA_VERSION (ID INTEGER)")
    idb = conn.serialize()
    conn.close()
    entries = {
        "backupinfo.xml": (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<gateway-backup>\n'
            b"  <version>8.3.2.2025120210</version>\n  <backup-type>ALL</backup-type>\n"
            b"  <ts>1764670000000</ts>\n  <edition></edition>\n</gateway-backup>\n"
        ),
        "db_backup_sqlite.idb": idb,
        "gateway.xml": b'<?xml version="1.0"?><properties></properties>',
        "ignition.conf": b"wrapper.java.maxmemory=2048\n",
        "redundancy.xml": b'<?xml version="1.0"?><properties><entry key="redundancy.noderole">'
                          b"Independent</entry></properties>",
        "config/resources/core/ignition/system-properties/config.json":
            (f'{{"systemName": "{system_name}", "launchpadAutoStart": true}}').encode(),
        "config/resources/core/ignition/system-properties/resource.json": b'{"scope": "A", "version": 1}',
        "projects/Line/project.json": b'{"title": "Line", "enabled": true}',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_real_832_backup_is_accepted_and_restoring_it_applies_its_system_name(
    client: httpx.Client, gw: SimulatedGateway
) -> None:
    data = _real_832_backup("Plant-North")
    assert validate_gwbk(data) == "8.3.2"
    contents = read_gwbk(data)
    assert contents.gateway_name == "Plant-North" and contents.edition == "standard"
    assert client.post(f"{API}/backup", content=data, headers=OCTET).status_code == 200
    wait_running(gw)
    assert gw.state.gateway_name == "Plant-North"
    singleton = client.get(f"{API}/resources/singleton/ignition/system-properties").json()
    assert singleton["config"]["systemName"] == "Plant-North"
    assert "Line" in client.get(f"{API}/projects/names").json()


def test_the_simulators_backup_has_the_real_832_shape(client: httpx.Client, gw: SimulatedGateway) -> None:
    from xml.etree import ElementTree

    data = client.get(f"{API}/backup").content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        info = ElementTree.fromstring(archive.read("backupinfo.xml"))
        system = archive.read("config/resources/core/ignition/system-properties/config.json")
    assert {"db_backup_sqlite.idb", "gateway.xml", "ignition.conf", "redundancy.xml"} <= names
    assert info.tag == "gateway-backup" and info.findtext("version") == "8.3.6.2026042713"
    assert info.findtext("backup-type") == "ALL" and info.findtext("ts", "").isdigit()
    assert info.findtext("edition") in ("", None)
    assert info.find("gatewayname") is None and info.find("gateway-name") is None
    assert b'"systemName": "Ignition-igtk-sim"' in system
