# ruff: noqa: E402  (sys.path is fixed before the imports: see below)
"""The ledger service under load, against the in-process append rate of the same records.

    python bench/http.py [--size 100000] [--n 3000] [--concurrency 16] [--reads 3000]

1. Builds a community log of ``--size`` entries (bulk, in process).
2. In process: ``Sunlight.submit`` of ``--n`` signed records, one at a time (the baseline).
3. Starts ``sunlight serve`` on loopback (one worker) and posts ``--n`` other signed records at
   ``--concurrency`` over keep-alive connections (a minimal asyncio HTTP/1.1 client, so that the
   load generator costs little of the two cores).
4. Reads checkpoints and inclusion proofs (random index, current size) at the same concurrency.

Prints appends/s both ways, their ratio (goal >= 0.7), and p50 / p99 latency of checkpoint and
proof reads (goal p99 <= 20 ms). Time-bounded: each phase stops after ``--seconds``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: keep its folder off sys.path so that it does not shadow the
# standard library's http package, and put the repository there instead.
sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime

import orjson

from ledger.application import Sunlight
from ledger.signing import MemberKey, Statement, Submission
from tests.api.helpers import SUNLIGHT, free_port
from tests.committee import Committee

COMMUNITY = "testcom"
BODY = "本月居委会例会审议通过的事项已全部进入执行。" * 6


def signed(key: MemberKey, prefix: str, n: int, at: datetime) -> list[Submission]:
    return [key.sign(Statement(COMMUNITY, "disclosure.published", at, {
        "disclosure_id": f"{prefix}{i}", "category": "other", "period": "2025-03",
        "title": f"公开事项 {i}", "body": BODY})) for i in range(n)]


def build(db: str, size: int) -> tuple[Committee, datetime]:
    c = Committee.found(db)
    now = datetime.now(UTC).replace(microsecond=0)
    c.clock.now = now  # the app accepts statements signed now
    key = c.keys["member"]
    done = c.app.size(COMMUNITY)
    while done < size:
        batch = min(1000, size - done)
        c.app.submit_batch(signed(key, f"bulk{done}-", batch, now))
        done += batch
    return c, now


class Connection:
    """One keep-alive HTTP/1.1 connection: just enough protocol for this benchmark."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Length: {len(body)}\r\n")
        if body:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def run_clients(port: int, concurrency: int, jobs: list[tuple[str, str, bytes]],
                      deadline: float) -> list[tuple[str, int, float]]:
    """Runs ``(method, path, body)`` jobs; returns ``(path kind, status, seconds)`` for each."""
    queue = list(reversed(jobs))
    results: list[tuple[str, int, float]] = []

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while queue and time.monotonic() < deadline:
                method, path, body = queue.pop()
                t = time.perf_counter()
                status, _ = await conn.request(method, path, body)
                results.append((path.split("?")[0].rsplit("/", 1)[-1], status,
                                time.perf_counter() - t))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t = time.perf_counter()
        c, now = build(db, args.size)
        print(f"log of {c.app.size(COMMUNITY):,} entries built in {time.perf_counter() - t:.1f} s")
        key = c.keys["member"]

        # the baseline: the same kind of records, in process, one transaction each
        baseline = signed(key, "inproc-", args.n, now)
        ledger = Sunlight(db)
        ledger.size(COMMUNITY)  # fold the log first, as the service does on its first request
        t = time.perf_counter()
        stop = time.monotonic() + args.seconds
        done = 0
        for sub in baseline:
            ledger.submit(sub)
            done += 1
            if time.monotonic() > stop:
                break
        inproc = done / (time.perf_counter() - t)
        ledger.close() if hasattr(ledger, "close") else ledger.engine.dispose()
        c.app.engine.dispose()

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
        server = subprocess.Popen([SUNLIGHT, "serve", "--db", db, "--port", str(port),
                                   "--log-level", "warning", "--rate-per-address", "0",
                                   "--rate-per-key", "0"], env=env)
        try:
            import httpx

            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/log/{COMMUNITY}/checkpoint",
                                 timeout=60).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            # the service folds its read views at startup: let it finish before measuring
            httpx.get(f"http://127.0.0.1:{port}/v1/communities/{COMMUNITY}", timeout=300)
            posts = [("POST", f"/v1/communities/{COMMUNITY}/records",
                      orjson.dumps(s.to_json())) for s in signed(key, "http-", args.n, now)]
            t = time.perf_counter()
            writes = asyncio.run(run_clients(port, args.concurrency, posts,
                                             time.monotonic() + args.seconds))
            elapsed = time.perf_counter() - t
            assert all(status == 201 for _, status, _ in writes), {s for _, s, _ in writes}
            http_rate = len(writes) / elapsed

            checkpoint = httpx.get(f"http://127.0.0.1:{port}/log/{COMMUNITY}/checkpoint").text
            size = int(checkpoint.split("\n")[1])
            rng = random.Random(1)
            reads: list[tuple[str, str, bytes]] = []
            for _ in range(args.reads):
                reads.append(("GET", f"/log/{COMMUNITY}/checkpoint", b""))
                reads.append(("GET", f"/v1/communities/{COMMUNITY}/proofs/inclusion?index="
                                     f"{rng.randrange(size)}&size={size}", b""))
            got = asyncio.run(run_clients(port, args.concurrency, reads,
                                          time.monotonic() + args.seconds))
            assert all(status == 200 for _, status, _ in got)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)

    print(f"in-process appends, 1 per transaction: {inproc:8.0f} /s")
    print(f"HTTP appends, concurrency {args.concurrency}:       {http_rate:8.0f} /s")
    print(f"ratio HTTP / in-process:               {http_rate / inproc:8.2f}  (goal >= 0.7)")
    write_ms = [s * 1000 for _, _, s in writes]
    print(f"POST latency ms  p50 {statistics.median(write_ms):6.1f}  "
          f"p99 {percentile(write_ms, 99):6.1f}")
    for name, label in (("checkpoint", "checkpoint"), ("inclusion", "inclusion proof")):
        ms = [s * 1000 for kind, _, s in got if kind == name]
        print(f"{label:16} ms  p50 {statistics.median(ms):6.2f}  p99 {percentile(ms, 99):6.2f}"
              f"  (n={len(ms)}, goal p99 <= 20)")


if __name__ == "__main__":
    main()
