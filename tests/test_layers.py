"""The command line sits on top: no module outside ``ledger/cli`` imports it, at any depth of its
code (lazy imports inside functions too), so the service, the publisher and the auditor work
without it and a command-line change cannot break them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_nothing_outside_the_command_line_imports_it() -> None:
    sources = [p for package in ("ledger", "publisher") for p in (ROOT / package).rglob("*.py")]
    assert len(sources) > 50  # the walk found the code
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imported(path)
                                            if m == "ledger.cli" or m.startswith("ledger.cli."))
        for path in sources if (ROOT / "ledger" / "cli") not in path.parents}
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ledger.cli.root import app\n    return app\n",
                      encoding="utf-8")
    assert "ledger.cli.root" in _imported(module)
