"""Rewriting one utility.python script so that its `{{ ... }}` references become data
(`params["x"]`) instead of pasted text: the script half of `igtk migrate` (the YAML half,
which edits the file, is igtk_tui.playbook.migrate; the rules are in its docstring)."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass
from typing import Any

from igtk_tui.playbook.model import ParamType, Playbook
from igtk_tui.playbook.refs import REF_RE, Ref, parse_refs

TEXT_TYPES = (ParamType.STRING, ParamType.FILE, ParamType.CREDENTIAL)
CODE_TYPES = (ParamType.INTEGER, ParamType.FLOAT, ParamType.BOOLEAN, ParamType.LIST, ParamType.DICT)
_SENTINEL = "IGTKMIGRATE{}SENTINEL"
_OPENERS = ("(", "[", "{", ",", "=", ":", "return")
_CLOSERS = (")", "]", "}", ",", ":")


@dataclass
class ScriptRewrite:
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


def rewrite_script(script: str, playbook: Playbook, existing_params: dict[str, Any]) -> ScriptRewrite:
    """Rewrite one script; references that cannot be moved safely are left and reported."""
    rw = _Rewriter(playbook, existing_params)
    refs = [(m.start(), m.end(), m.group(0)) for m in REF_RE.finditer(script) if parse_refs(m.group(0))]
    result = ScriptRewrite(script, {}, [], [])
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
        if index is not None and tok is not None and tok.type == tokenize.STRING:
            s, e, _ = spans[index]
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
