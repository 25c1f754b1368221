"""The SQLite-flavoured SQL of the store, translated for PostgreSQL (pure text, no server)."""

from __future__ import annotations

import pytest

from igtk_tui.store.pg_sql import Row, translate


@pytest.mark.parametrize("sql, expected", [
    ("SELECT id FROM executions WHERE id = ? AND status IN (?, ?)",
     "SELECT id FROM executions WHERE id = %s AND status IN (%s, %s)"),
    ("SELECT COUNT(*) FROM executions WHERE id LIKE 'big%' AND x = '?'",
     "SELECT COUNT(*) FROM executions WHERE id ILIKE 'big%%' AND x = '?'"),
    ("SELECT host, user, e.user, upper(x) AS user_name FROM executions e",
     'SELECT host, "user", e.user, upper(x) AS user_name FROM executions e'),
    ("SELECT 'it''s ? here' -- a % comment ?\nFROM t WHERE a = ?",
     "SELECT 'it''s ? here' -- a %% comment ?\nFROM t WHERE a = %s"),
    ('SELECT "user" FROM t', 'SELECT "user" FROM t'),
])
def test_statements(sql: str, expected: str) -> None:
    assert translate(sql) == expected


def test_create_table_types_collation_and_reserved_names() -> None:
    out = translate("""
    CREATE TABLE executions (
        id TEXT PRIMARY KEY,
        user TEXT,
        started_at REAL NOT NULL,
        owner_pid INTEGER,
        blob BLOB,
        loose,
        price DOUBLE PRECISION,
        PRIMARY KEY (id, user),
        FOREIGN KEY (id) REFERENCES other(id) ON DELETE CASCADE
    )""")
    assert 'id TEXT COLLATE "C" PRIMARY KEY' in out
    assert '"user" TEXT COLLATE "C"' in out
    assert "started_at DOUBLE PRECISION NOT NULL" in out and "owner_pid BIGINT" in out
    assert "blob BYTEA" in out and "loose TEXT" in out and "price DOUBLE PRECISION," in out
    assert 'PRIMARY KEY (id, "user")' in out and "REFERENCES other(id) ON DELETE CASCADE" in out


def test_a_column_named_like_its_type_and_alter_table() -> None:
    assert 'text TEXT COLLATE "C" NOT NULL' in translate("CREATE TABLE s (hash TEXT PRIMARY KEY, text TEXT NOT NULL)")
    assert translate("ALTER TABLE executions ADD COLUMN finished REAL") == \
        "ALTER TABLE executions ADD COLUMN finished DOUBLE PRECISION"
    assert translate("ALTER TABLE t ADD COLUMN note TEXT DEFAULT '50%'") == \
        "ALTER TABLE t ADD COLUMN note TEXT COLLATE \"C\" DEFAULT '50%%'"
    assert translate("CREATE INDEX e_started ON executions(started_at, id)") == \
        "CREATE INDEX e_started ON executions(started_at, id)"


def test_rows_read_like_sqlite_rows() -> None:
    row = Row(("a", 2), {"id": 0, "n": 1})
    assert row["id"] == "a" and row[1] == 2 and tuple(row) == ("a", 2) and row.keys() == ["id", "n"]
    execution_id, n = row
    assert (execution_id, n) == ("a", 2) and row == ("a", 2) and len(row) == 2 and row[:1] == ("a",)
