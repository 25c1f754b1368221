"""8.3 REST: `/data/api/v1/projects/**` (ignition-gateway.md §2.6).

Mutations answer the `{"success","changes","problem"}` envelope; conflicts are
409 with `success:false` and a problem message.
"""

from __future__ import annotations

from igtk_tui.simulator.errors import HttpError, Unprocessable
from igtk_tui.simulator.listing import envelope, filter_items, result
from igtk_tui.simulator.projects import NAME_RE, apply_fields, export_zip, project_item, read_project_zip
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.state import GatewayState, Project

ZIP_TYPES = (
    "",
    "application/zip",
    "application/octet-stream",
    "application/x-zip-compressed",
    "application/x-zip",
)


def _get(state: GatewayState, name: str) -> Project:
    project = state.projects.get(name)
    if project is None:
        raise HttpError(404, f"Project '{name}' not found")
    return project


def _required_name(data: dict[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable(f"Unable to read required property '{key}'")
    return value.strip()


def _check_new_name(state: GatewayState, name: str) -> Response | None:
    if not NAME_RE.match(name):
        return result([], 400, f"Invalid project name '{name}': use letters, digits, '_' and '-'")
    if name in state.projects:
        return result([], 409, f"Project '{name}' already exists")
    return None


def _list(req: Request) -> Response:
    return envelope(req, [project_item(req.state, p) for p in req.state.projects.values()])


def _names(req: Request) -> Response:
    return Response.json(filter_items(req, list(req.state.projects)))


def _find(req: Request) -> Response:
    return Response.json(project_item(req.state, _get(req.state, req.params["name"])))


def _create(req: Request) -> Response:
    data = req.json_object()
    name = _required_name(data, "name")
    problem = _check_new_name(req.state, name)
    if problem:
        return problem
    project = Project(name)
    apply_fields(project, data)
    if project.parent and project.parent not in req.state.projects:
        return result([], 400, f"Parent project '{project.parent}' does not exist")
    req.state.projects[name] = project
    return result([{"name": name}])


def _modify(req: Request) -> Response:
    project = _get(req.state, req.params["name"])
    data = req.json_object()
    apply_fields(project, data)
    return result([{"name": project.name}])


def _delete(req: Request) -> Response:
    if not req.flag("confirm"):
        raise HttpError(400, "Deleting a project requires confirm=true")
    name = _get(req.state, req.params["name"]).name
    del req.state.projects[name]
    return result([{"name": name}])


def _copy(req: Request) -> Response:
    data = req.json_object()
    source, target = _required_name(data, "fromName"), _required_name(data, "toName")
    original = _get(req.state, source)
    problem = _check_new_name(req.state, target)
    if problem:
        return problem
    copy = Project(**{**original.__dict__, "name": target, "resources": dict(original.resources)})
    req.state.projects[target] = copy
    return result([{"name": target}])


def _rename(req: Request) -> Response:
    old = _get(req.state, req.params["name"]).name
    new = _required_name(req.json_object(), "name")
    problem = _check_new_name(req.state, new)
    if problem:
        return problem
    project = req.state.projects.pop(old)
    project.name = new
    req.state.projects[new] = project
    for other in req.state.projects.values():
        if other.parent == old:
            other.parent = new
    return result([{"name": new}])


def _export(req: Request) -> Response:
    project = _get(req.state, req.params["name"])
    return Response.download(export_zip(project), f"{project.name}.zip", "application/zip")


def _import(req: Request) -> Response:
    name = req.params["name"]
    if req.content_type not in ZIP_TYPES:
        raise HttpError(415, f"Unsupported Media Type: {req.content_type}")
    if not NAME_RE.match(name):
        return result([], 400, f"Invalid project name '{name}'")
    try:
        project = read_project_zip(name, req.body)
    except ValueError as exc:
        return result([], 400, f"Invalid project export: {exc}")
    if name in req.state.projects and not req.flag("overwrite"):
        return result([], 409, f"Project '{name}' already exists; use overwrite=true")
    req.state.projects[name] = project
    return result([{"name": name}])


def _descendants(state: GatewayState, name: str) -> set[str]:
    found: set[str] = set()
    frontier = {name}
    while frontier:
        frontier = {p.name for p in state.projects.values() if p.parent in frontier} - found
        found |= frontier
    return found


def _parents(req: Request) -> Response:
    items = [project_item(req.state, p) for p in req.state.projects.values() if p.inheritable]
    return envelope(req, items)


def _parents_for(req: Request) -> Response:
    """Names of valid parents for one project: inheritable, not itself, not a descendant."""
    name = _get(req.state, req.params["name"]).name
    excluded = _descendants(req.state, name) | {name}
    names = [p.name for p in req.state.projects.values() if p.inheritable and p.name not in excluded]
    return Response.json(filter_items(req, names))


def register(router: Router) -> None:
    api = router.group("/data/api/v1/projects", auth="token", versions=ONLY_83)
    api.get("/list", _list)
    api.get("/names", _names)
    api.get("/find/{name}", _find)
    api.post("/", _create)
    api.put("/{name}", _modify)
    api.delete("/{name}", _delete)
    api.post("/copy", _copy)
    api.post("/rename/{name}", _rename)
    api.get("/export/{name}", _export)
    api.post("/import/{name}", _import)
    api.get("/parents", _parents)
    api.get("/parents/{name}", _parents_for)
