"""Dependencies point inward: the domain and the crypto import no database or web framework, and
the ledger never imports the publisher (but for the command line, which ships with it)."""

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


def modules(path: Path) -> set[str]:
    """Every module ``path`` imports, by its full dotted name (``from a.b import c``: ``a.b`` and
    ``a.b.c``, since ``c`` may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
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


# The command line ships with the publisher: it adds `sunlight publish` to itself, and the demo
# builds the demo's portal. Nothing else in the ledger may import the publisher.
WIRES_THE_PUBLISHER = {"ledger/cli/__init__.py", "ledger/cli/demo.py"}


def test_ledger_never_imports_publisher() -> None:
    found = {str(path.relative_to(ROOT)) for path in (ROOT / "ledger").rglob("*.py")
             if "publisher" in imports(path)}
    assert found == WIRES_THE_PUBLISHER


def test_the_publisher_imports_no_command_line_and_no_demo() -> None:
    """The publisher has its own options (``publisher/cli.py``) and builds any community's portal;
    the demo's portal is the demo command's business."""
    for path in (ROOT / "publisher").rglob("*.py"):
        found = {m for m in modules(path) if m.split(".")[:2] in (["ledger", "cli"], ["ledger", "demo"])}
        assert not found, (path.relative_to(ROOT), found)


def test_the_project_loads_its_own_modules_plainly() -> None:
    """No entry-point groups and no import-if-present for Sunlight's own modules."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "entry-points" not in project, project.get("entry-points")
    for package in ("ledger", "publisher"):
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert "entry_points" not in source and "import_module" not in source, path.relative_to(ROOT)


# Every place outside the demo that turns a seed into a key, and where that seed comes from. Each
# seed here was drawn from the OS's CSPRNG when the key was made (``os.urandom``) and is read back
# from a key file or the database: none is derived from anything public.
SEED_LOADERS = {
    ("ledger/crypto/note.py", "Signer.from_private_key_string"),  # a key file's PRIVATE+KEY line
    ("ledger/logkeys.py", "LogKey.signer"),  # LogKey.generate (os.urandom) or a log key file
    ("ledger/application.py", "Sunlight._state"),  # a log key the operator keeps in the database
    ("ledger/application.py", "_info"),  # the same, for the verifier key of a log from before
    ("ledger/tlog/witness.py", "witness_key_string"),  # generate_witness_key: os.urandom
    ("ledger/tlog/witness.py", "parse_witness_key"),  # a witness key file
    ("ledger/api/server.py", "settings_from_env"),  # SUNLIGHT_WITNESS_SEED_FILE
}
SEEDED_KEYS = {"from_seed"}  # Signer, CosignatureSigner and MemberKey all build keys this way


def seed_uses(path: Path) -> list[tuple[str, ast.Call]]:
    """Every ``….from_seed(…)`` call in ``path``, with the qualified name of its function."""
    found: list[tuple[str, ast.Call]] = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, [*scope, child.name])
                continue
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr in SEEDED_KEYS):
                found.append((".".join(scope), child))
            visit(child, scope)

    visit(ast.parse(path.read_text(encoding="utf-8")), [])
    return found


def test_only_the_demo_derives_keys_from_fixed_seeds() -> None:
    """A key derived from a public or deterministic seed is a key anyone can compute. Only the
    demo (which says so wherever it prints) may do it; everything else that builds a key from a
    seed is a loader of a random seed, listed above with where the seed comes from."""
    sites: set[tuple[str, str]] = set()
    for package in ("ledger", "publisher"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            source = path.read_text(encoding="utf-8")
            if rel == "ledger/demo.py":
                continue
            assert "demo_seed" not in source and "sunlight-demo/" not in source, rel
            for scope, call in seed_uses(path):
                sites.add((rel, scope))
                for arg in call.args:  # never a literal, a hash of one, or a counter
                    assert not any(isinstance(n, ast.Constant) and isinstance(n.value, bytes)
                                   for n in ast.walk(arg)), (rel, scope, ast.unparse(call))
                    assert "hashlib" not in ast.unparse(arg) and "sha256" not in ast.unparse(arg), (
                        rel, scope, ast.unparse(call))
    assert not sites - SEED_LOADERS, f"a key built from a seed outside the demo: {sites - SEED_LOADERS}"
    assert not SEED_LOADERS - sites, f"no longer there: {SEED_LOADERS - sites}"
    demo = ROOT / "ledger" / "demo.py"
    assert {scope for scope, _ in seed_uses(demo)}, "the demo derives its keys from seeds"
    assert "NOTICE" in (ROOT / "ledger" / "cli" / "demo.py").read_text(encoding="utf-8")


def test_new_keys_come_from_the_operating_system() -> None:
    from ledger.logkeys import LogKey
    from ledger.signing import MemberKey

    assert LogKey.generate("a.example/x").seed != LogKey.generate("a.example/x").seed
    assert MemberKey.generate().public_b64 != MemberKey.generate().public_b64


def test_one_replay_decodes_log_entries() -> None:
    """Stored entries become signed statements in one place (``ledger/replay.py``): the ledger's
    state, the API's read model, the publisher and the auditor all call it."""
    decoders = set()
    for package in ("ledger", "publisher"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Attribute) and node.attr == "decode"
                        and isinstance(node.value, ast.Name) and node.value.id == "Entry"):
                    decoders.add(str(path.relative_to(ROOT)))
    assert decoders == {"ledger/replay.py"}


def test_one_tile_reader() -> None:
    """Tiles are built from the database in one place (``ledger/tlog/export.read_tile``): the
    export writes what the service serves."""
    builders = set()
    for package in ("ledger", "publisher"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in {"encode_hash_tile", "encode_entry_bundle"}):
                    builders.add(str(path.relative_to(ROOT)))
    assert builders == {"ledger/tlog/export.py"}
