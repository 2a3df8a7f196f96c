"""Running the service for tests: in a thread (same process) or as ``sunlight serve``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.merkle import CompactRange, leaf_hash, verify_consistency, verify_inclusion
from ledger.crypto.note import Verifier, open_note
from ledger.crypto.tiles import decode_entry_bundle, entries_path
from ledger.signing import Submission
from tests.committee import Committee

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
# Every wait below is on a condition; this is only the cap after which a test fails, generous
# enough for a machine whose cores are all busy.
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    """Polls ``condition`` until it holds; fails naming ``what`` only after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what} after {timeout:.0f} s"
        time.sleep(0.01)


@contextmanager
def live(app: Starlette) -> Iterator[str]:
    """Serves ``app`` with uvicorn on a loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Service:
    """A ``sunlight serve`` subprocess."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(START_TIMEOUT)

    def terminate(self, timeout: float = START_TIMEOUT) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def start_service(db_url: str, log: Path, *args: str, env: dict[str, str] | None = None,
                  timeout: float = START_TIMEOUT) -> Service:
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    full_env.update({"SUNLIGHT_RATE_PER_ADDRESS": "0", "SUNLIGHT_RATE_PER_KEY": "0"})
    full_env.update(env or {})
    with log.open("ab") as out:
        process = subprocess.Popen(
            [SUNLIGHT, "serve", "--db", db_url, "--port", str(port), "--log-level", "warning",
             *args], stdout=out, stderr=out, env=full_env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return Service(process, url, log)
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"sunlight serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def disclosure(committee: Committee, n: int, *, who: str = "member", now: bool = False,
               tag: str = "d") -> Submission:
    """A distinct, valid disclosure statement (signed now, for a service on the real clock)."""
    return committee.sign(who, "disclosure.published", {
        "disclosure_id": f"{tag}{n}", "category": "other", "period": "2025-03",
        "title": f"公开事项 {n}", "body": "本月公开内容。"},
        at=datetime.now(UTC).replace(microsecond=0) if now else None)


def verifier(client: httpx.Client, community: str) -> Verifier:
    info = client.get(f"/v1/communities/{community}").json()
    return Verifier.from_key_string(info["verifier_key"])


def open_checkpoint(signed: str, v: Verifier) -> Checkpoint:
    note = open_note(signed, [v])
    return Checkpoint.parse(note.text)


def check_receipt(receipt: dict[str, Any], v: Verifier, entry: bytes | None = None) -> Checkpoint:
    """The receipt's checkpoint is signed by the log and its proof includes the entry."""
    cp = open_checkpoint(receipt["checkpoint"], v)
    assert cp.size == receipt["tree_size"] > receipt["index"]
    if entry is not None:
        import base64

        verify_inclusion(receipt["index"], cp.size, leaf_hash(entry),
                         [base64.b64decode(h) for h in receipt["inclusion_proof"]], cp.root_hash)
    return cp


def read_log(client: httpx.Client, community: str, size: int) -> list[bytes]:
    """Every entry of the tree of ``size`` leaves, through the entry bundles."""
    entries: list[bytes] = []
    for n in range((size + 255) // 256):
        width = min(256, size - n * 256)
        r = client.get(f"/log/{community}/{entries_path(n, width)}")
        assert r.status_code == 200, r.text
        entries += decode_entry_bundle(r.content, width)
    return entries


def check_consistent(client: httpx.Client, community: str, old: Checkpoint,
                     new: Checkpoint) -> None:
    import base64

    if old.size == 0 or old.size == new.size:
        assert old.size == 0 or old.root_hash == new.root_hash
        return
    r = client.get(f"/v1/communities/{community}/proofs/consistency",
                   params={"old": old.size, "new": new.size})
    assert r.status_code == 200, r.text
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash,
                       [base64.b64decode(h) for h in r.json()["hashes"]])


def root_of(entries: list[bytes]) -> bytes:
    tree = CompactRange()
    for entry in entries:
        tree.append(leaf_hash(entry))
    return tree.root()


