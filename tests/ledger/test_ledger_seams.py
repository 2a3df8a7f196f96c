"""One of each: no function written twice, one default database URL, one default rate."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for package in ("ledger", "publisher") for p in (ROOT / package).rglob("*.py"))

# The same body in two places, each kept for a reason.
TWICE = {
    frozenset({"ledger/crypto/cosignature.py:CosignatureSigner.from_seed",
               "ledger/crypto/note.py:Signer.from_seed"}),  # each builds its own signer class
    frozenset({"ledger/domain/state.py:local_day", "ledger/domain/state.py:_day"}),  # _day is cached
}


def _functions(path: Path) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((".".join([*scope, child.name]), child))
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])

    visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


def test_no_function_is_written_twice() -> None:
    """Two functions with the same arguments and the same body (docstrings aside) are one
    function written twice: keep one and import it (``fmt_yuan`` and ``checkpoint_size`` were)."""
    bodies: dict[str, set[str]] = {}
    for path in SOURCES:
        for name, node in _functions(path):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]
            module = ast.Module(body=body, type_ignores=[])
            if sum(1 for _ in ast.walk(module)) < 12:  # `return x`, `pass`: too small to matter
                continue
            bodies.setdefault(ast.dump(node.args) + ast.dump(module), set()).add(
                f"{path.relative_to(ROOT)}:{name}")
    twice = {frozenset(names) for names in bodies.values() if len(names) > 1}
    assert twice <= TWICE, twice - TWICE


def test_the_default_database_url_is_written_once() -> None:
    found = [str(p.relative_to(ROOT)) for p in SOURCES for _ in re.finditer(
        r"sqlite:///sunlight\.db", p.read_text(encoding="utf-8"))]
    assert found == ["ledger/store/__init__.py"]


def test_the_default_rates_are_written_once() -> None:
    from ledger.api.app import Settings
    from ledger.api.limits import RATE_PER_ADDRESS, RATE_PER_KEY
    from ledger.api.server import ServeOptions, settings_from_env

    found = [f"{p.relative_to(ROOT)}: {name}" for p in SOURCES for name in _rate_literals(p)]
    assert found == ["ledger/api/limits.py: RATE_PER_ADDRESS", "ledger/api/limits.py: RATE_PER_KEY"]
    options = ServeOptions(db="sqlite://").environment()  # `sunlight serve` without the flags
    assert "SUNLIGHT_RATE_PER_ADDRESS" not in options and "SUNLIGHT_RATE_PER_KEY" not in options
    settings = settings_from_env({})
    assert (settings.rate_per_address, settings.rate_per_key) == (RATE_PER_ADDRESS, RATE_PER_KEY)
    assert (Settings().rate_per_address, Settings().rate_per_key) == (RATE_PER_ADDRESS, RATE_PER_KEY)


def _rate_literals(path: Path) -> list[str]:
    """Every rate written as a number: ``rate_per_… = 50``, a ``rate_per_…`` argument defaulting to
    a number, ``env.get("SUNLIGHT_RATE_PER_…", "50")``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        pairs: list[tuple[ast.AST, ast.AST | None]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t, node.value) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(node.target, node.value)]
        elif isinstance(node, ast.FunctionDef):
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + [
                *node.args.defaults, *node.args.kw_defaults]
            pairs = [(ast.Name(a.arg), d) for a, d in zip(args, defaults, strict=True)]
        elif (isinstance(node, ast.Call) and len(node.args) == 2
              and isinstance(node.args[0], ast.Constant) and "RATE" in str(node.args[0].value)):
            pairs = [(ast.Name(str(node.args[0].value)), node.args[1])]
        for target, value in pairs:
            name = target.id if isinstance(target, ast.Name) else ast.unparse(target)
            literal = isinstance(value, ast.Constant) and (
                isinstance(value.value, int | float) or str(value.value).isdigit())
            if "rate_per" in name.lower() and literal:
                found.append(name)
    return found


# Module names used more than once, and why. A new one needs a reason here (and in the module's
# docstring); otherwise rename it.
SHARED_NAMES = {
    "errors.py": "one error hierarchy per package (ledger.crypto, ledger.domain)",
    "demo.py": "ledger/cli/ modules are named after their command: `sunlight demo` runs ledger/demo.py",
    "member.py": ("ledger/cli/ modules are named after their command: `sunlight member` records "
                  "ledger/domain/member.py's kinds"),
    "founding.py": "ledger/api/founding.py is the HTTP edge of ledger/founding.py",
    "witness.py": ("ledger/api/witness.py is the HTTP edge of ledger/tlog/witness.py, which keeps its "
                   "state through ledger/store/witness.py"),
    "records.py": "the API's /records resources (ledger/api) and the portal's reading of the log (publisher)",
    "readmodel.py": "the service's read model (ledger/api) and the portal's (publisher): each serves its readers",
    "proposals.py": ("ledger/api/proposals.py is the HTTP edge and ledger/cli/proposals.py the commands "
                     "(`sunlight proposals`) of ledger/proposals.py"),
}


def test_no_two_modules_share_a_name_without_a_reason() -> None:
    names: dict[str, list[str]] = {}
    for path in SOURCES:
        if path.name != "__init__.py":
            names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in names.items() if len(paths) > 1}
    assert set(shared) == set(SHARED_NAMES), {n: shared.get(n) for n in set(shared) ^ set(SHARED_NAMES)}
