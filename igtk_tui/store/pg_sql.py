"""The store's SQL, as written for SQLite, made to run on PostgreSQL unchanged.

Why a translator and not a second copy of the SQL: every transaction of the
store is one plain function over a DB-API-like connection, and both backends
run the same functions (docs/architecture.md). The differences that matter are
few and mechanical, so they are handled once here, for the store's SQL and for
the migrations other modules append:

- `?` placeholders become `%s` (and a literal `%` becomes `%%`).
- The bare identifier `user` (a column of `executions`) is quoted: in
  PostgreSQL an unquoted `user` is CURRENT_USER, silently.
- `LIKE` becomes `ILIKE`: SQLite's LIKE ignores ASCII case by default.
- DDL column types: REAL becomes DOUBLE PRECISION (PostgreSQL's REAL is 4
  bytes and would round Unix timestamps to minutes), INTEGER becomes BIGINT
  (SQLite integers are 64-bit), BLOB becomes BYTEA, and TEXT columns get
  COLLATE "C", so ordering and range scans compare bytes as SQLite's default
  BINARY collation does (keyset paging and id-prefix lookups depend on it).

Not translated, and refused by PostgreSQL with a syntax error: `INSERT OR
REPLACE/IGNORE` (write `ON CONFLICT`), PRAGMA, rowid, GLOB and SQLite's
date and JSON functions. CONTRIBUTING.md lists the portable subset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_TYPES = {
    "REAL": "DOUBLE PRECISION", "FLOAT": "DOUBLE PRECISION", "DOUBLE": "DOUBLE PRECISION",
    "INTEGER": "BIGINT", "INT": "BIGINT", "BLOB": "BYTEA", "TEXT": 'TEXT COLLATE "C"',
}
_CONSTRAINTS = {"PRIMARY", "FOREIGN", "UNIQUE", "CHECK", "CONSTRAINT"}
_RESERVED = {"user"}  # reserved in PostgreSQL, a plain column name in SQLite
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\b", re.I)
_ADD_COLUMN = re.compile(r"^(\s*ALTER\s+TABLE\s+\S+\s+ADD\s+(?:COLUMN\s+)?)(.*)$", re.I | re.S)


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite-flavoured statement -> PostgreSQL statement (cached: the store reuses its strings)."""
    return _tokens(_ddl(sql))


def _tokens(sql: str) -> str:
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'" or ch == '"':
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # doubled quote inside
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        elif ch.isalpha() or ch == "_":
            match = _IDENT.match(sql, i)
            assert match is not None
            word = match.group(0)
            prev = sql[i - 1] if i else ""
            after = sql[match.end():match.end() + 1]
            if word.lower() in _RESERVED and prev != "." and after != "(":
                out.append(f'"{word.lower()}"')
            elif word.upper() == "LIKE":
                out.append("ILIKE")
            else:
                out.append(word)
            i = match.end()
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _ddl(sql: str) -> str:
    if _CREATE_TABLE.match(sql):
        start = sql.find("(")
        end = _closing(sql, start) if start >= 0 else -1
        if end < 0:
            return sql
        body = ",".join(_column(part) for part in _split_top(sql[start + 1:end]))
        return sql[:start + 1] + body + sql[end:]
    match = _ADD_COLUMN.match(sql)
    if match and not match.group(2).lstrip().upper().startswith(tuple(_CONSTRAINTS)):
        return match.group(1) + _column(match.group(2))
    return sql


def _closing(sql: str, start: int) -> int:
    depth = 0
    for pos in range(start, len(sql)):
        if sql[pos] == "(":
            depth += 1
        elif sql[pos] == ")":
            depth -= 1
            if depth == 0:
                return pos
    return -1


def _split_top(body: str) -> list[str]:
    parts, depth, last = [], 0, 0
    for pos, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[last:pos])
            last = pos + 1
    parts.append(body[last:])
    return parts


def _column(definition: str) -> str:
    """`name TYPE rest` with the type mapped; table constraints unchanged."""
    match = re.match(r"(\s*)(\"[^\"]+\"|[A-Za-z_][A-Za-z0-9_]*)(\s*)([A-Za-z]*)(.*)$", definition, re.S)
    if not match or match.group(2).upper() in _CONSTRAINTS:
        return definition
    lead, name, space, kind, rest = match.groups()
    mapped = _TYPES.get(kind.upper())
    if not kind:  # SQLite allows a column without a type; PostgreSQL does not
        mapped, space = "TEXT", " "
    elif mapped is None:
        mapped = kind
    if name.lower() in _RESERVED:
        name = f'"{name.lower()}"'
    if rest.lstrip().upper().startswith("PRECISION"):  # already DOUBLE PRECISION
        rest = rest.lstrip()[len("PRECISION"):]
    return f"{lead}{name}{space}{mapped}{rest}"


class Row(Sequence[Any]):
    """A result row read like sqlite3.Row: by position, by column name, unpacked, `keys()`."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self._values == other._values
        return isinstance(other, tuple) and self._values == other

    def __hash__(self) -> int:
        return hash(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"Row{self._values!r}"


def row_factory(cursor: Any) -> Any:
    """psycopg row factory producing Row objects (one name index per result set)."""
    description = cursor.description or ()
    index = {column.name: pos for pos, column in enumerate(description)}

    def make(values: Sequence[Any]) -> Row:
        return Row(values, index)

    return make


class PgConnection:
    """What the store's transaction functions see on PostgreSQL: `execute`, `executemany`,
    cursors with `fetchone`/`fetchall`/`rowcount`/iteration, rows as `Row`."""

    __slots__ = ("raw",)

    dialect = "postgresql"

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        return self.raw.execute(translate(sql), _params(parameters))

    def executemany(self, sql: str, seq_of_parameters: Any) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), [_params(p) for p in seq_of_parameters])
        return cursor


def _params(parameters: Any) -> Any:
    """Always a sequence (never None): then psycopg reads `%%` as a literal `%`."""
    if parameters is None:
        return ()
    return parameters
