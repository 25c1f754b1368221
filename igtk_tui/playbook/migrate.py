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

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from igtk_tui.playbook.loader import load_text
from igtk_tui.playbook.model import Location, ParamType, Playbook
from igtk_tui.playbook.refs import REF_RE, Ref, has_refs, parse_refs
from igtk_tui.textfile import backup_path

TEXT_TYPES = (ParamType.STRING, ParamType.FILE, ParamType.CREDENTIAL)
CODE_TYPES = (ParamType.INTEGER, ParamType.FLOAT, ParamType.BOOLEAN, ParamType.LIST, ParamType.DICT)
_SENTINEL = "IGTKMIGRATE{}SENTINEL"
_OPENERS = ("(", "[", "{", ",", "=", ":", "return")
_CLOSERS = (")", "]", "}", ",", ":")


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


# -- the script rewrite ----------------------------------------------------------------------
@dataclass
class _ScriptResult:
    script: str
    params: dict[str, str]  # key -> reference text, for the step's `params`
    moved: list[tuple[int, str]]  # (offset in script, message)
    left: list[tuple[int, str]]


def _key_for(ref: Ref, taken: dict[str, str]) -> str:
    """A params key for `ref`: its last name, made unique among the keys in use."""
    canonical = "{{ " + ".".join((ref.root, *ref.rest)) + " }}"
    for key, text in taken.items():
        if _canonical(text) == canonical:
            return key
    base = re.sub(r"\W", "_", ref.rest[-1] if ref.rest else ref.root) or "value"
    candidates = [base, "_".join((ref.root, *ref.rest))]
    candidates = [re.sub(r"\W", "_", c) for c in candidates]
    for candidate in candidates:
        if candidate not in taken:
            taken[candidate] = canonical
            return candidate
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    taken[f"{base}_{n}"] = canonical
    return f"{base}_{n}"


def _canonical(text: str) -> str:
    refs = parse_refs(text)
    if len(refs) != 1 or refs[0].text != text.strip():
        return text
    r = refs[0]
    return "{{ " + ".".join((r.root, *r.rest)) + " }}"


