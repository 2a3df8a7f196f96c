"""ledger.crypto imports no database, web framework or publisher code."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "errors",
    "merkle",
    "note",
    "checkpoint",
    "cosignature",
    "tiles",
    "proof_file",
    "witness_protocol",
]


def test_crypto_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        + "".join(f"import ledger.crypto.{m}\n" for m in MODULES)
        + "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'starlette', 'psycopg', 'eventsourcing', 'publisher', 'uvicorn'}]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