@dataclass
class Load:
    """What clients saw while posting: every receipt, and every checkpoint served to them."""

    receipts: list[dict[str, Any]]
    checkpoints: list[str]
    errors: int  # transport errors: the server went away
    refused: list[str] = field(default_factory=list)  # answers other than 201
    answered_at: list[float] = field(default_factory=list)  # time.monotonic() of each 201


def hammer(urls: list[str], submissions: list[Submission], threads: int = 16,
           stop: threading.Event | None = None, community: str = "testcom",
           load: Load | None = None) -> Load:
    """Posts ``submissions`` from ``threads`` threads spread over ``urls``; also reads
    checkpoints. Transport errors (a killed server) are counted, not raised. Pass ``load`` to
    watch the answers come in from another thread."""
    import queue

    todo: queue.SimpleQueue[Submission] = queue.SimpleQueue()
    for sub in submissions:
        todo.put(sub)
    load = Load([], [], 0) if load is None else load
    lock = threading.Lock()
    stop = stop or threading.Event()

    def post(n: int) -> None:
        with httpx.Client(base_url=urls[n % len(urls)], timeout=30) as client:
            while not stop.is_set():
                try:
                    sub = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    r = client.post(f"/v1/communities/{community}/records", json=sub.to_json())
                except httpx.TransportError:
                    with lock:
                        load.errors += 1
                    continue
                with lock:
                    if r.status_code == 201:
                        load.receipts.append(r.json())
                        load.answered_at.append(time.monotonic())
                    else:
                        load.refused.append(f"{r.status_code} {r.text[:200]}")

    def read(n: int) -> None:
        with httpx.Client(base_url=urls[n % len(urls)], timeout=30) as client:
            while not stop.is_set() and any(t.is_alive() for t in posters):
                try:
                    r = client.get(f"/log/{community}/checkpoint")
                except httpx.TransportError:
                    return
                with lock:
                    if r.status_code == 200:
                        load.checkpoints.append(r.text)
                    else:
                        load.refused.append(f"{r.status_code} {r.text[:200]}")

    posters = [threading.Thread(target=post, args=(n,)) for n in range(threads)]
    readers = [threading.Thread(target=read, args=(n,)) for n in range(len(urls))]
    for t in posters + readers:
        t.start()
    for t in posters + readers:
        t.join()
    return load


def check_log(client: httpx.Client, community: str, seen: Load,
              checkpoints: list[str] | None = None) -> Checkpoint:
    """The served log verifies, holds every receipted record once, and every checkpoint the
    clients saw (or only ``checkpoints``) is consistent with the current one (no gap, no
    duplicate, no fork)."""
    import base64

    from ledger.signing import Entry, statement_hash

    v = verifier(client, community)
    current = open_checkpoint(client.get(f"/log/{community}/checkpoint").text, v)
    entries = read_log(client, community, current.size)
    assert root_of(entries) == current.root_hash
    hashes = [statement_hash(Entry.decode(e).statement).hex() for e in entries]
    assert len(set(hashes)) == len(hashes), "a statement was recorded twice"
    indexes = [r["index"] for r in seen.receipts]
    assert len(set(indexes)) == len(indexes), "two receipts share a log index"
    for r in seen.receipts:
        assert hashes[r["index"]] == r["statement_hash"], "a receipted record is missing"
    by_size: dict[int, bytes] = {}
    if checkpoints is None:
        checkpoints = [r["checkpoint"] for r in seen.receipts] + seen.checkpoints
    for signed in checkpoints:
        cp = open_checkpoint(signed, v)
        assert by_size.setdefault(cp.size, cp.root_hash) == cp.root_hash, "forked checkpoint"
    sizes = sorted(by_size)
    for size in sizes:
        assert size <= current.size
        old = Checkpoint(current.origin, size, by_size[size])
        check_consistent(client, community, old, current)
    del base64
    return current
