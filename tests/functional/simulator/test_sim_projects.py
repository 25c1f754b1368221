"""Projects over real HTTP: list/find, create/modify/copy/rename/delete, export/import zips, 409/415."""

from __future__ import annotations

import io
import json
import zipfile

import httpx

from igtk_tui.simulator import SimulatedGateway

API = "/data/api/v1/projects"
ZIP = {"Content-Type": "application/zip"}


def test_seeded_projects(client: httpx.Client) -> None:
    listing = client.get(f"{API}/list").json()
    names = {item["name"] for item in listing["items"]}
    assert {"Demo", "Global"} <= names
    demo = next(i for i in listing["items"] if i["name"] == "Demo")
    assert set(demo) == {
        "name",
        "description",
        "title",
        "enabled",
        "parent",
        "inheritable",
        "invalidParent",
        "mutable",
        "defaultDb",
        "tagProvider",
        "userSource",
        "identityProvider",
    }
    assert client.get(f"{API}/names").json() == ["Global", "Demo"]
    assert client.get(f"{API}/find/Demo").json()["parent"] == "Global"
    missing = client.get(f"{API}/find/Nope")
    assert missing.status_code == 404 and missing.json()["status"] == "404"


def test_create_modify_copy_rename_delete(client: httpx.Client, gw: SimulatedGateway) -> None:
    created = client.post(API, json={"name": "Line1", "title": "Line 1", "enabled": True, "parent": "Global"})
    assert created.status_code == 200
    assert created.json() == {"success": True, "changes": [{"name": "Line1"}], "problem": None}
    duplicate = client.post(API, json={"name": "Line1"})
    assert duplicate.status_code == 409
    assert duplicate.json()["success"] is False and "already exists" in duplicate.json()["problem"]["message"]
    assert client.post(API, json={"name": "bad name!"}).status_code == 400
    assert client.post(API, json={"name": "X", "enabled": "maybe"}).status_code == 422

    modified = client.put(f"{API}/Line1", json={"title": "Line One", "description": "changed"})
    assert modified.status_code == 200
    assert client.get(f"{API}/find/Line1").json()["title"] == "Line One"
    assert client.put(f"{API}/Nope", json={"title": "x"}).status_code == 404

    assert client.post(f"{API}/copy", json={"fromName": "Line1", "toName": "Line2"}).status_code == 200
    failed_copy = client.post(f"{API}/copy", json={"fromName": "Line1", "toName": "Line2"})
    assert failed_copy.status_code == 304 and failed_copy.content == b""  # real 8.3: a failed copy is 304
    missing = client.post(f"{API}/copy", json={"fromName": "Nope", "toName": "Line3"})
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "changes": [], "problem": {
        "message": "Project 'Nope' not found", "stacktrace": None}}
    assert client.get(f"{API}/find/Line2").json()["title"] == "Line One"

    renamed = client.post(f"{API}/rename/Global", json={"name": "Shared"})
    assert renamed.status_code == 200
    assert client.get(f"{API}/find/Line1").json()["parent"] == "Shared"  # children follow

    deleted = client.delete(f"{API}/Line2")  # real clients delete without confirm and succeed
    assert deleted.status_code == 200 and deleted.json()["changes"] == [{"name": "Line2"}]
    assert "Line2" not in gw.state.projects
    again = client.delete(f"{API}/Line2", params={"confirm": "true"})
    assert again.status_code == 404 and again.json()["success"] is False
    assert "not found" in again.json()["problem"]["message"]


def test_missing_project_errors_use_the_result_envelope(client: httpx.Client) -> None:
    """Issue 17 item 1: copy, rename and delete of a missing project answer 404 with the envelope."""
    for response in (
        client.post(f"{API}/copy", json={"fromName": "Ghost", "toName": "Other"}),
        client.post(f"{API}/rename/Ghost", json={"name": "Other"}),
        client.delete(f"{API}/Ghost"),
    ):
        assert response.status_code == 404, response.request.url
        body = response.json()
        assert body["success"] is False and body["changes"] == []
        assert body["problem"]["message"] == "Project 'Ghost' not found"


def test_unchanged_put_is_304_and_create_needs_json(client: httpx.Client) -> None:
    assert client.put(f"{API}/Demo", json={"title": "Demo v2"}).status_code == 200
    unchanged = client.put(f"{API}/Demo", json={"title": "Demo v2"})
    assert unchanged.status_code == 304 and unchanged.content == b""
    as_form = client.post(API, content=b"name=Line9", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert as_form.status_code == 415
    assert client.get(f"{API}/find/Line9").status_code == 404


def test_delete_on_a_redundant_backup_is_503(make_gw) -> None:
    from igtk_tui.simulator.testing import client as sim_client

    backup = make_gw(redundancy_role="Backup")
    headers = {"X-Ignition-API-Token": backup.api_token, "Accept": "application/json"}
    with sim_client(backup.url, headers=headers) as c:
        refused = c.delete(f"{API}/Demo")
    assert refused.status_code == 503 and "backup" in refused.json()["message"]
    assert "Demo" in backup.state.projects


def test_export_then_import(client: httpx.Client, gw: SimulatedGateway) -> None:
    export = client.get(f"{API}/export/Demo")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    assert 'filename="Demo.zip"' in export.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        names = archive.namelist()
        assert "project.json" in names
        assert json.loads(archive.read("project.json"))["parent"] == "Global"
        assert any(n.startswith("com.inductiveautomation.perspective/views/") for n in names)

    imported = client.post(f"{API}/import/DemoCopy", content=export.content, headers=ZIP)
    assert imported.status_code == 200 and imported.json()["changes"] == [{"name": "DemoCopy"}]
    assert gw.state.projects["DemoCopy"].resources == gw.state.projects["Demo"].resources

    conflict = client.post(f"{API}/import/Demo", content=export.content, headers=ZIP)
    assert conflict.status_code == 409 and conflict.json()["success"] is False
    overwrite = client.post(
        f"{API}/import/Demo", params={"overwrite": "true"}, content=export.content, headers=ZIP
    )
    assert overwrite.status_code == 200

    assert client.post(f"{API}/import/Bad", content=b"not a zip", headers=ZIP).status_code == 400
    for wrong in ("application/json", "application/octet-stream", ""):
        wrong_type = client.post(f"{API}/import/Bad", content=export.content, headers={"Content-Type": wrong})
        assert wrong_type.status_code == 415, wrong  # real 8.3 takes only application/zip
    assert client.get(f"{API}/export/Nope").status_code == 404


def test_parents(client: httpx.Client) -> None:
    parents = client.get(f"{API}/parents").json()
    assert [p["name"] for p in parents["items"]] == ["Global"]
    assert client.get(f"{API}/parents/Demo").json() == ["Global"]
    assert client.get(f"{API}/parents/Global").json() == []  # not itself
