"""One storage boundary: only ``ledger/store`` knows SQL, SQLAlchemy or the database driver.

The application, the log tools, the service and the publisher call the store's methods; a new
table is added in ``ledger/store/tables.py`` and queried in ``ledger/store/store.py``, nowhere
else.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "ledger" / "store"

DATABASE_MODULES = {"sqlalchemy", "eventsourcing_sqlalchemy", "psycopg", "psycopg2", "sqlite3"}
# What only a caller holding a connection or a table would touch.
DATABASE_ATTRIBUTES = {"engine", "exec_driver_sql", "events_record_cls", "__table__", "datastore"}
SQL = [
    re.compile(r"\bSELECT\s+\S"),
    re.compile(r"\b(PRAGMA|VACUUM|NOTIFY)\b"),
    re.compile(r"\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|INDEX)|ALTER\s+TABLE"
               r"|DROP\s+TABLE|LOCK\s+TABLE|UNION\s+ALL)\b", re.IGNORECASE),
]


def problems(source: str) -> list[str]:
    """What in ``source`` belongs in the store: database imports, connection attributes, SQL
    text in any string (docstrings too: a query described is a query to move)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names
                      if a.name.split(".")[0] in DATABASE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in DATABASE_MODULES:
                found.append(f"imports {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr in DATABASE_ATTRIBUTES:
            found.append(f"uses .{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"SQL {m.group(0)!r} (line {node.lineno})"
                      for pattern in SQL for m in [pattern.search(node.value)] if m]
    return found


def test_no_module_but_the_store_holds_sql() -> None:
    offenders: dict[str, list[str]] = {}
    for package in ("ledger", "publisher"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if STORE in path.parents:
                continue
            found = problems(path.read_text(encoding="utf-8"))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, offenders


def test_every_table_is_declared_in_one_module() -> None:
    """A new table is added in ``ledger/store/tables.py`` (and only the store imports SQLAlchemy,
    so no module elsewhere can declare one)."""
    declaring = {path.name for path in STORE.glob("*.py")
                 if re.search(r"\bTable\(", path.read_text(encoding="utf-8"))}
    assert declaring == {"tables.py"}


def test_the_check_finds_what_the_modules_held_before_the_store() -> None:
    """Snippets of what ``application.py``, ``api/ops.py``, ``tlog/cosignatures.py`` and
    ``api/readmodel.py`` held before: each is found."""
    for snippet in [
        "from sqlalchemy import delete, exists, func, insert, select, update",
        "import sqlalchemy.exc",
        "from sqlalchemy.dialects.sqlite import insert as sqlite_insert",
        'conn.execute(text("SELECT 1"))',
        'sql = f"INSERT INTO {tree_table.name} (community_id, level, idx, hash) VALUES (?, ?, ?, ?)"',
        'sql = " UNION ALL ".join(q for q, _ in group)',
        'busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()',
        'conn.exec_driver_sql(f"VACUUM FULL {name}")',
        "with app.engine.begin() as conn: pass",
        "table = ledger.recorder.events_record_cls.__table__",
    ]:
        assert problems(snippet), snippet
    # and leaves prose and other things alone
    assert not problems('"""Select the records from the log, update the tree, delete nothing."""\n'
                        'params.text(request, "kind")\nstore.update = 1\n')
