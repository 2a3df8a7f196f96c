# ruff: noqa: E402  (sys.path is fixed before the imports: see below)
"""The ledger service under load, against baselines measured in the same run.

    python bench/http.py [--size 100000] [--n 3000] [--concurrency 16] [--reads 3000]

1. Builds a community log of ``--size`` entries (bulk, in process), once: it is cached under
   ``bench/out/`` and each run works on a copy of it.
2. In process: ``Sunlight.submit`` of ``--n`` signed records, one at a time (the baseline).
3. Starts ``sunlight serve`` on loopback (one worker) on that cold log and, while the service
   loads the community's read view (a projection request waits for it), measures ``/healthz``
   one request at a time (goal: every answer under 100 ms).
4. Posts ``--n`` other signed records at ``--concurrency`` over keep-alive connections (a
   minimal asyncio HTTP/1.1 client, so that the load generator costs little of the two cores).
5. Reads checkpoints, inclusion and consistency proofs at the same concurrency (goal p99 <= 20 ms).
6. Reads every read endpoint (first pages, deep cursors, filters that match nothing such as
   ``period=1999``) at the same concurrency (goal p99 <= 50 ms and at most 1 MB an answer).

Phases 5 and 6 mix ``/healthz`` requests into the same load: the baseline, a minimal Starlette
endpoint on the same server, event loop and connections. Time-bounded: each phase stops after
``--seconds``.
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
import shutil
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
from tests.committee import Committee, member_keys

COMMUNITY = "testcom"
BODY = "本月居委会例会审议通过的事项已全部进入执行。" * 6
CATEGORIES = ("decision", "fund_use", "work_items", "consultation", "other")


def signed(key: MemberKey, prefix: str, n: int, at: datetime) -> list[Submission]:
    return [key.sign(Statement(COMMUNITY, "disclosure.published", at, {
        "disclosure_id": f"{prefix}{i}", "category": CATEGORIES[i % len(CATEGORIES)],
        "period": f"20{20 + i % 6}-{1 + i % 12:02d}", "title": f"公开事项 {i}", "body": BODY}))
        for i in range(n)]


OUT = Path(__file__).resolve().parent / "out"
GENERATOR = "v1"  # bump when the generated log changes: the cache is keyed by it


def build(db: str, size: int) -> MemberKey:
    c = Committee.found(db)
    now = datetime.now(UTC).replace(microsecond=0)
    c.clock.now = now  # the app accepts statements signed now
    key = c.keys["member"]
    done = c.app.size(COMMUNITY)
    while done < size:
        batch = min(1000, size - done)
        c.app.submit_batch(signed(key, f"bulk{done}-", batch, now))
        done += batch
    c.app.close()
    return key


def cached_log(size: int, target: Path) -> MemberKey:
    """Copies the log of ``size`` entries to ``target``, building it first if it is not cached;
    returns the key that signs the records."""
    directory = OUT / f"http-{GENERATOR}-{size}"
    marker = directory / "done"
    if not marker.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("bench.db*"):
            stale.unlink()
        t = time.perf_counter()
        build(f"sqlite:///{directory / 'bench.db'}", size)
        print(f"log of {size:,} entries built in {time.perf_counter() - t:.1f} s "
              f"(cached in {directory})")
        marker.touch()
    shutil.copyfile(directory / "bench.db", target)
    return member_keys()["member"]


class Connection:
    """One keep-alive HTTP/1.1 connection: just enough protocol for this benchmark."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """One request; answers are read by Content-Length (the service never chunks)."""
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


Job = tuple[str, str, str, bytes]  # label, method, path, body
Result = tuple[str, int, float, int]  # label, status, seconds, response bytes


async def run_clients(port: int, concurrency: int, jobs: list[Job], deadline: float
                      ) -> list[Result]:
    """Runs the jobs over ``concurrency`` keep-alive connections."""
    queue = list(reversed(jobs))
    results: list[Result] = []

    async def worker() -> None:
        conn = await Connection.open(port)
        try:
            while queue and time.monotonic() < deadline:
                label, method, path, body = queue.pop()
                t = time.perf_counter()
                status, answer = await conn.request(method, path, body)
                results.append((label, status, time.perf_counter() - t, len(answer)))
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


async def healthz_during_load(port: int, path: str) -> tuple[list[float], float, int]:
    """``/healthz`` latencies, one at a time, while ``path`` (which waits for the community's
    first load) is in flight; how long until it answered 200, and how many times it answered
    503 (its time budget ran out first; it is asked again)."""
    loader, probe = await Connection.open(port), await Connection.open(port)
    started = time.perf_counter()
    latencies: list[float] = []
    retries = 0
    while True:
        pending = asyncio.ensure_future(loader.request("GET", path))
        while not pending.done():
            t = time.perf_counter()
            status, _ = await probe.request("GET", "/healthz")
            assert status == 200
            latencies.append(time.perf_counter() - t)
            await asyncio.sleep(0.01)
        status, _ = await pending
        if status == 200:
            break
        assert status == 503, status
        retries += 1
    loader.close()
    probe.close()
    return latencies, time.perf_counter() - started, retries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def ms(results: list[Result], label: str) -> list[float]:
    return [seconds * 1000 for name, _, seconds, _ in results if name == label]


def report(results: list[Result], labels: list[str], goal_ms: float, *, bytes_goal: int = 0
           ) -> None:
    base = ms(results, "healthz")
    print(f"  {'baseline /healthz':34} p50 {statistics.median(base):6.2f}  "
          f"p99 {percentile(base, 99):6.2f} ms  (n={len(base)})")
    for label in labels:
        got = ms(results, label)
        largest = max(size for name, _, _, size in results if name == label)
        p99 = percentile(got, 99)
        verdict = "ok" if p99 <= goal_ms and (not bytes_goal or largest <= bytes_goal) else "MISSED"
        print(f"  {label:34} p50 {statistics.median(got):6.2f}  p99 {p99:6.2f} ms  "
              f"max {largest / 1024:7.1f} KiB  (n={len(got)}, goal p99 <= {goal_ms:.0f} ms"
              + (f", <= {bytes_goal // 1_000_000} MB" if bytes_goal else "") + f")  {verdict}")


def read_jobs(size: int, rounds: int, rng: random.Random) -> list[Job]:
    v1 = f"/v1/communities/{COMMUNITY}"
    deep = size - 60
    endpoints = {
        "communities": "/v1/communities",
        "community": v1,
        "members": f"{v1}/members",
        "keys": f"{v1}/keys",
        "records (first page)": f"{v1}/records",
        "records (deep cursor, limit 100)": f"{v1}/records?cursor={deep}&limit=100",
        "records?period=1999": f"{v1}/records?period=1999",
        "records?kind&category&period": f"{v1}/records?kind=disclosure&category=fund_use"
                                        "&period=2023",
        "records?estate=e9": f"{v1}/records?estate=e9",
        "record by index": f"{v1}/records/{{index}}",
        "projection disclosures": f"{v1}/projections/disclosures",
        "projection disclosures (deep)": f"{v1}/projections/disclosures?cursor={deep}&limit=100",
        "projection funds": f"{v1}/projections/funds",
        "projection fees": f"{v1}/projections/fees",
        "projection donations": f"{v1}/projections/donations",
    }
    jobs: list[Job] = []
    for _ in range(rounds):
        for label, path in endpoints.items():
            jobs.append((label, "GET", path.replace("{index}", str(rng.randrange(size))), b""))
        jobs.append(("healthz", "GET", "/healthz", b""))
    rng.shuffle(jobs)
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        key = cached_log(args.size, Path(tmp) / "bench.db")
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        now = datetime.now(UTC).replace(microsecond=0)

        # the baseline: the same kind of records, in process, one transaction each
        baseline = signed(key, "inproc-", args.n, now)
        ledger = Sunlight(db)
        print(f"log of {ledger.size(COMMUNITY):,} entries")  # folded first: time appends only
        t = time.perf_counter()
        stop = time.monotonic() + args.seconds
        done = 0
        for sub in baseline:
            ledger.submit(sub)
            done += 1
            if time.monotonic() > stop:
                break
        inproc = done / (time.perf_counter() - t)
        ledger.close()

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
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            # the service loads the community's read view now (cold): /healthz meanwhile
            health, load_s, retries = asyncio.run(healthz_during_load(
                port, f"/v1/communities/{COMMUNITY}/projections/disclosures"))

            # the first POST folds the writers' state: outside the measurement
            first = signed(key, "warm-", 1, datetime.now(UTC).replace(microsecond=0))[0]
            assert httpx.post(f"http://127.0.0.1:{port}/v1/communities/{COMMUNITY}/records",
                              json=first.to_json(), timeout=600).status_code == 201
            posts: list[Job] = [("post", "POST", f"/v1/communities/{COMMUNITY}/records",
                                 orjson.dumps(s.to_json())) for s in signed(key, "http-", args.n, now)]
            t = time.perf_counter()
            writes = asyncio.run(run_clients(port, args.concurrency, posts,
                                             time.monotonic() + args.seconds))
            elapsed = time.perf_counter() - t
            assert all(status == 201 for _, status, _, _ in writes), {s for _, s, _, _ in writes}
            http_rate = len(writes) / elapsed

            checkpoint = httpx.get(f"http://127.0.0.1:{port}/log/{COMMUNITY}/checkpoint").text
            size = int(checkpoint.split("\n")[1])
            rng = random.Random(1)
            proofs: list[Job] = []
            base = f"/v1/communities/{COMMUNITY}/proofs"
            for _ in range(args.reads):
                proofs.append(("checkpoint", "GET", f"/log/{COMMUNITY}/checkpoint", b""))
                proofs.append(("inclusion proof", "GET", f"{base}/inclusion?index="
                               f"{rng.randrange(size)}&size={size}", b""))
                proofs.append(("consistency proof", "GET", f"{base}/consistency?old="
                               f"{rng.randrange(1, size)}&new={size}", b""))
                proofs.append(("healthz", "GET", "/healthz", b""))
            got = asyncio.run(run_clients(port, args.concurrency, proofs,
                                          time.monotonic() + args.seconds))
            assert all(status == 200 for _, status, _, _ in got), {s for _, s, _, _ in got}
            reads = asyncio.run(run_clients(port, args.concurrency,
                                            read_jobs(size, max(1, args.reads // 8), rng),
                                            time.monotonic() + args.seconds))
            assert all(status == 200 for _, status, _, _ in reads), \
                {(n, s) for n, s, _, _ in reads if s != 200}
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)

    health_ms = [s * 1000 for s in health]
    print(f"cold load of the read view: {load_s:.1f} s ({retries} answers 503 past the read "
          f"budget before it); /healthz meanwhile, one at a time: "
          f"p50 {statistics.median(health_ms):.1f}  p99 {percentile(health_ms, 99):.1f}  "
          f"max {max(health_ms):.1f} ms (n={len(health_ms)}, goal every answer < 100 ms)  "
          f"{'ok' if max(health_ms) < 100 else 'MISSED'}")
    print(f"in-process appends, 1 per transaction: {inproc:8.0f} /s")
    print(f"HTTP appends, concurrency {args.concurrency}:       {http_rate:8.0f} /s")
    print(f"ratio HTTP / in-process:               {http_rate / inproc:8.2f}  (goal >= 0.7)")
    write_ms = ms(writes, "post")
    print(f"POST latency ms  p50 {statistics.median(write_ms):6.1f}  "
          f"p99 {percentile(write_ms, 99):6.1f}")
    print(f"log reads at concurrency {args.concurrency}:")
    report(got, ["checkpoint", "inclusion proof", "consistency proof"], 20)
    print(f"read endpoints at concurrency {args.concurrency} ({size:,} entries):")
    labels = sorted({name for name, _, _, _ in reads} - {"healthz"})
    report(reads, labels, 50, bytes_goal=1_000_000)


if __name__ == "__main__":
    main()
