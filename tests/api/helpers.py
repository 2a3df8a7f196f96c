"""Running the service for tests: in a thread (same process) or as ``sunlight serve``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live(app: Starlette) -> Iterator[str]:
    """Serves ``app`` with uvicorn on a loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
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
        self.process.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def start_service(db_url: str, log: Path, *args: str, env: dict[str, str] | None = None,
                  timeout: float = 30) -> Service:
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
