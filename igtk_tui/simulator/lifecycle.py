"""Module lifecycle shared by the 8.3 REST routes and the 8.1 web pages.

upload (real .modl parsing) -> quarantine -> accept certificate (409 on
repeat) -> accept EULA (409 on repeat) -> install. On 8.3 an install,
upgrade or uninstall waits for a restart and is listed in
restart-tasks/pending; on 8.1 modules hot-load, so it applies at once.
Certificates are trusted by fingerprint and EULAs by (module id, CRC32 of the
licence text), like the 8.1 CERTIFICATES/EULAS tables.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from igtk_tui.gateway.modl import CertificateInfo, module_certificate, read_certificate, read_module_info
from igtk_tui.gateway.version import version_numbers
from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.state import GatewayState, Module, PendingTask, QuarantinedModule

# A fresh install sits INACTIVE with this `onStartup` until the restart (8.3.2 capture, issue 17 item 4).
FRESH_INSTALL_ON_STARTUP = "enabled"


def upload(state: GatewayState, filename: str, data: bytes) -> QuarantinedModule:
    try:
        info = read_module_info(data)
    except ValueError as exc:
        raise HttpError(400, f"Invalid module file '{filename}': {exc}") from None
    required = info.required_ignition_version
    if required and version_numbers(required) > version_numbers(state.config.plain_version):
        # [UNVERIFIED] refused at upload rather than faulting after restart.
        raise HttpError(400, f"Module {info.id} requires Ignition {required} or newer")
    if not info.signed and not state.config.allow_unsigned_modules:
        # Unsigned modules are refused unless -Dignition.allowunsignedmodules=true.
        raise HttpError(400, f"Module {info.id} is not signed and unsigned modules are not allowed")
    p7b = module_certificate(data)
    cert: CertificateInfo | None = None
    if p7b is not None:
        try:
            cert = read_certificate(p7b)
        except ValueError as exc:
            raise HttpError(400, f"Invalid module file '{filename}': {exc}") from None
    fingerprint = cert.fingerprint if cert else None
    crc = zlib.crc32(info.license_text.encode()) if info.license_text is not None else None
    entry = QuarantinedModule(
        id=info.id,
        name=info.name,
        version=info.version,
        description=info.description,
        filename=filename,
        data=data,
        license_text=info.license_text,
        license_crc=crc,
        cert_fingerprint=fingerprint,
        cert_subject=cert.subject if cert else None,
        certificate=cert,
        cert_accepted=fingerprint in state.trusted_certs if fingerprint else False,
        license_accepted=crc is not None and (info.id, crc) in state.accepted_eulas,
    )
    state.quarantine[info.id] = entry
    return entry


def upload_result(entry: QuarantinedModule) -> dict[str, Any]:
    return {
        "moduleId": entry.id,
        "licenseAccepted": entry.license_accepted,
        "certAccepted": entry.cert_accepted,
        "containsEula": entry.license_text is not None,
        "containsCert": entry.cert_fingerprint is not None,
    }


def quarantined(state: GatewayState, module_id: str) -> QuarantinedModule:
    entry = state.quarantine.get(module_id)
    if entry is None:
        raise HttpError(404, f"Module '{module_id}' is not quarantined")
    return entry


def certificate_info(entry: QuarantinedModule) -> dict[str, Any]:
    """The module-certificate JSON of 8.3, read from the certificate inside the uploaded .modl."""
    cert = entry.certificate
    if cert is None:
        raise HttpError(404, f"Module '{entry.id}' has no certificate")
    return {
        "notValidAfter": cert.not_after_ms,
        "notValidBefore": cert.not_before_ms,
        "subjectName": cert.subject,
        "issuerName": cert.issuer,
        "selfSigned": cert.self_signed,
        "serialNumber": cert.serial,
    }


def accept_certificate(state: GatewayState, module_id: str) -> None:
    entry = quarantined(state, module_id)
    if entry.cert_fingerprint is None:
        raise HttpError(404, f"Module '{module_id}' has no certificate")
    if entry.cert_accepted:
        raise HttpError(409, "Module Certificate already accepted.")  # as a real 8.3 answers (docs/simulator.md)
    state.trusted_certs.add(entry.cert_fingerprint)
    for other in state.quarantine.values():
        if other.cert_fingerprint == entry.cert_fingerprint:
            other.cert_accepted = True


def accept_eula(state: GatewayState, module_id: str) -> None:
    entry = quarantined(state, module_id)
    if entry.license_crc is None:
        raise HttpError(404, f"Module '{module_id}' has no EULA")
    if entry.license_accepted:
        raise HttpError(409, "Module EULA already accepted.")  # [UNVERIFIED] wording
    state.accepted_eulas.add((entry.id, entry.license_crc))
    entry.license_accepted = True


def install(state: GatewayState, module_id: str, immediate: bool = False) -> dict[str, Any]:
    entry = quarantined(state, module_id)
    if entry.cert_fingerprint is not None and not entry.cert_accepted:
        raise HttpError(409, "Module certificate has not been accepted.")  # [UNVERIFIED] code
    if entry.license_crc is not None and not entry.license_accepted:
        raise HttpError(409, "Module EULA has not been accepted.")  # [UNVERIFIED] code
    del state.quarantine[module_id]
    existing = state.modules.get(module_id)
    on_startup = "UPGRADE" if existing else FRESH_INSTALL_ON_STARTUP  # UPGRADE: [UNVERIFIED]

    def apply(gateway: GatewayState) -> None:
        previous = gateway.modules.get(entry.id)
        gateway.modules[entry.id] = Module(
            id=entry.id,
            name=entry.name,
            version=entry.version,
            description=entry.description,
            vendor_name=entry.cert_subject.removeprefix("CN=") if entry.cert_subject else "Unknown",
            vendor_id=entry.id.rsplit(".", 1)[0],
            filename=entry.filename,
            self_signed=entry.certificate.self_signed if entry.certificate else False,
            license_state="TRIAL",
            enabled=previous.enabled if previous else True,
        )

    if immediate:
        apply(state)
        state.refresh_module_states(only=module_id)
    else:
        label = f"Module Installed: {module_id}"
        state.pending = [
            t for t in state.pending if t.label not in (label, f"Module Uninstalled: {module_id}")
        ]
        state.pending.append(PendingTask(label, apply))
        if existing:
            existing.should_upgrade, existing.on_startup = True, on_startup
        else:
            state.modules[module_id] = Module(
                id=entry.id,
                name=entry.name,
                version=entry.version,
                description=entry.description,
                filename=entry.filename,
                state="INACTIVE",
                on_startup=on_startup,
                vendor_name=entry.cert_subject.removeprefix("CN=") if entry.cert_subject else "Unknown",
            )
    return {
        "filename": entry.filename,
        "onStartup": on_startup,
        "certFingerprint": entry.cert_fingerprint,
        "licenseAgreementHash": entry.license_crc,
        "upgradeVersion": entry.version if existing else None,
        "upgradeFilename": entry.filename if existing else None,
    }


def uninstall(state: GatewayState, module_ids: list[str], immediate: bool = False) -> list[str]:
    """Uninstall (pending on 8.3); returns the ids that were found."""
    found = []
    for module_id in module_ids:
        if state.quarantine.pop(module_id, None) is not None:
            found.append(module_id)
            continue
        module = state.modules.get(module_id)
        if module is None:
            continue
        found.append(module_id)
        if immediate:
            del state.modules[module_id]
            continue
        label = f"Module Uninstalled: {module_id}"
        state.pending = [t for t in state.pending if t.label not in (label, f"Module Installed: {module_id}")]
        state.pending.append(PendingTask(label, _remover(module_id)))
        module.on_startup = "UNINSTALL"
    return found


def _remover(module_id: str) -> Callable[[GatewayState], None]:
    def apply(gateway: GatewayState) -> None:
        gateway.modules.pop(module_id, None)

    return apply


def toggle(state: GatewayState, enable: list[str], disable: list[str]) -> dict[str, list[str]]:
    """Enable/disable at once [UNVERIFIED: whether this waits for a restart]."""
    failed: dict[str, list[str]] = {"enable": [], "disable": []}
    for key, ids, enabled in (("enable", enable, True), ("disable", disable, False)):
        for module_id in ids:
            module = state.modules.get(str(module_id))
            if module is None:
                failed[key].append(str(module_id))
                continue
            module.enabled = enabled
            state.refresh_module_states(only=module.id)
    return failed


def module_item(module: Module) -> dict[str, Any]:
    """The 8.3 healthy-module item."""
    return {
        "id": module.id,
        "onStartup": module.on_startup,
        "shouldUpgrade": module.should_upgrade,
        "name": module.name,
        "version": module.version,
        "description": module.description,
        "docUrl": module.doc_url,
        "vendorId": module.vendor_id,
        "vendorName": module.vendor_name,
        "selfSigned": module.self_signed,
        "state": module.state,
        "faultCause": module.fault_cause,
        "exception": f"java.lang.IllegalStateException: {module.fault_cause}" if module.fault_cause else None,
        "faultTime": module.fault_time,
        "licenseState": module.license_state,
        "startupTime": module.startup_time,
        "restrictions": [],
    }


def quarantine_item(entry: QuarantinedModule) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "version": entry.version,
        "certAccepted": entry.cert_accepted,
        "licenseAccepted": entry.license_accepted,
        "reason": entry.reason,
    }
