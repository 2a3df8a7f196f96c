"""Where the verifier reads a published log from: an exported directory or an HTTP(S) prefix.

Both read one resource at a time (``checkpoint``, ``tile/...``), so nothing is held beyond the
tile being checked.
"""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

TIMEOUT = 60.0


class SourceError(Exception):
    """The source could not be read at all (not a missing file: an I/O or network failure)."""


class LogSource(Protocol):
    def describe(self) -> str: ...

    def read(self, path: str) -> bytes | None:
        """The resource's bytes, or None if it does not exist."""
        ...


class DirectorySource:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a directory")
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def read(self, path: str) -> bytes | None:
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SourceError(f"cannot read {self.root / path}: {exc}") from None


class HttpSource:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.rstrip("/") + "/"

    def describe(self) -> str:
        return self.prefix

    def read(self, path: str) -> bytes | None:
        request = urllib.request.Request(self.prefix + path, headers={
            "Accept-Encoding": "gzip, identity", "User-Agent": "sunlight-verify"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                data = bytes(response.read())
                if response.headers.get("Content-Encoding", "").lower() == "gzip":
                    data = gzip.decompress(data)
                return data
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return None
            raise SourceError(f"GET {self.prefix + path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, EOFError) as exc:
            raise SourceError(f"GET {self.prefix + path}: {exc}") from None


def open_source(target: str) -> LogSource:
    if target.startswith(("http://", "https://")):
        return HttpSource(target)
    return DirectorySource(Path(target))