class _Rewriter:
    def __init__(self, playbook: Playbook, existing: dict[str, Any]) -> None:
        self.playbook = playbook
        self.taken: dict[str, str] = {k: str(v) for k, v in existing.items() if isinstance(v, str)}
        for k in existing:
            self.taken.setdefault(k, "\x00not-a-reference")
        self.used: dict[str, str] = {}

    def param_type(self, ref: Ref) -> tuple[ParamType | None, bool]:
        """(declared type, may be None) of what `ref` reads; (None, True) when unknown."""
        if ref.root == "parameter" and ref.rest:
            p = self.playbook.parameter(ref.rest[0])
            if p is None:
                return None, True
            if p.type == ParamType.CREDENTIAL and len(ref.rest) > 1:
                return ParamType.STRING, False  # a credential field is text
            if len(ref.rest) > 1:
                return None, True
            return p.type, not (p.required or p.has_default)
        if ref.root == "credential" and len(ref.rest) > 1:
            return ParamType.STRING, False
        return None, True

    def key(self, ref: Ref) -> str:
        key = _key_for(ref, self.taken)
        self.used[key] = self.taken[key]
        return key

    def text_expr(self, ref: Ref) -> str:
        """An expression equal to the text the old toolkit pasted for `ref`."""
        ptype, maybe_none = self.param_type(ref)
        k = f"params[{json.dumps(self.key(ref))}]"
        if ptype in TEXT_TYPES:
            return f"({k} or '')" if maybe_none else k
        if ptype is not None and not maybe_none:
            return f"str({k})"
        if ref.root != "parameter":
            # A step output or variable: the earlier toolkit refused None values outright.
            return f"str({k})"
        return f"('' if {k} is None else str({k}))"

    def code_expr(self, ref: Ref) -> str | None:
        """An expression for a bare reference in code, or None when that would change meaning."""
        ptype, _ = self.param_type(ref)
        if ptype in CODE_TYPES:
            return f"params[{json.dumps(self.key(ref))}]"
        return None


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def rewrite_script(script: str, playbook: Playbook, existing_params: dict[str, Any]) -> _ScriptResult:
    """Rewrite one script; references that cannot be moved safely are left and reported."""
    rw = _Rewriter(playbook, existing_params)
    refs = [(m.start(), m.end(), m.group(0)) for m in REF_RE.finditer(script) if parse_refs(m.group(0))]
    result = _ScriptResult(script, {}, [], [])
    if not refs:
        return result
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(script).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        result.left = [(s, f"left {t} in place: the script cannot be tokenized ({exc})") for s, _, t in refs]
        return result
    starts = _line_offsets(script)

    def off(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    spans = [(off(t.start), off(t.end), t) for t in tokens]
    significant = [i for i, (_, _, t) in enumerate(spans)
                   if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]
    edits: list[tuple[int, int, str]] = []
    handled: set[int] = set()
    for r_start, r_end, r_text in refs:
        if r_start in handled:
            continue
        ref = parse_refs(r_text)[0]
        index = next((i for i, (s, e, _) in enumerate(spans) if s <= r_start < e), None)
        tok = spans[index][2] if index is not None else None
        if tok is not None and tok.type == tokenize.STRING:
            s, e, _ = spans[index]  # type: ignore[index]
            inside = [(a, b, t) for a, b, t in refs if s <= a < e]
            handled.update(a for a, _, _ in inside)
            pos = significant.index(index) if index in significant else -1
            prev = spans[significant[pos - 1]][2] if pos > 0 else None
            nxt = spans[significant[pos + 1]][2] if 0 <= pos < len(significant) - 1 else None
            # Parentheses are needed unless the literal stands alone between separators.
            alone = (prev is None or prev.string in _OPENERS or prev.type in (tokenize.NEWLINE, tokenize.INDENT)) and (
                nxt is None or nxt.string in _CLOSERS or nxt.type in (tokenize.NEWLINE, tokenize.ENDMARKER))
            replacement, problem = _rewrite_string(
                script[s:e], [(a - s, b - s, t) for a, b, t in inside], rw,
                adjacent_string=any(n is not None and n.type == tokenize.STRING for n in (prev, nxt)), alone=alone)
            if problem:
                result.left.extend((a, f"left {t} in place: {problem}") for a, _, t in inside)
                continue
            edits.append((s, e, replacement))
            result.moved.extend((a, f"moved {t} into params") for a, _, t in inside)
        elif tok is not None and tok.type == tokenize.COMMENT:
            edits.append((r_start, r_end, f"params[{json.dumps(rw.key(ref))}]"))
            result.moved.append((r_start, f"moved {r_text} (in a comment) into params"))
        else:
            before = script[r_start - 1] if r_start else " "
            after = script[r_end] if r_end < len(script) else " "
            if before.isalnum() or before in "_.'\"\\" or after.isalnum() or after in "_'\"":
                result.left.append((r_start, f"left {r_text} in place: it is glued to other code"))
                continue
            expr = rw.code_expr(ref)
            if expr is None:
                result.left.append((r_start, f"left {r_text} in place: the old toolkit evaluated its text as "
                                             "Python code; rewrite it by hand (read params[...] and convert)"))
                continue
            edits.append((r_start, r_end, expr))
            result.moved.append((r_start, f"moved {r_text} into params"))
    new = script
    for s, e, text in sorted(edits, reverse=True):
        new = new[:s] + text + new[e:]

    def compiles(source: str) -> str | None:
        # References still left in place stand for a value (the engine pastes them).
        try:
            compile(REF_RE.sub(lambda m: "None" if parse_refs(m.group(0)) else m.group(0), source),
                    "<utility.python>", "exec")
        except (SyntaxError, ValueError) as exc:
            return getattr(exc, "msg", str(exc))
        return None

    if edits and compiles(new) is not None:
        why = ("the script does not compile as written" if compiles(script) is not None
               else f"the rewritten script would not compile ({compiles(new)})")
        result.left = [(s, f"left {t} in place: {why}") for s, _, t in refs]
        result.moved = []
        return result
    result.script = new
    result.params = {k: rw.used[k] for k in rw.used}
    return result


def _rewrite_string(token: str, refs: list[tuple[int, int, str]], rw: _Rewriter,
                    *, adjacent_string: bool, alone: bool = False) -> tuple[str, str | None]:
    """Replace a string literal holding references; returns (replacement, problem)."""
    m = re.match(r"(?i)([rbuf]*)('''|\"\"\"|'|\")", token)
    if not m:
        return token, "not a plain string literal"
    prefix, quote = m.group(1), m.group(2)
    if "f" in prefix.lower():
        return token, "it is inside an f-string"
    if "b" in prefix.lower():
        return token, "it is inside a bytes literal"
    if adjacent_string:
        return token, "the string is joined to another literal next to it"
    body_start, body_end = len(prefix) + len(quote), len(token) - len(quote)
    for a, _, _ in refs:
        if a > body_start and token[a - 1] == "\\" and "r" not in prefix.lower():
            return token, "a backslash escape runs into it"
    if len(refs) == 1 and refs[0][0] == body_start and refs[0][1] == body_end:
        return rw.text_expr(parse_refs(refs[0][2])[0]), None
    # Pieces: evaluate the literal with sentinels where the references were.
    sentinel_src = token
    for n, (a, b, _) in reversed(list(enumerate(refs))):
        sentinel_src = sentinel_src[:a] + _SENTINEL.format(n) + sentinel_src[b:]
    try:
        value = ast.literal_eval(sentinel_src)
    except (ValueError, SyntaxError):
        return token, "the string literal cannot be read"
    if not isinstance(value, str):
        return token, "not a text literal"
    pieces = re.split("|".join(_SENTINEL.format(n) for n in range(len(refs))), value)
    if len(pieces) != len(refs) + 1:
        return token, "the string literal cannot be split safely"
    raw_pieces = []
    cursor = body_start
    for a, b, _ in refs:
        raw_pieces.append(token[cursor:a])
        cursor = b
    raw_pieces.append(token[cursor:body_end])
    parts: list[str] = []
    for n, piece in enumerate(pieces):
        if piece:
            same_style = f"{prefix}{quote}{raw_pieces[n]}{quote}"
            try:
                ok = ast.literal_eval(same_style) == piece
            except (ValueError, SyntaxError):
                ok = False
            parts.append(same_style if ok else repr(piece))
        if n < len(refs):
            parts.append(rw.text_expr(parse_refs(refs[n][2])[0]))
    joined = " + ".join(parts)
    return (joined if alone or len(parts) == 1 else f"({joined})"), None


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
        t = _mapping_get(step_node, "type")
        if not t or not isinstance(t[1], yaml.ScalarNode) or t[1].value != "utility.python":
            continue
        id_node = _mapping_get(step_node, "id")
        step_id = id_node[1].value if id_node and isinstance(id_node[1], yaml.ScalarNode) else "?"
        params_pair = _mapping_get(step_node, "parameters")
        pnode = params_pair[1] if params_pair else None
        if not isinstance(pnode, yaml.MappingNode):
            continue
        script_pair = _mapping_get(pnode, "script")
        if not script_pair:
            continue
        s_key, s_val = script_pair
        if not isinstance(s_val, yaml.ScalarNode):
            continue
        script = s_val.value
        if not has_refs(script):
            continue
        existing_pair = _mapping_get(pnode, "params")
        existing: dict[str, Any] = {}
        if existing_pair:
            model_step = _find_step(playbook, step_id)
            loaded = model_step.parameters.get("params") if model_step is not None else None
            if not isinstance(loaded, dict):
                migration.left.append(Note(Location(file, existing_pair[1].start_mark.line + 1,
                                                    existing_pair[1].start_mark.column + 1), step_id,
                                           "left the script in place: its `params` is not a mapping"))
                continue
            existing = loaded
        res = rewrite_script(script, playbook, existing)
        for offset, message in res.left:
            migration.left.append(Note(_location(file, s_val, script, offset), step_id, message))
        if not res.moved:
            continue
        for offset, message in res.moved:
            migration.moved.append(Note(_location(file, s_val, script, offset), step_id, message))
        migration.steps.append(step_id)
        merged = {**existing, **res.params}
        expected[step_id] = (res.script, res.params)
        flow = bool(pnode.flow_style)
        # The script value.
        block = None if flow else _block_scalar(res.script, _block_indent(s_val) if s_val.style == "|"
                                                else s_key.start_mark.column + 2)
        if block is not None and s_val.style in ("|", ">"):
            # A block scalar's span ends with its line break and any blank lines after it: keep them.
            trail = re.search(r"\n(?:[ \t]*\n)*\Z", text[s_val.start_mark.index:s_val.end_mark.index])
            block += trail.group(0) if trail else ""
        edits.append((s_val.start_mark.index, s_val.end_mark.index,
                      block if block is not None else _flow_value(res.script)))
        # The params mapping.
        flow_params = "{" + ", ".join(f"{_flow_key(k)}: {_flow_yaml(v)}" for k, v in merged.items()) + "}"
        existing_node = existing_pair[1] if existing_pair else None
        if existing_pair and (flow or not isinstance(existing_node, yaml.MappingNode) or existing_node.flow_style
                              or not existing_node.value):
            edits.append((existing_pair[1].start_mark.index, existing_pair[1].end_mark.index, flow_params))
        elif existing_pair:
            # A block mapping: keep what is written (comments too) and add the new keys after it.
            added = {k: v for k, v in res.params.items() if k not in existing}
            if added:
                first_key = existing_pair[1].value[0][0]
                last_end = existing_pair[1].value[-1][1].end_mark.index
                at = last_end if text[last_end - 1] == "\n" else text.find("\n", last_end) + 1 or len(text)
                lines = "".join(f"{' ' * first_key.start_mark.column}{_flow_key(k)}: {_flow_yaml(v)}\n"
                                for k, v in added.items())
                edits.append((at, at, lines if text[at - 1:at] == "\n" or at == 0 else "\n" + lines))
        elif flow:
            edits.append((s_key.start_mark.index, s_key.start_mark.index, f"params: {flow_params}, "))
        else:
            col = s_key.start_mark.column
            line_start = s_key.start_mark.index - col
            if text[line_start:s_key.start_mark.index].strip():
                # `script:` shares its line with other text (e.g. `- parameters: {...}` forms): insert inline.
                edits.append((s_key.start_mark.index, s_key.start_mark.index,
                              f"params: {flow_params}\n{' ' * col}"))
            else:
                rows = [f"{' ' * col}params:"] + [f"{' ' * (col + 2)}{_flow_key(k)}: {_flow_yaml(v)}"
                                                  for k, v in merged.items()]
                edits.append((line_start, line_start, "\n".join(rows) + "\n"))
    new = text
    for s, e, replacement in sorted(edits, key=lambda x: (x[0], x[1]), reverse=True):
        new = new[:s] + replacement + new[e:]
    if new != text:
        migrated = load_text(new, path=path)  # raises PlaybookError if the edit broke the file
        for step_id, (script, params) in expected.items():
            step = _find_step(migrated, step_id)
            got_params = step.parameters.get("params") or {} if step else {}
            if step is None or step.parameters.get("script") != script or any(
                    got_params.get(k) != v for k, v in params.items()):
                raise RuntimeError(f"igtk migrate: the rewritten step {step_id!r} does not read back as planned; "
                                   "the file was not changed (please report this)")
    migration.text = new
    return migration


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
        backup = backup_path(path, now.timestamp() if now else None)
        backup.write_text(text, encoding="utf-8")
        tmp = path.with_name(path.name + ".igtk-migrate.tmp")
        tmp.write_text(migration.text, encoding="utf-8")
        tmp.replace(path)
        migration.backup = backup
    return migration
