"""8.3 REST: `/data/api/v1/projects/**` (sources: docs/simulator.md; issue 17 item 1).

Mutations answer the `{"success","changes","problem"}` envelope, errors
included: a missing project is 404 with `success:false` and a problem
(copy, rename, delete, modify); conflicts are 409. What real 8.3 clients
and a Terraform provider's acceptance tests against 8.3.2 show: DELETE needs
no `confirm`; create takes only `application/json` and import only
`application/zip` (415 otherwise); an unchanged PUT and a failed copy answer
304 (no body); a delete on a redundant node that is not the master is 503.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from igtk_tui.simulator.errors import HttpError, Unprocessable
from igtk_tui.simulator.listing import envelope, filter_items, result
from igtk_tui.simulator.projects import NAME_RE, apply_fields, export_zip, project_item, read_project_zip
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.state import GatewayState, Project


class _Missing(Exception):
    """A project that does not exist: the 404 result envelope."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.response = result([], 404, f"Project '{name}' not found")


def _get(state: GatewayState, name: str) -> Project:
    project = state.projects.get(name)
    if project is None:
        raise _Missing(name)
    return project


def _enveloped(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Missing projects answer the 404 envelope, not Jetty's error page."""

    @functools.wraps(handler)
    def wrapper(req: Request) -> Response:
        try:
            return handler(req)
        except _Missing as missing:
            return missing.response

    return wrapper


def _require_type(req: Request, wanted: str) -> None:
    if req.content_type != wanted:
        raise HttpError(415, f"Unsupported Media Type: {req.content_type or '(none)'}; expected {wanted}")


def _not_modified() -> Response:
    return Response(304)


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


def _lookup(req: Request) -> Project:
    """For reads (find, export, parents): a missing project is Jetty's plain 404."""
    project = req.state.projects.get(req.params["name"])
    if project is None:
        raise HttpError(404, f"Project '{req.params['name']}' not found")
    return project


def _find(req: Request) -> Response:
    return Response.json(project_item(req.state, _lookup(req)))


def _create(req: Request) -> Response:
    _require_type(req, "application/json")
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
    before = project_item(req.state, project)
    apply_fields(project, data)
    if project_item(req.state, project) == before:
        return _not_modified()
    return result([{"name": project.name}])


def _delete(req: Request) -> Response:
    # `confirm` is accepted and ignored: real clients delete without it (issue 17 item 1).
    name = _get(req.state, req.params["name"]).name
    if req.config.redundancy_role == "Backup":
        raise HttpError(503, "Projects cannot be deleted on a redundant backup node; use the master")
    del req.state.projects[name]
    return result([{"name": name}])


def _copy(req: Request) -> Response:
    data = req.json_object()
    source, target = _required_name(data, "fromName"), _required_name(data, "toName")
    original = _get(req.state, source)
    if target in req.state.projects or not NAME_RE.match(target):
        return _not_modified()  # a copy that cannot be made changes nothing: 304
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
    project = _lookup(req)
    return Response.download(export_zip(project), f"{project.name}.zip", "application/zip")


def _import(req: Request) -> Response:
    name = req.params["name"]
    _require_type(req, "application/zip")
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
    name = _lookup(req).name
    excluded = _descendants(req.state, name) | {name}
    names = [p.name for p in req.state.projects.values() if p.inheritable and p.name not in excluded]
    return Response.json(filter_items(req, names))


def register(router: Router) -> None:
    api = router.group("/data/api/v1/projects", auth="token", versions=ONLY_83)
    api.get("/list", _list)
    api.get("/names", _names)
    api.get("/find/{name}", _find)
    api.post("/", _create)
    api.put("/{name}", _enveloped(_modify))
    api.delete("/{name}", _enveloped(_delete))
    api.post("/copy", _enveloped(_copy))
    api.post("/rename/{name}", _enveloped(_rename))
    api.get("/export/{name}", _export)
    api.post("/import/{name}", _import)
    api.get("/parents", _parents)
    api.get("/parents/{name}", _parents_for)
