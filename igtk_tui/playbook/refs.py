"""`{{ ... }}` references: parsing, static checks and resolution.

Forms (docs/playbook-format.md): `{{ parameter.x }}`, bare `{{ x }}`, `{{ variable.x }}`,
`{{ credential.NAME }}` / `{{ credential.NAME.field }}`,
`{{ parameter.CRED.field }}` for credential-typed parameters, and
`{{ step.ID.key }}` (deeper keys and list indexes go further into outputs).
A value that is exactly one reference keeps the referenced value's type.
Any other `{{ ... }}` (a CSS rule in an HTML string, template text) is not a
reference and stays literal text, as in the earlier toolkit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from igtk_tui.errors import InvalidInput

REF_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PATH_RE = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+)*$")
ROOTS = ("parameter", "variable", "credential", "step")


class UnresolvedReference(InvalidInput):
    """A reference that cannot be resolved; the message says which and why."""


@dataclass(frozen=True)
class Ref:
    text: str  # the whole `{{ ... }}` as written
    path: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.path[0] if self.path[0] in ROOTS else "parameter"

    @property
    def rest(self) -> tuple[str, ...]:
        return self.path[1:] if self.path[0] in ROOTS else self.path

    def __str__(self) -> str:
        return ".".join(self.path)


def parse_refs(text: str) -> list[Ref]:
    """Every reference in `text` (other `{{ ... }}` text is literal)."""
    if "{{" not in text:
        return []
    return list(_parse_cached(text)[0])


def literal_braces(text: str) -> list[str]:
    """The `{{ ... }}` pieces of `text` that are not references and stay as written."""
    if "{{" not in text:
        return []
    return list(_parse_cached(text)[1])


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> tuple[tuple[Ref, ...], tuple[str, ...]]:
    # Step parameters are parsed again on every run of a step: texts are immutable, so cache.
    refs, literal = [], []
    for m in REF_RE.finditer(text):
        inner = m.group(1)
        if PATH_RE.match(inner):
            refs.append(Ref(m.group(0), tuple(inner.split("."))))
        else:
            literal.append(m.group(0))
    return tuple(refs), tuple(literal)


def has_refs(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value and bool(parse_refs(value))
    if isinstance(value, dict):
        return any(has_refs(v) for v in value.values())
    if isinstance(value, list):
        return any(has_refs(v) for v in value)
    return False


def iter_refs(value: Any) -> list[Ref]:
    if isinstance(value, str):
        return parse_refs(value)
    if isinstance(value, dict):
        return [r for v in value.values() for r in iter_refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in iter_refs(v)]
    return []


Lookup = Callable[[Ref], Any]


def resolve(value: Any, lookup: Lookup) -> Any:
    """Resolve references recursively through dicts and lists."""
    if isinstance(value, str):
        return _resolve_text(value, lookup)
    if isinstance(value, dict):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lookup) for v in value]
    return value


def _resolve_text(text: str, lookup: Lookup) -> Any:
    refs = parse_refs(text)
    if not refs:
        return text
    if len(refs) == 1 and refs[0].text == text.strip():
        return lookup(refs[0])
    out = text
    for ref in refs:
        out = out.replace(ref.text, to_text(lookup(ref)), 1)
    return out


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if hasattr(value, "reference_text"):
        return str(value.reference_text())
    return str(value)


def dig(value: Any, keys: tuple[str, ...], what: str) -> Any:
    """Walk `keys` into nested dicts/lists/objects with a clear error on a miss."""
    current = value
    walked = []
    for key in keys:
        walked.append(key)
        if isinstance(current, Mapping):
            if key not in current:
                known = ", ".join(sorted(map(str, current))) or "none"
                raise UnresolvedReference(f"{what}.{'.'.join(walked)} does not exist (available: {known})")
            current = current[key]
        elif isinstance(current, (list, tuple)) and key.isdigit():
            idx = int(key)
            if idx >= len(current):
                raise UnresolvedReference(f"{what}.{'.'.join(walked)}: index out of range ({len(current)} items)")
            current = current[idx]
        elif hasattr(current, "field"):
            try:
                current = current.field(key)
            except KeyError as exc:
                raise UnresolvedReference(f"{what}.{'.'.join(walked)}: {exc.args[0] if exc.args else exc}") from None
        else:
            raise UnresolvedReference(f"{what}.{'.'.join(walked[:-1])} has no field {key!r}")
    return current
