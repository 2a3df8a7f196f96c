"""Published attachments: the log holds only an attachment's name and SHA-256; the files the
committee chose to publish are given in a folder, and each is copied into the site only when its
content hashes to a SHA-256 that the log records. A file whose hash is recorded nowhere is not
published; a recorded attachment without its file is shown as not published."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from publisher.records import Record

FILES = "files"  # under the site root
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def recorded(records: Iterable[Record]) -> dict[str, str]:
    """SHA-256 (hex) -> the name of the first attachment recorded with it."""
    out: dict[str, str] = {}
    for r in records:
        for a in r.raw.get("attachments") or ():
            out.setdefault(a["sha256"], a["name"])
    return out


def site_path(sha256: str, name: str) -> str:
    """Where a published attachment sits, relative to the site root: named by its hash (a
    recorded name is free text and never becomes a path), with the name's extension."""
    ext = _EXTENSION.search(name)
    return f"{FILES}/{sha256}{ext.group().lower() if ext else ''}"


def publish_attachments(folder: Path | None, records: Iterable[Record], out_dir: Path
                        ) -> dict[str, str]:
    """Copies every file of ``folder`` whose SHA-256 the log records into ``out_dir``;
    returns SHA-256 -> its path in the site, for the published ones."""
    wanted = recorded(records)
    published: dict[str, str] = {}
    if folder is None:
        return published
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in wanted or digest in published:
            continue
        target = site_path(digest, wanted[digest])
        (out_dir / target).parent.mkdir(parents=True, exist_ok=True)
        if not (out_dir / target).exists():
            shutil.copyfile(path, out_dir / target)
        published[digest] = target
    return published
