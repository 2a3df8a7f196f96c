"""The command line sits on top: no module outside ``ledger/cli`` imports it, at any depth of its
code (lazy imports inside functions too), so the service, the publisher and the auditor work
without it and a command-line change cannot break them."""

from __future__ import annotations

from pathlib import Path

from tests.layers import imported_modules

ROOT = Path(__file__).resolve().parents[1]


def test_nothing_outside_the_command_line_imports_it() -> None:
    sources = [p for package in ("ledger", "publisher") for p in (ROOT / package).rglob("*.py")]
    assert len(sources) > 50  # the walk found the code
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path)
                                            if m == "ledger.cli" or m.startswith("ledger.cli."))
        for path in sources if (ROOT / "ledger" / "cli") not in path.parents}
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_check_sees_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ledger.cli.root import app\n    return app\n",
                      encoding="utf-8")
    assert "ledger.cli.root" in imported_modules(module)
