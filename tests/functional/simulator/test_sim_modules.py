"""The 8.3 module lifecycle over real HTTP: upload -> quarantine -> certificate -> EULA ->
install -> pending restart -> ACTIVE (or FAULTED), upgrades and uninstalls."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import http, wait_running

API = "/data/api/v1"
WIDGET = "com.example.widget"


def _upload(client: httpx.Client, data: bytes, name: str = "Widget.modl") -> httpx.Response:
    return client.post(
        f"{API}/modules/upload",
        params={"fileName": name},
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


def _healthy(client: httpx.Client) -> dict[str, dict]:
    return {item["id"]: item for item in client.get(f"{API}/modules/healthy").json()["items"]}


def _restart(client: httpx.Client, gw: SimulatedGateway) -> None:
    response = client.post(f"{API}/restart-tasks/restart", params={"confirm": "true"})
    assert response.status_code == 200 and response.json() is True
    wait_running(gw)


def _accept_and_install(client: httpx.Client, module_id: str = WIDGET) -> httpx.Response:
    client.post(f"{API}/modules/certificate", params={"moduleId": module_id})
    client.post(f"{API}/modules/eula", params={"moduleId": module_id})
    return client.post(f"{API}/modules/install", params={"moduleId": module_id})


def test_full_lifecycle(client: httpx.Client, gw: SimulatedGateway, modl: Callable[..., bytes]) -> None:
    uploaded = _upload(client, modl())
    assert uploaded.status_code == 200
    assert uploaded.json() == {
        "moduleId": WIDGET,
        "licenseAccepted": False,
        "certAccepted": False,
        "containsEula": True,
        "containsCert": True,
    }
    quarantined = client.get(f"{API}/modules/quarantined").json()["items"]
    assert [(q["id"], q["version"], q["certAccepted"], q["licenseAccepted"]) for q in quarantined] == [
        (WIDGET, "1.0.0.2026010112", False, False)
    ]

    assert client.post(f"{API}/modules/install", params={"moduleId": WIDGET}).status_code == 409

    cert = client.get(f"{API}/modules/certificate", params={"moduleId": WIDGET}).json()
    assert cert["subjectName"] == "CN=com.example" and cert["notValidAfter"] > cert["notValidBefore"]
    accepted = client.post(f"{API}/modules/certificate", params={"moduleId": WIDGET})
    assert accepted.status_code == 200 and accepted.json()["success"] is True
    again = client.post(f"{API}/modules/certificate", params={"moduleId": WIDGET})
    assert again.status_code == 409
    assert again.json() == {
        "message": "Module Certificate already accepted.",
        "url": f"{API}/modules/certificate",
        "status": "409",
    }

    eula = client.get(f"{API}/modules/eula", params={"moduleId": WIDGET})
    assert eula.headers["content-type"].startswith("text/html") and "Example EULA" in eula.text
    assert client.post(f"{API}/modules/eula", params={"moduleId": WIDGET}).status_code == 200
    assert client.post(f"{API}/modules/eula", params={"moduleId": WIDGET}).status_code == 409

    installed = client.post(f"{API}/modules/install", params={"moduleId": WIDGET})
    assert installed.status_code == 200
    body = installed.json()
    assert body["filename"] == "Widget.modl" and body["upgradeVersion"] is None and body["certFingerprint"]
    assert client.get(f"{API}/modules/quarantined").json()["items"] == []
    assert client.get(f"{API}/restart-tasks/pending").json() == {"pending": [f"Module Installed: {WIDGET}"]}
    before = _healthy(client)[WIDGET]
    # issue 17 item 4 (8.3.2): a fresh install is INACTIVE with onStartup "enabled" until the restart
    assert before["state"] == "INACTIVE" and before["onStartup"] == "enabled"
    assert body["onStartup"] == "enabled"

    _restart(client, gw)
    after = _healthy(client)[WIDGET]
    assert (
        after["state"] == "ACTIVE" and after["version"] == "1.0.0.2026010112" and after["onStartup"] is None
    )
    assert client.get(f"{API}/restart-tasks/pending").json() == {"pending": []}


def test_failing_module_comes_up_faulted(
    client: httpx.Client, gw: SimulatedGateway, modl: Callable[..., bytes]
) -> None:
    gw.faults.failing_modules = {WIDGET}
    _upload(client, modl())
    assert _accept_and_install(client).status_code == 200
    _restart(client, gw)
    item = _healthy(client)[WIDGET]
    assert item["state"] == "FAULTED"
    assert item["faultCause"] and item["faultTime"] and item["exception"]
    assert _healthy(client)["com.inductiveautomation.vision"]["state"] == "ACTIVE"


def test_upgrade_replaces_after_restart(
    client: httpx.Client, gw: SimulatedGateway, modl: Callable[..., bytes]
) -> None:
    _upload(client, modl())
    _accept_and_install(client)
    _restart(client, gw)
    second = _upload(client, modl(version="1.1.0.2026020112"), "Widget-1.1.modl").json()
    # the same certificate and licence were accepted before: nothing to accept again
    assert second["certAccepted"] is True and second["licenseAccepted"] is True
    assert client.post(f"{API}/modules/certificate", params={"moduleId": WIDGET}).status_code == 409
    installed = client.post(f"{API}/modules/install", params={"moduleId": WIDGET}).json()
    assert installed["upgradeVersion"] == "1.1.0.2026020112"
    pending = _healthy(client)[WIDGET]
    assert pending["version"] == "1.0.0.2026010112" and pending["shouldUpgrade"] is True
    _restart(client, gw)
    assert _healthy(client)[WIDGET]["version"] == "1.1.0.2026020112"


def test_uninstall_by_body_and_query(client: httpx.Client, gw: SimulatedGateway) -> None:
    vision, webdev = "com.inductiveautomation.vision", "com.inductiveautomation.webdev"
    by_body = client.request("DELETE", f"{API}/modules/uninstall", json={"uninstall": [vision]})
    assert by_body.status_code == 200 and by_body.json()["success"] is True
    by_query = client.delete(f"{API}/modules/uninstall", params={"moduleId": webdev})
    assert by_query.status_code == 200
    assert set(client.get(f"{API}/restart-tasks/pending").json()["pending"]) == {
        f"Module Uninstalled: {vision}",
        f"Module Uninstalled: {webdev}",
    }
    assert vision in _healthy(client)  # still there until the restart
    _restart(client, gw)
    healthy = _healthy(client)
    assert vision not in healthy and webdev not in healthy
    assert client.delete(f"{API}/modules/uninstall", params={"moduleId": "com.nope"}).status_code == 404
    assert client.delete(f"{API}/modules/uninstall").status_code == 400


def test_bad_uploads(
    client: httpx.Client, make_gw: Callable[..., SimulatedGateway], modl: Callable[..., bytes]
) -> None:
    assert client.post(f"{API}/modules/upload", content=modl()).status_code == 400  # no fileName
    garbage = _upload(client, b"this is not a zip")
    assert garbage.status_code == 400 and "not a zip" in garbage.json()["message"]
    unsigned = _upload(client, modl(signed=False))
    assert unsigned.status_code == 400 and "not signed" in unsigned.json()["message"]
    too_new = _upload(client, modl(required_ignition_version="9.0.0"))
    assert too_new.status_code == 400 and "requires Ignition 9.0.0" in too_new.json()["message"]
    lenient = make_gw(allow_unsigned_modules=True)
    response = http.post(
        f"{lenient.url}{API}/modules/upload",
        params={"fileName": "u.modl"},
        content=modl(signed=False, license_text=None),
        headers={"X-Ignition-API-Token": lenient.api_token},
    )
    assert response.json()["containsCert"] is False and response.json()["containsEula"] is False


def test_toggle_state(client: httpx.Client) -> None:
    vision = "com.inductiveautomation.vision"
    response = client.put(f"{API}/modules/toggle-state", json={"enable": [], "disable": [vision, "com.nope"]})
    assert response.status_code == 200
    assert response.json()["failedUpdates"] == {"enable": [], "disable": ["com.nope"]}
    assert _healthy(client)[vision]["state"] == "INACTIVE"
    client.put(f"{API}/modules/toggle-state", json={"enable": [vision], "disable": []})
    assert _healthy(client)[vision]["state"] == "ACTIVE"


def _ca_signed_modl(module_id: str) -> tuple[bytes, dict[str, object]]:
    """A .modl whose certificates.p7b holds a leaf certificate issued by a separate CA (DER PKCS#7),
    the shape of a vendor-signed module; returns the file and what the certificate says."""
    import datetime
    import io
    import zipfile

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    from igtk_tui.gateway.modl import build_modl

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Root CA")])
    leaf_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
                           x509.NameAttribute(NameOID.COMMON_NAME, "Example Modules")])
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    end = datetime.datetime(2027, 6, 7, 8, 9, 10, tzinfo=datetime.UTC)
    leaf = (x509.CertificateBuilder().subject_name(leaf_name).issuer_name(ca_name)
            .public_key(leaf_key.public_key()).serial_number(0x1234ABCD)
            .not_valid_before(start).not_valid_after(end).sign(ca_key, hashes.SHA256()))
    unsigned = build_modl(module_id, "Vendor", "2.0.0", signed=False, license_text=None)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(unsigned)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("signatures.properties", "/module.xml=AAAA\n")
        dst.writestr("certificates.p7b", pkcs7.serialize_certificates([leaf], serialization.Encoding.DER))
    expected = {
        "subjectName": leaf.subject.rfc4514_string(),
        "issuerName": "CN=Example Root CA",
        "serialNumber": "1234abcd",
        "notValidBefore": int(start.timestamp() * 1000),
        "notValidAfter": int(end.timestamp() * 1000),
        "selfSigned": False,
    }
    return out.getvalue(), expected


def test_certificate_is_the_one_inside_the_module(client: httpx.Client) -> None:
    """Issue 17 item 4: subject, issuer, serial and validity come from the .modl's signature block."""
    data, expected = _ca_signed_modl("com.vendor.thing")
    assert _upload(client, data, "Thing.modl").status_code == 200
    cert = client.get(f"{API}/modules/certificate", params={"moduleId": "com.vendor.thing"}).json()
    assert cert == expected
    assert expected["subjectName"] == "CN=Example Modules,O=Example Corp"


def test_a_module_whose_certificate_block_is_not_pkcs7_is_refused(client: httpx.Client) -> None:
    import io
    import zipfile

    from igtk_tui.gateway.modl import build_modl

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(build_modl("com.bad.cert", "Bad", "1.0.0", signed=False))) as src, \
            zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
        dst.writestr("certificates.p7b", b"not a certificate")
    refused = _upload(client, out.getvalue(), "Bad.modl")
    assert refused.status_code == 400 and "PKCS#7" in refused.json()["message"]
