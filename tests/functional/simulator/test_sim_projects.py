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
    assert client.post(f"{API}/copy", json={"fromName": "Line1", "toName": "Line2"}).status_code == 409
    assert client.post(f"{API}/copy", json={"fromName": "Nope", "toName": "Line3"}).status_code == 404
    assert client.get(f"{API}/find/Line2").json()["title"] == "Line One"

    renamed = client.post(f"{API}/rename/Global", json={"name": "Shared"})
    assert renamed.status_code == 200
    assert client.get(f"{API}/find/Line1").json()["parent"] == "Shared"  # children follow

    assert client.delete(f"{API}/Line2").status_code == 400  # confirm=true is required
    assert client.delete(f"{API}/Line2", params={"confirm": "true"}).status_code == 200
    assert "Line2" not in gw.state.projects
    assert client.delete(f"{API}/Line2", params={"confirm": "true"}).status_code == 404


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
    wrong_type = client.post(
        f"{API}/import/Bad", content=export.content, headers={"Content-Type": "application/json"}
    )
    assert wrong_type.status_code == 415
    assert client.get(f"{API}/export/Nope").status_code == 404


def test_parents(client: httpx.Client) -> None:
    parents = client.get(f"{API}/parents").json()
    assert [p["name"] for p in parents["items"]] == ["Global"]
    assert client.get(f"{API}/parents/Demo").json() == ["Global"]
    assert client.get(f"{API}/parents/Global").json() == []  # not itself
