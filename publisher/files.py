"""Writing the site: a file is rewritten only when its bytes change, so a re-publish touches
only what changed (static hosts and rsync see the real difference)."""

from __future__ import annotations

import os
from pathlib import Path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Writes ``data`` to ``path`` unless the file already holds exactly it; True if written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    # beside it, then renamed over it: a reader of the served site (or a check polling it) sees
    # the old file or the new one, never half of one
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return True


__all__ = ["write_if_changed"]
