"""Where the verifier reads a published log from: an exported directory or an HTTP(S) prefix.

The verifier reads one resource at a time (``checkpoint``, ``tile/...``) and tells the source
which ones it will want next (:meth:`LogSource.prefetch`). A directory ignores the hint; an HTTP
source fetches a bounded number of them in background threads, so a log published on a distant
server is not verified at one round trip per tile -- and nothing is held beyond that window. Its
connections are kept alive and reused (``httpx``): a whole log costs a handful of TLS handshakes,
not one per tile.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx  # imported when an HTTP source first reads: a directory needs none of it

TIMEOUT = 60.0
READ_AHEAD = 8  # concurrent background fetches of an HTTP source (and twice that many held)
_FADVISE = hasattr(os, "posix_fadvise")
_MAX_HINTED = 64  # paths a directory source remembers having hinted


class SourceError(Exception):
    """The source could not be read at all (not a missing file: an I/O or network failure)."""


class LogSource(Protocol):
    def describe(self) -> str: ...

    def read(self, path: str) -> bytes | None:
        """The resource's bytes, or None if it does not exist."""
        ...

    def prefetch(self, paths: Iterable[str]) -> None:
        """A hint: these will be read soon, in this order. Errors surface at :meth:`read`."""
        ...

    def close(self) -> None:
        """Stops fetching ahead and drops what was fetched; the source stays usable."""
        ...


class DirectorySource:
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise SourceError(f"{root} is not a directory")
        self.root = root
        self._hinted: set[str] = set()  # asked for by prefetch() and not read yet

    def describe(self) -> str:
        return str(self.root)

    def read(self, path: str) -> bytes | None:
        self._hinted.discard(path)
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SourceError(f"cannot read {self.root / path}: {exc}") from None

    def prefetch(self, paths: Iterable[str]) -> None:
        """Asks the kernel to read the files into the page cache in the background (no thread
        here), so that the verifier does not wait on the disk for each bundle in turn."""
        if not _FADVISE:
            return
        for path in paths:
            if path in self._hinted or len(self._hinted) >= _MAX_HINTED:
                continue
            self._hinted.add(path)
            try:
                fd = os.open(self.root / path, os.O_RDONLY)
            except OSError:
                continue  # read() reports it
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            except OSError:
                pass
            finally:
                os.close(fd)

    def close(self) -> None:
        self._hinted.clear()


class HttpSource:
    def __init__(self, prefix: str, read_ahead: int = READ_AHEAD) -> None:
        self.prefix = prefix.rstrip("/") + "/"
        self.read_ahead = read_ahead
        self._fetcher: ThreadPoolExecutor | None = None
        self._pending: dict[str, Future[bytes | None]] = {}
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return self.prefix

    def read(self, path: str) -> bytes | None:
        pending = self._pending.pop(path, None)
        return self._get(path) if pending is None else pending.result()

    def prefetch(self, paths: Iterable[str]) -> None:
        if self.read_ahead <= 0:
            return
        if self._fetcher is None:
            self._fetcher = ThreadPoolExecutor(self.read_ahead, thread_name_prefix="sunlight-fetch")
        for path in paths:
            if len(self._pending) >= 2 * self.read_ahead:
                break
            if path not in self._pending:
                self._pending[path] = self._fetcher.submit(self._get, path)

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.shutdown(wait=True, cancel_futures=True)
            self._fetcher = None
        self._pending.clear()
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _connections(self) -> httpx.Client:
        """One client for this thread and the read-ahead threads: at most one kept-alive
        connection each. Certificates are checked against the system's store (``SSL_CERT_FILE``
        and ``SSL_CERT_DIR`` apply), as a browser on the same machine would."""
        import httpx

        with self._lock:
            if self._client is None:
                size = max(self.read_ahead, 0) + 1
                self._client = httpx.Client(
                    verify=ssl.create_default_context(), timeout=TIMEOUT, follow_redirects=True,
                    headers={"Accept-Encoding": "gzip, identity", "User-Agent": "sunlight-verify"},
                    limits=httpx.Limits(max_connections=size, max_keepalive_connections=size))
            return self._client

    def _get(self, path: str) -> bytes | None:
        import httpx

        url = self.prefix + path
        try:
            response = self._connections().get(url)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise SourceError(f"GET {url}: {exc or type(exc).__name__}") from None
        if response.status_code in (404, 410):
            return None
        if not response.is_success:
            raise SourceError(f"GET {url}: HTTP {response.status_code}")
        return response.content  # a gzip Content-Encoding is already undone


def open_source(target: str) -> LogSource:
    if target.startswith(("http://", "https://")):
        return HttpSource(target)
    return DirectorySource(Path(target))
