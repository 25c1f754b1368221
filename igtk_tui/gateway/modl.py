"""Read and build Ignition module files (`.modl`).

A `.modl` is a zip with `module.xml` at its root, the jars it names, an optional
licence file and, when signed, `certificates.p7b` + `signatures.properties`
(ignition-gateway.md §5). The client reads the metadata before uploading (to
show id/version and to compare with what is installed); the simulator parses
uploads with the same code; tests, the demo and shipped playbooks build real
module files with `build_modl`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

CERT_ENTRY = "certificates.p7b"
SIGNATURES_ENTRY = "signatures.properties"


@dataclass(frozen=True)
class ModuleInfo:
    """What `module.xml` says about a module, plus whether the file is signed."""

    id: str
    name: str
    version: str
    required_ignition_version: str | None
    description: str
    license_file: str | None
    license_text: str | None
    signed: bool


def _local(tag: str) -> str:
    """Tag name without namespace, lower-cased: old files use lowercase tags (§5)."""
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element: ElementTree.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name.lower():
            return (child.text or "").strip()
    return None


def _find_entry(archive: zipfile.ZipFile, name: str) -> str | None:
    """The archive member called `name` (case-insensitive, at the root)."""
    wanted = name.lower()
    for member in archive.namelist():
        if member.lower() == wanted:
            return member
    return None


def read_module_info(data: bytes | Path) -> ModuleInfo:
    """Parse a `.modl`; raises ValueError naming what is wrong with the file."""
    raw = data.read_bytes() if isinstance(data, Path) else bytes(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise ValueError("not a module file: the data is not a zip archive") from None
    with archive:
        entry = _find_entry(archive, "module.xml")
        if entry is None:
            raise ValueError("not a module file: module.xml is missing from the archive")
        try:
            root = ElementTree.fromstring(archive.read(entry))
        except ElementTree.ParseError as exc:
            raise ValueError(f"module.xml is not valid XML: {exc}") from None
        module = root if _local(root.tag) == "module" else None
        if module is None:
            module = next((el for el in root.iter() if _local(el.tag) == "module"), None)
        if module is None:
            raise ValueError("module.xml has no <module> element")
        module_id = _child_text(module, "id")
        version = _child_text(module, "version")
        if not module_id:
            raise ValueError("module.xml has no <id>")
        if not version:
            raise ValueError("module.xml has no <version>")
        license_file = _child_text(module, "license") or None
        license_text: str | None = None
        if license_file:
            license_entry = _find_entry(archive, license_file)
            if license_entry is not None:
                license_text = archive.read(license_entry).decode("utf-8", errors="replace")
        return ModuleInfo(
            id=module_id,
            name=_child_text(module, "name") or module_id,
            version=version,
            required_ignition_version=_child_text(module, "requiredIgnitionVersion") or None,
            description=_child_text(module, "description") or "",
            license_file=license_file,
            license_text=license_text,
            signed=_find_entry(archive, CERT_ENTRY) is not None,
        )


def module_certificate(data: bytes) -> bytes | None:
    """The raw `certificates.p7b` of a module file, or None when unsigned."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entry = _find_entry(archive, CERT_ENTRY)
        return archive.read(entry) if entry else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_modl(
    id: str,  # noqa: A002 - the name the module.xml tag uses
    name: str,
    version: str,
    required_ignition_version: str = "8.1.0",
    license_text: str | None = None,
    signed: bool = True,
    description: str = "",
) -> bytes:
    """A real `.modl` zip (module.xml, a gateway jar, optional licence, signature files).

    The signature files have the real layout (§5) but are not cryptographically
    valid: nothing in igtk or the simulator verifies RSA signatures.
    """
    jar_name = f"{id.rsplit('.', 1)[-1]}-gateway-{version.split(' ')[0]}.jar"
    xml = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<modules>",
        "  <module>",
        f"    <id>{_escape(id)}</id>",
        f"    <name>{_escape(name)}</name>",
        f"    <description>{_escape(description)}</description>",
        f"    <version>{_escape(version)}</version>",
        f"    <requiredIgnitionVersion>{_escape(required_ignition_version)}</requiredIgnitionVersion>",
        "    <requiredFrameworkVersion>8</requiredFrameworkVersion>",
        "    <freeModule>false</freeModule>",
    ]
    if license_text is not None:
        xml.append("    <license>license.html</license>")
    xml += [
        f'    <jar scope="G">{_escape(jar_name)}</jar>',
        f'    <hook scope="G">{_escape(id)}.GatewayHook</hook>',
        "  </module>",
        "</modules>",
        "",
    ]
    entries: dict[str, bytes] = {"module.xml": "\n".join(xml).encode()}
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as inner:
        inner.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        inner.writestr(id.replace(".", "/") + "/GatewayHook.class", b"\xca\xfe\xba\xbe")
    entries[jar_name] = jar.getvalue()
    if license_text is not None:
        entries["license.html"] = license_text.encode()
    if signed:
        lines = []
        for path, content in entries.items():
            digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
            lines.append(f"/{path}={digest}")
        entries[SIGNATURES_ENTRY] = ("\n".join(lines) + "\n").encode()
        subject = f"CN={id.rsplit('.', 1)[0]}"
        entries[CERT_ENTRY] = (
            "-----BEGIN PKCS7-----\n"
            + base64.b64encode(f"simulated certificate chain for {subject}".encode()).decode()
            + "\n-----END PKCS7-----\n"
        ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries.items():
            archive.writestr(path, content)
    return out.getvalue()
