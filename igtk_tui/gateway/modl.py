"""Read and build Ignition module files (`.modl`).

A `.modl` is a zip with `module.xml` at its root, the jars it names, an optional
licence file and, when signed, `certificates.p7b` + `signatures.properties`
(the module-signer's output). The client reads the metadata before uploading (to
show id/version and to compare with what is installed); the simulator parses
uploads with the same code; tests, the demo and shipped playbooks build real
module files with `build_modl`.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:  # cryptography is imported only when a certificate is built or read
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

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
    """Tag name without namespace, lower-cased: old files use lowercase tags."""
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


@dataclass(frozen=True)
class CertificateInfo:
    """The signing certificate of a module: what a gateway shows before trusting it."""

    subject: str
    issuer: str
    serial: str
    not_before_ms: int
    not_after_ms: int
    self_signed: bool
    fingerprint: str  # SHA-1 of the DER certificate, as the 8.1 CERTIFICATES table keys it


def read_certificate(p7b: bytes) -> CertificateInfo:
    """The first (signing) certificate of a `certificates.p7b` chain, DER or PEM PKCS#7.

    ValueError when the block holds no X.509 certificate (a gateway refuses such a module).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    try:
        if p7b.lstrip().startswith(b"-----BEGIN"):
            certs = pkcs7.load_pem_pkcs7_certificates(p7b)
        else:
            certs = pkcs7.load_der_pkcs7_certificates(p7b)
    except ValueError as exc:
        raise ValueError(f"{CERT_ENTRY} is not a PKCS#7 certificate chain: {exc}") from None
    if not certs:
        raise ValueError(f"{CERT_ENTRY} holds no certificate")
    cert = certs[0]
    der = cert.public_bytes(serialization.Encoding.DER)
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before_ms=int(cert.not_valid_before_utc.timestamp() * 1000),
        not_after_ms=int(cert.not_valid_after_utc.timestamp() * 1000),
        self_signed=cert.subject == cert.issuer,
        fingerprint=hashlib.sha1(der).hexdigest(),
    )


@functools.cache
def _signing_key(subject: str) -> tuple[RSAPrivateKey, x509.Certificate]:
    """One RSA key and self-signed certificate per subject per process (key generation is slow)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha1(subject.encode()).digest()[:8], "big"))
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _sign(entries: dict[str, bytes], subject: str) -> dict[str, bytes]:
    """signatures.properties (Base64 SHA256withRSA per entry) + certificates.p7b (DER PKCS#7), as
    IA's module-signer writes them."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import pkcs7

    key, cert = _signing_key(subject)
    lines = []
    for path, content in entries.items():
        signature = key.sign(content, padding.PKCS1v15(), hashes.SHA256())
        lines.append(f"/{path}={base64.b64encode(signature).decode()}")
    return {
        SIGNATURES_ENTRY: ("\n".join(lines) + "\n").encode(),
        CERT_ENTRY: pkcs7.serialize_certificates([cert], serialization.Encoding.DER),
    }


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
    signer: str | None = None,
) -> bytes:
    """A real `.modl` zip (module.xml, a gateway jar, optional licence, signature files).

    Signed modules carry a real self-signed X.509 certificate for `signer`
    (default: the module id's vendor part, e.g. `com.example`) and real
    SHA256withRSA signatures of every entry.
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
        entries.update(_sign(entries, signer or id.rsplit(".", 1)[0]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in entries.items():
            archive.writestr(path, content)
    return out.getvalue()
