"""`.modl` reading and building (ignition-gateway.md §5)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from igtk_tui.gateway.modl import ModuleInfo, build_modl, module_certificate, read_module_info


def _zip(entries: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_round_trip_signed_with_license(tmp_path: Path) -> None:
    data = build_modl(
        "com.example.thing",
        "Thing",
        "1.2.3.2026010112",
        "8.3.0",
        license_text="<p>EULA</p>",
        description="Does things",
    )
    expected = ModuleInfo(
        id="com.example.thing",
        name="Thing",
        version="1.2.3.2026010112",
        required_ignition_version="8.3.0",
        description="Does things",
        license_file="license.html",
        license_text="<p>EULA</p>",
        signed=True,
    )
    assert read_module_info(data) == expected
    path = tmp_path / "Thing.modl"
    path.write_bytes(data)
    assert read_module_info(path) == expected
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    assert {"module.xml", "license.html", "certificates.p7b", "signatures.properties"} <= names
    assert any(n.endswith(".jar") for n in names)
    assert module_certificate(data) is not None


def test_unsigned_without_license() -> None:
    info = read_module_info(build_modl("a.b", "AB", "2.0", signed=False))
    assert info.signed is False and info.license_file is None and info.license_text is None
    assert info.required_ignition_version == "8.1.0"
    assert module_certificate(build_modl("a.b", "AB", "2.0", signed=False)) is None


def test_lowercase_tags_and_escaping() -> None:
    xml = (
        "<modules><module><ID>old.style</ID><Name>Old &amp; Gold</Name><VERSION>3.0</VERSION>"
        "<requiredignitionversion>7.9.0</requiredignitionversion></module></modules>"
    )
    info = read_module_info(_zip({"module.xml": xml}))
    assert (info.id, info.name, info.version, info.required_ignition_version) == (
        "old.style",
        "Old & Gold",
        "3.0",
        "7.9.0",
    )
    built = read_module_info(build_modl("x.y", "A <b> & c", "1.0"))
    assert built.name == "A <b> & c"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not a zip archive"),
        (_zip({"other.txt": "x"}), "module.xml is missing"),
        (_zip({"module.xml": "<modules><module>"}), "not valid XML"),
        (_zip({"module.xml": "<modules></modules>"}), "no <module>"),
        (_zip({"module.xml": "<modules><module><version>1</version></module></modules>"}), "no <id>"),
        (_zip({"module.xml": "<modules><module><id>a</id></module></modules>"}), "no <version>"),
    ],
    # Zip bytes embed timestamps; stable ids keep xdist workers' collections identical.
    ids=["not-zip", "no-module-xml", "bad-xml", "no-module", "no-id", "no-version"],
)
def test_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_module_info(data)
