"""Make the test-only helpers in this directory (``reference_tree``) importable.

tests/ has no ``__init__.py``; pytest's default import mode already puts this directory on
``sys.path``, and this keeps it so under ``--import-mode=importlib`` too.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
