"""Shared helpers for the ledger.crypto tests.

tests/ has no __init__.py, so pytest puts this directory on sys.path (rootdir-relative
"prepend" import mode): test modules import ``reference_tree`` directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load_vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))
