"""Dependencies point inward: the domain and the crypto import no database or web framework, and
the ledger never imports the publisher."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
            if node.module.startswith("ledger."):
                found.add(node.module)
    return found


def test_domain_and_crypto_are_pure() -> None:
    forbidden = {"sqlalchemy", "eventsourcing", "eventsourcing_sqlalchemy", "starlette", "uvicorn",
                 "publisher", "psycopg", "typer", "mkdocs"}
    for package in ("ledger/domain", "ledger/crypto"):
        for path in (ROOT / package).glob("*.py"):
            bad = imports(path) & forbidden
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
    for module in ("ledger/signing.py", "ledger/acceptance.py"):
        assert not imports(ROOT / module) & forbidden, module


def test_ledger_never_imports_publisher() -> None:
    for path in (ROOT / "ledger").rglob("*.py"):
        assert "publisher" not in imports(path), path.relative_to(ROOT)
