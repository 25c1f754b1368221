"""`igtk migrate`: move `{{ ... }}` references out of utility.python script source.

The earlier toolkit pasted reference values into the script text before running
it (`folder = r\"\"\"{{ parameter.folder }}\"\"\"`): code injection, and broken by
quotes or backslashes in a value. The safe form hands values to the script as
data: the step gains `params: {folder: "{{ parameter.folder }}"}` and the
script reads `params["folder"]`.

Rewrites, per reference in a script:

- the whole content of a string literal (`'{{ x }}'`, `r\"\"\"{{ x }}\"\"\"`): the
  literal becomes an expression giving exactly the text that used to be pasted
  (`params["x"]` for text parameters, `str(params["n"])` for other types);
- inside a larger string literal: a parenthesised concatenation of the literal's
  pieces and that expression (no f-string);
- bare in code (`count = {{ parameter.count }}`) for a number, boolean, list or
  dict parameter: `params["count"]`;
- in a comment: the comment names `params["x"]`.

Anything else (f-strings, bytes, implicit literal concatenation, a bare text
value that the old toolkit evaluated as code, a backslash before the reference)
is left in place and reported with its file:line:col. Only the script and the
step's `params` are edited, by their positions in the YAML text, so comments
and formatting elsewhere are kept; the result is validated before it is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from igtk_tui.errors import IgtkError
from igtk_tui.playbook.loader import load_text
from igtk_tui.playbook.model import Location, Playbook
from igtk_tui.playbook.refs import has_refs
from igtk_tui.playbook.script_refs import rewrite_script
from igtk_tui.textfile import backup_path, write_text_atomic


@dataclass(frozen=True)
class Note:
    location: Location
    step: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: step {self.step!r}: {self.message}"


@dataclass
class Migration:
    path: Path | None
    original: str
    text: str
    moved: list[Note] = field(default_factory=list)
    left: list[Note] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return self.text != self.original


# -- the YAML edit ----------------------------------------------------------------------------
def _mapping_get(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _step_nodes(root: yaml.Node) -> list[yaml.MappingNode]:
    out: list[yaml.MappingNode] = []

    def walk_list(node: yaml.Node | None) -> None:
        if not isinstance(node, yaml.SequenceNode):
            return
        for item in node.value:
            if isinstance(item, yaml.MappingNode):
                out.append(item)
                rb = _mapping_get(item, "on_rollback")
                walk_list(rb[1] if rb else None)

    if isinstance(root, yaml.MappingNode):
        for key in ("steps", "on_rollback"):
            found = _mapping_get(root, key)
            walk_list(found[1] if found else None)
    return out


def _block_scalar(text: str, indent: int) -> str | None:
    """`|` block text for `text` at `indent` spaces, or None when a block cannot carry it."""
    if not text or text[0] in " \t" or "\r" in text or any(ord(c) < 32 and c not in "\n\t" for c in text):
        return None
    if text.endswith("\n\n"):
        return None  # "keep" chomping: leave it to a quoted scalar
    if text.endswith("\n"):
        chomp = ""
    else:
        chomp = "-"
    body = text[:-1] if text.endswith("\n") else text
    pad = " " * indent
    lines = [(pad + line) if line else "" for line in body.split("\n")]
    return f"|{chomp}\n" + "\n".join(lines)


def _flow_value(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _location(file: str, node: yaml.Node, script_source: str, offset: int) -> Location:
    """Where `offset` of a script lies in the file (exact for `|` blocks, else the value's start)."""
    start = node.start_mark
    if getattr(node, "style", None) == "|":
        lines = script_source.splitlines()
        line_no = script_source.count("\n", 0, offset)
        col = offset - (script_source.rfind("\n", 0, offset) + 1)
        # Indentation of the block's content as written in the file.
        indent = _block_indent(node)
        if line_no < len(lines) + 1:
            return Location(file, start.line + 2 + line_no, indent + col + 1)
    return Location(file, start.line + 1, start.column + 1)


def _block_indent(node: yaml.Node) -> int:
    buffer = node.start_mark.buffer or ""
    # First non-empty line after the indicator line.
    i = buffer.find("\n", node.start_mark.index)
    while 0 <= i < len(buffer):
        j = buffer.find("\n", i + 1)
        line = buffer[i + 1: j if j >= 0 else len(buffer)]
        if line.strip():
            return len(line) - len(line.lstrip(" "))
        if j < 0:
            break
        i = j
    return node.start_mark.column + 2


def migrate_text(text: str, *, path: str | Path | None = None) -> Migration:
    """Plan and apply the rewrite to YAML text; raises PlaybookError if the text does not load."""
    file = str(path) if path else "<playbook>"
    playbook = load_text(text, path=path)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    migration = Migration(Path(path) if path else None, text, text)
    if root is None:  # an empty document (load_text has refused it already): nothing to rewrite
        return migration
    edits: list[tuple[int, int, str]] = []
    expected: dict[str, tuple[str, dict[str, str]]] = {}
    for step_node in _step_nodes(root):
        planned = _plan_step(text, file, playbook, step_node, migration)
        if planned is not None:
            step_id, script, params, step_edits = planned
            expected[step_id] = (script, params)
            edits += step_edits
    new = text
    for s, e, replacement in sorted(edits, key=lambda x: (x[0], x[1]), reverse=True):
        new = new[:s] + replacement + new[e:]
    if new != text:
        _check_read_back(new, path, expected)
    migration.text = new
    return migration


def _plan_step(text: str, file: str, playbook: Playbook, step_node: yaml.MappingNode,
               migration: Migration) -> tuple[str, str, dict[str, str], list[tuple[int, int, str]]] | None:
    """The edits that move one utility.python step's references into its params:
    (step id, new script, params added, edits), or None when it has nothing to move."""
    t = _mapping_get(step_node, "type")
    if not t or not isinstance(t[1], yaml.ScalarNode) or t[1].value != "utility.python":
        return None
    id_node = _mapping_get(step_node, "id")
    step_id = id_node[1].value if id_node and isinstance(id_node[1], yaml.ScalarNode) else "?"
    params_pair = _mapping_get(step_node, "parameters")
    pnode = params_pair[1] if params_pair else None
    if not isinstance(pnode, yaml.MappingNode):
        return None
    script_pair = _mapping_get(pnode, "script")
    if not script_pair:
        return None
    s_key, s_val = script_pair
    if not isinstance(s_val, yaml.ScalarNode) or not has_refs(s_val.value):
        return None
    script = s_val.value
    existing_pair = _mapping_get(pnode, "params")
    existing: dict[str, Any] = {}
    if existing_pair:
        model_step = _find_step(playbook, step_id)
        loaded = model_step.parameters.get("params") if model_step is not None else None
        if not isinstance(loaded, dict):
            migration.left.append(Note(Location(file, existing_pair[1].start_mark.line + 1,
                                                existing_pair[1].start_mark.column + 1), step_id,
                                       "left the script in place: its `params` is not a mapping"))
            return None
        existing = loaded
    res = rewrite_script(script, playbook, existing)
    for offset, message in res.left:
        migration.left.append(Note(_location(file, s_val, script, offset), step_id, message))
    if not res.moved:
        return None
    for offset, message in res.moved:
        migration.moved.append(Note(_location(file, s_val, script, offset), step_id, message))
    migration.steps.append(step_id)
    flow = bool(pnode.flow_style)
    # The script value.
    block = None if flow else _block_scalar(res.script, _block_indent(s_val) if s_val.style == "|"
                                            else s_key.start_mark.column + 2)
    if block is not None and s_val.style in ("|", ">"):
        # A block scalar's span ends with its line break and any blank lines after it: keep them.
        trail = re.search(r"\n(?:[ \t]*\n)*\Z", text[s_val.start_mark.index:s_val.end_mark.index])
        block += trail.group(0) if trail else ""
    edits = [(s_val.start_mark.index, s_val.end_mark.index, block if block is not None else _flow_value(res.script))]
    edits += _params_edits(text, s_key, existing_pair, existing, res.params, flow)
    return step_id, res.script, res.params, edits


def _params_edits(text: str, s_key: yaml.Node, existing_pair: tuple[yaml.Node, yaml.Node] | None,
                  existing: dict[str, Any], added_params: dict[str, str], flow: bool) -> list[tuple[int, int, str]]:
    """The edit that gives the step's `params` the new keys, in the style it is written in."""
    merged = {**existing, **added_params}
    flow_params = "{" + ", ".join(f"{_flow_key(k)}: {_flow_yaml(v)}" for k, v in merged.items()) + "}"
    if existing_pair:
        node = existing_pair[1]
        if flow or not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
            return [(node.start_mark.index, node.end_mark.index, flow_params)]
        # A block mapping: keep what is written (comments too) and add the new keys after it.
        added = {k: v for k, v in added_params.items() if k not in existing}
        if not added:
            return []
        first_key = node.value[0][0]
        last_end = node.value[-1][1].end_mark.index
        at = last_end if text[last_end - 1] == "\n" else text.find("\n", last_end) + 1 or len(text)
        lines = "".join(f"{' ' * first_key.start_mark.column}{_flow_key(k)}: {_flow_yaml(v)}\n"
                        for k, v in added.items())
        return [(at, at, lines if text[at - 1:at] == "\n" or at == 0 else "\n" + lines)]
    if flow:
        return [(s_key.start_mark.index, s_key.start_mark.index, f"params: {flow_params}, ")]
    col = s_key.start_mark.column
    line_start = s_key.start_mark.index - col
    if text[line_start:s_key.start_mark.index].strip():
        # `script:` shares its line with other text (e.g. `- parameters: {...}` forms): insert inline.
        return [(s_key.start_mark.index, s_key.start_mark.index, f"params: {flow_params}\n{' ' * col}")]
    rows = [f"{' ' * col}params:"] + [f"{' ' * (col + 2)}{_flow_key(k)}: {_flow_yaml(v)}" for k, v in merged.items()]
    return [(line_start, line_start, "\n".join(rows) + "\n")]


def _check_read_back(new: str, path: str | Path | None, expected: dict[str, tuple[str, dict[str, str]]]) -> None:
    """The edited text loads (PlaybookError if not) and each rewritten step reads back as planned."""
    migrated = load_text(new, path=path)
    for step_id, (script, params) in expected.items():
        step = _find_step(migrated, step_id)
        got_params = step.parameters.get("params") or {} if step else {}
        if step is None or step.parameters.get("script") != script or any(
                got_params.get(k) != v for k, v in params.items()):
            raise IgtkError(f"igtk migrate: the rewritten step {step_id!r} does not read back as planned; "
                            "the file was not changed (please report this)")


def _find_step(playbook: Playbook, step_id: str) -> Any:
    def walk(steps: tuple[Any, ...]) -> Any:
        for s in steps:
            if s.id == step_id:
                return s
            found = walk(s.on_rollback)
            if found:
                return found
        return None

    return walk(playbook.steps) or walk(playbook.on_rollback)


def _flow_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][\w-]*", key) else json.dumps(key)


def _flow_yaml(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return yaml.safe_dump(value, default_flow_style=True, width=10**9).strip().removesuffix("\n...").strip()


def migrate_file(path: str | Path, *, write: bool = True, now: datetime | None = None) -> Migration:
    """Migrate one file in place (keeping a backup) when anything moved; raises PlaybookError if invalid."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    migration = migrate_text(text, path=path)
    if write and migration.changed:
        backup = write_text_atomic(backup_path(path, now.timestamp() if now else None), text)
        write_text_atomic(path, migration.text)
        migration.backup = backup
    return migration
