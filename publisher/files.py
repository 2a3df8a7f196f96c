"""Writing the site: a file is rewritten only when its bytes change, so a re-publish touches
only what changed (static hosts and rsync see the real difference)."""

from __future__ import annotations

from pathlib import Path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Writes ``data`` to ``path`` unless the file already holds exactly it; True if written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


__all__ = ["write_if_changed"]
