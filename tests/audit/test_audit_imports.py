"""The auditor imports no storage: anyone can verify a published log with the published files and
the log's public key, without the ledger's database stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.layers import imported_modules

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "ledger" / "audit"
STORAGE = ("sqlalchemy", "eventsourcing", "eventsourcing_sqlalchemy", "psycopg", "sqlite3",
           "ledger.store", "ledger.application", "ledger.api", "ledger.cli", "ledger.tlog",
           "publisher")


def _is_storage(module: str) -> bool:
    return any(module == s or module.startswith(s + ".") for s in STORAGE)


def _source(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return path / "__init__.py" if (path / "__init__.py").is_file() else None


def test_no_module_the_auditor_reaches_imports_storage() -> None:
    """A static scan, transitive through the project's own modules."""
    todo = [f"ledger.audit.{p.stem}" for p in AUDIT.glob("*.py") if p.stem != "__init__"]
    assert {"ledger.audit.verify", "ledger.audit.source", "ledger.audit.spill",
            "ledger.audit.sigworker", "ledger.audit.report"} <= set(todo)
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _source(module)
        if path is None:
            continue
        for imported in imported_modules(path):
            assert not _is_storage(imported), f"{module} imports {imported}"
            if imported.startswith("ledger."):
                todo.append(imported)
    assert "ledger.replay" in seen and "ledger.acceptance" in seen


def test_importing_the_auditor_loads_no_storage() -> None:
    """What is really loaded, in a fresh interpreter."""
    code = ("import sys\n"
            "import ledger.audit.verify, ledger.audit.source, ledger.audit.spill, "
            "ledger.audit.sigworker, ledger.audit.report\n"
            f"print('\\n'.join(m for m in sys.modules if any(m == s or m.startswith(s + '.') "
            f"for s in {STORAGE!r})))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == []
