"""Stage 6: the search index. Pagefind (the extended build, which segments Chinese) runs as one
``pagefind --service`` process for the whole publish.

Pagefind spends ~0.2 s loading its Chinese dictionary before it parses the first page; a service
process pays that once for every bundle, and :meth:`Pagefind.start` makes it pay it while Python
is still reading the log. Pages are sent as text (only the part Pagefind indexes), so nothing is
staged on disk.

Bundles: ``main`` for the section pages, and the records cut into aligned ranges, each re-indexed
only when a page in it changed: whole blocks of :data:`BLOCK` records, then the rest as
power-of-two ranges down to :data:`SMALLEST`, then one short range of the newest records. One
new record re-indexes fewer than :data:`SMALLEST` pages, and the search page merges at most
``records // BLOCK + 5`` bundles.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

BLOCK = 2048
SMALLEST = 128
BODY_START = "<div data-pagefind-body>"
BODY_END = "<!-- /pagefind-body -->"  # written by site/overrides/main.html
# Part of every bundle's key: a change here (or to the Pagefind version) re-indexes everything.
FORMAT = "pagefind-1.5.2-service-1"


class SearchError(Exception):
    """Pagefind failed; the message is Pagefind's."""


def ranges(records: int) -> list[tuple[int, int]]:
    """The record ranges ``[start, stop)`` that get a bundle each (see the module docstring)."""
    out, start = [], 0
    while start + BLOCK <= records:
        out.append((start, start + BLOCK))
        start += BLOCK
    size = BLOCK // 2
    while size >= SMALLEST:
        if start + size <= records:
            out.append((start, start + size))
            start += size
        size //= 2
    if start < records:
        out.append((start, records))
    return out


def bundle_name(start: int, stop: int) -> str:
    return f"r{start}-{stop}"


def executable() -> Path | None:
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return Path(get_executable())
    except FileNotFoundError:
        return None


def page_lang(html: str) -> str:
    found = re.search(r'<html lang="([A-Za-z-]+)"', html)
    return found.group(1) if found else "zh"


def indexed_part(html: str, lang: str = "zh") -> str:
    """The part of a built page Pagefind indexes, as a small document of its own."""
    start = html.find(BODY_START)
    end = html.rfind(BODY_END)
    if start < 0 or end < start:
        return html
    return f'<!doctype html><html lang="{lang}"><body>{html[start:end]}</body></html>'


class Pagefind:
    """One ``pagefind --service`` process, spoken to in its own protocol: base64 JSON messages
    separated by commas, answered by message id."""

    def __init__(self, exe: Path) -> None:
        self._process = subprocess.Popen([str(exe), "--service"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin: IO[bytes] = self._process.stdin
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self._closed = False
        self.written = 0  # pages indexed into written bundles
        self._ready = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout,),
                                        daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, exe: Path) -> Pagefind:
        """Starts the service and has it load its dictionaries in the background."""
        service = cls(exe)
        warm = service.new_index()
        service._send({"type": "AddFile", "index_id": warm, "url": "/",
                       "file_contents": '<html lang="zh"><body><p>预热</p></body></html>'})
        return service

    def _read(self, stdout: IO[bytes]) -> None:
        buffer = b""
        while chunk := stdout.read1(1 << 16):  # type: ignore[attr-defined]
            buffer += chunk
            *messages, buffer = buffer.split(b",")
            if not messages:
                continue
            decoded = [json.loads(base64.b64decode(m)) for m in messages if m]
            with self._ready:
                for answer in decoded:
                    if isinstance(answer, dict) and isinstance(answer.get("message_id"), int):
                        self._answers[answer["message_id"]] = answer["payload"]
                self._ready.notify_all()
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def _send(self, payload: dict[str, Any]) -> int:
        self._next_id += 1
        message = {"message_id": self._next_id, "payload": payload}
        try:
            self._stdin.write(base64.b64encode(json.dumps(message).encode()) + b",")
            self._stdin.flush()
        except BrokenPipeError:
            raise SearchError("pagefind exited") from None
        return self._next_id

    def _wait(self, message_id: int) -> dict[str, Any]:
        with self._ready:
            while message_id not in self._answers:
                if self._closed:
                    raise SearchError("pagefind exited")
                self._ready.wait()
            answer = self._answers.pop(message_id)
        if answer.get("type") == "Error":
            raise SearchError(str(answer.get("message", answer)))
        return answer

    def new_index(self) -> int:
        return int(self._wait(self._send({"type": "NewIndex", "config": None}))["index_id"])

    def submit(self, output: Path, pages: Iterable[tuple[str, str]]) -> list[int]:
        """Sends ``(url, html)`` pages for a new bundle at ``output`` without waiting; pass the
        returned ids to :meth:`collect`."""
        index = self.new_index()
        sent = [self._send({"type": "AddFile", "index_id": index, "url": url,
                            "file_contents": html}) for url, html in pages]
        if output.exists():
            shutil.rmtree(output)
        sent.append(self._send({"type": "WriteFiles", "index_id": index,
                                "output_path": str(output)}))
        sent.append(self._send({"type": "DeleteIndex", "index_id": index}))
        self.written += len(sent) - 2
        return sent

    def collect(self, sent: list[int]) -> None:
        for message_id in sent:
            self._wait(message_id)

    def write(self, output: Path, pages: Iterable[tuple[str, str]]) -> None:
        """Indexes ``(url, html)`` pages into a new bundle at ``output``."""
        self.collect(self.submit(output, pages))

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
        self._process.wait()
        self._reader.join()
        for pipe in (self._stdin, self._process.stdout):
            if pipe is not None:
                with contextlib.suppress(BrokenPipeError):
                    pipe.close()


def pages_key(pages: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256(FORMAT.encode())
    for url, html in pages:
        digest.update(url.encode() + b"\0" + html.encode() + b"\0")
    return digest.hexdigest()


def index_records(service: Pagefind, out_dir: Path, record_keys: dict[str, list[Any]],
                  previous: dict[str, str], lang: str) -> dict[str, str]:
    """Writes the record bundles under ``out_dir/pagefind`` whose pages changed since
    ``previous`` (bundle name -> key) and returns the new map. (A second Pagefind process
    sharing a full index was tried: on two shared cores it saved nothing.)"""
    bundles = out_dir / "pagefind"
    keys: dict[str, str] = {}
    sent: list[int] = []
    for start, stop in ranges(len(record_keys)):
        name = bundle_name(start, stop)
        key = hashlib.sha256((FORMAT + "".join(
            record_keys[str(i)][0] for i in range(start, stop))).encode()).hexdigest()
        keys[name] = key
        if previous.get(name) == key and (bundles / name / "pagefind-entry.json").exists():
            continue
        sent += service.submit(bundles / name, (
            (f"/r/{i}/", indexed_part(
                (out_dir / "r" / str(i) / "index.html").read_text(encoding="utf-8"), lang))
            for i in range(start, stop)))
    service.collect(sent)
    return keys


def remove_stale(out_dir: Path, keep: Iterable[str]) -> None:
    bundles = out_dir / "pagefind"
    kept = set(keep)
    if bundles.is_dir():
        for stale in bundles.iterdir():
            if stale.is_dir() and stale.name not in kept:
                shutil.rmtree(stale)


__all__ = ["BLOCK", "SMALLEST", "Pagefind", "SearchError", "bundle_name", "executable",
           "index_records", "indexed_part", "page_lang", "pages_key", "ranges", "remove_stale"]
