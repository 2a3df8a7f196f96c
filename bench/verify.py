"""Bench: full verification of a generated log, against raw Ed25519 verification on one core.

    .venv/bin/python bench/verify.py                  # 100,000 entries
    .venv/bin/python bench/verify.py --million        # 1,000,000 entries
    .venv/bin/python bench/verify.py --entries 20000  # any size
    .venv/bin/python bench/verify.py --http-delay 20  # over HTTP, each response 20 ms late

The log is generated once through the real application (bulk ``submit_batch`` of 1,000 signed
donations at a time on SQLite), exported as tiles, and cached under ``bench/out/`` so reruns only
measure. Verification runs in a child process so its peak memory (self + its workers) is its own.
Each round measures the raw rate (over up to 100,000 of the log's signatures) right before a full
verification, since this shared machine's speed drifts; the median ratio is the result.
Goal: verified entries/s >= 0.80 x (raw one-core Ed25519 verifications/s x cores used).

The generated log opens a new micro-fund every 100 entries (many small appeals, as a community
runs them); each donation brings two ids the uniqueness rules must remember (donation id and
receipt number), so a million entries exercise the verifier's spill of ids to disk.
With ``--http-delay MS`` the log is served over HTTP by another process that answers every request
MS milliseconds late (a distant server), and verified with and without reading ahead.
Peak memory is the child's own high-water mark (``VmHWM``; not ``ru_maxrss``, which on Linux
carries over the peak of the bench process that started it -- the one that generated the log):
compare 100,000 and 1,000,000.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ would come first on sys.path, and bench/http.py would shadow the stdlib.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

OUT = ROOT / "bench" / "out"
COMMUNITY = "benchcom"
ORIGIN = "bench.example/benchcom"
BATCH = 1000
FUND_SIZE = 100  # a new micro-fund every 100 entries (see the module docstring)
GENERATOR = "v2"  # bump when the generated log changes: the cache is keyed by it
START = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def generate(entries: int, directory: Path) -> str:
    """Builds the log (if not cached) and exports it; returns the log's verifier key."""
    from ledger.application import Sunlight
    from ledger.signing import MemberKey, Statement
    from ledger.tlog.export import export_tiles

    marker = directory / "done.json"
    if marker.is_file():
        return str(json.loads(marker.read_text())["key"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("sunlight.db*"):
        stale.unlink()
    clock = Clock()
    app = Sunlight(f"sqlite:///{directory / 'sunlight.db'}", clock=clock)
    chair = MemberKey.from_seed(hashlib.sha256(b"bench-chair").digest())
    treasurers = [MemberKey.from_seed(hashlib.sha256(f"bench-t{i}".encode()).digest()) for i in range(3)]

    def sign(who: MemberKey, kind: str, body: dict[str, object]) -> object:
        clock.now += timedelta(seconds=1)
        return who.sign(Statement(COMMUNITY, kind, clock.now, body))

    setup = [sign(chair, "community.founded", {
        "name": "基准社区", "founder_id": "chair", "founder_name": "王主任",
        "founder_public_key": chair.public_b64, "term_start": "2024-01-01", "term_end": "2099-12-31"})]
    setup += [sign(chair, "member.admitted", {
        "member_id": f"t{i}", "name": f"出纳{i}", "role": "treasurer", "public_key": t.public_b64,
        "term_start": "2024-01-01", "term_end": "2099-12-31"}) for i, t in enumerate(treasurers)]
    app.found(setup, origin=ORIGIN, key_seed=hashlib.sha256(b"bench-log").digest())  # type: ignore[arg-type]
    key = app.community(COMMUNITY).verifier_key
    done = len(setup)
    started = time.perf_counter()
    while done < entries:
        batch = []
        for n in range(done, min(done + BATCH, entries)):
            fund = f"f{(n - len(setup)) // FUND_SIZE}"
            if (n - len(setup)) % FUND_SIZE == 0:
                batch.append(sign(treasurers[0], "fund.opened", {
                    "fund_id": fund, "name": "社区微基金", "purpose": "资助社区小项目", "opened_on": "2025-01-01"}))
                continue
            batch.append(sign(treasurers[n % 3], "fund.donation_recorded", {
                "fund_id": fund, "donation_id": f"D{n:08d}", "amount_fen": 100 * (1 + n % 997),
                "channel": "wechat", "receipt_no": f"R{n:08d}", "received_on": "2025-01-01",
                "donor_commitment": hashlib.sha256(f"donor-{n}".encode()).hexdigest(),
                "note": "居民自愿捐赠，用于楼道照明和适老化改造"}))
        app.submit_batch(batch)  # type: ignore[arg-type]
        done += len(batch)
        if done % 50_000 < BATCH:
            rate = (done - len(setup)) / (time.perf_counter() - started)
            print(f"  generated {done:,} entries ({rate:,.0f}/s)", flush=True)
    result = export_tiles(app, COMMUNITY, directory / "tiles")
    print(f"  exported {result.size:,} entries: {result.written:,} files", flush=True)
    marker.write_text(json.dumps({"key": key, "entries": entries}))
    return key


def raw_rate(tiles: Path, size: int, limit: int = 100_000) -> tuple[float, int]:
    """One-core Ed25519 verifications/s over the log's own signatures (keys precomputed)."""
    import orjson
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from ledger.crypto.tiles import decode_entry_bundle, entries_path

    keys: dict[str, Ed25519PublicKey] = {}
    key_of = _member_keys(tiles)
    spent = 0.0
    count = 0
    for n in range((min(size, limit) + 255) // 256):
        width = min(256, size - n * 256)
        bundle = decode_entry_bundle((tiles / entries_path(n, None if width == 256 else width)).read_bytes())
        items = []
        for entry in bundle:
            obj = orjson.loads(entry)
            public = key_of.get(obj["key_id"])
            if public is None:
                continue
            key = keys.get(public)
            if key is None:
                key = keys[public] = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
            items.append((key, base64.b64decode(obj["sig"]), obj["statement"].encode()))
        t = time.perf_counter()
        for key, sig, message in items:
            key.verify(sig, message)
        spent += time.perf_counter() - t
        count += len(items)
    return count / spent, count


def _member_keys(tiles: Path) -> dict[str, str]:
    """key_id -> public key, from the membership records in the first bundle."""
    import orjson

    from ledger.crypto.tiles import decode_entry_bundle, entries_path
    from ledger.domain.member import key_id_of

    first = sorted((tiles / "tile" / "entries").iterdir())[0]
    bundle = decode_entry_bundle(first.read_bytes()) if first.is_file() else \
        decode_entry_bundle(next(first.rglob("*")).read_bytes())
    del entries_path
    found: dict[str, str] = {}
    for entry in bundle[:8]:
        statement = orjson.loads(orjson.loads(entry)["statement"])
        body = statement["body"]
        for field in ("founder_public_key", "public_key"):
            if field in body:
                found[key_id_of(body[field])] = body[field]
    return found


def peak_kib() -> int:
    """This process's peak resident memory since it started its program (``VmHWM``, Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def verify_child(target: str, key: str, workers: int | None, batch: int, read_ahead: int | None) -> None:
    """Runs in a child process: verifies and prints a JSON line with its own figures."""
    from ledger.audit.source import READ_AHEAD, DirectorySource, HttpSource, LogSource
    from ledger.audit.verify import Policy, verify_log
    from ledger.crypto.note import Verifier

    source: LogSource = DirectorySource(Path(target)) if not target.startswith("http") else \
        HttpSource(target, READ_AHEAD if read_ahead is None else read_ahead)
    report = verify_log(source, Policy(Verifier.from_key_string(key)), workers=workers, batch_size=batch)
    self_kib = peak_kib()
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    children_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "verified": report.verified, "failures": report.failure_count, "size": report.size,
        "seconds": report.seconds, "main_cpu": report.main_cpu_seconds,
        "workers_cpu": children_cpu.ru_utime + children_cpu.ru_stime,
        "workers": report.workers, "inline_signatures": report.inline_signatures,
        "cores": min(report.workers + 1, os.cpu_count() or 1) if report.workers else 1,
        "self_kib": self_kib, "children_kib": children_kib}))


def serve_child(tiles: str, delay_ms: float) -> None:
    """Runs in a child process: serves ``tiles`` on a free port (printed), each answer late."""
    import functools
    import http.server

    class Late(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(delay_ms / 1000)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Late, directory=tiles))
    print(server.server_address[1], flush=True)
    server.serve_forever()


def run_verify_child(target: str, key: str, extra: list[str]) -> dict[str, Any]:
    """Verifies ``target`` in a child process (see :func:`verify_child`); returns its figures."""
    out = subprocess.run([sys.executable, __file__, "--verify-child", target, key, *extra],
                         check=True, capture_output=True, text=True)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def over_http(tiles: Path, key: str, delay_ms: float, extra: list[str]) -> None:
    """Verification of the log served with ``delay_ms`` per response: read ahead, and not."""
    server = subprocess.Popen([sys.executable, __file__, "--serve-child", str(tiles), str(delay_ms)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/"
        print(f"served at {url}, every response {delay_ms:g} ms late")
        rates = {}
        for read_ahead in (None, 0):
            child = run_verify_child(url, key, [*extra, *([] if read_ahead is None else
                                                          ["--read-ahead", str(read_ahead)])])
            rates[read_ahead] = child["size"] / child["seconds"]
            label = "reading ahead (default)" if read_ahead is None else "one request at a time"
            print(f"  {label:26s} {rates[read_ahead]:,.0f} entries/s ({child['seconds']:.1f} s, "
                  f"verified={child['verified']})")
        print(f"  reading ahead is {rates[None] / rates[0]:.1f}x faster")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="1,000,000 entries")
    parser.add_argument("--workers", type=int, default=None,
                        help="signature processes besides the main one (default: cores - 1; the main one shares)")
    parser.add_argument("--batch", type=int, default=2000, help="signatures per worker task")
    parser.add_argument("--rounds", type=int, default=None,
                        help="baseline + verification rounds (default 3; 1 with --million)")
    parser.add_argument("--http-delay", type=float, metavar="MS",
                        help="verify over HTTP, each response MS milliseconds late, with and without read-ahead")
    parser.add_argument("--read-ahead", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--verify-child", nargs=2, metavar=("TARGET", "KEY"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-child", nargs=2, metavar=("TILES", "MS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.verify_child:
        verify_child(args.verify_child[0], args.verify_child[1], args.workers, args.batch, args.read_ahead)
        return
    if args.serve_child:
        serve_child(args.serve_child[0], float(args.serve_child[1]))
        return
    entries = 1_000_000 if args.million else args.entries
    if args.rounds is None:
        args.rounds = 1 if args.million else 3
    directory = OUT / f"verify-{GENERATOR}-{entries}"
    print(f"log of {entries:,} entries in {directory}")
    t = time.perf_counter()
    key = generate(entries, directory)
    print(f"  ready in {time.perf_counter() - t:.1f} s")
    tiles = directory / "tiles"

    workers = [] if args.workers is None else ["--workers", str(args.workers)]
    if args.http_delay is not None:
        over_http(tiles, key, args.http_delay, [*workers, "--batch", str(args.batch)])
        return
    ratios = []
    for round_ in range(1, args.rounds + 1):
        # The machine is shared and its speed drifts: each round measures its own baseline
        # right before the verification it is compared with.
        raw, count = raw_rate(tiles, entries)
        child = run_verify_child(str(tiles), key, [*workers, "--batch", str(args.batch)])
        rate = child["size"] / child["seconds"]
        cores = child["cores"]
        ratios.append(rate / (raw * cores))
        print(f"round {round_} of {args.rounds}")
        print(f"  raw Ed25519 verify, one core:  {raw:,.0f}/s over {count:,} signatures")
        print(f"  full verification:             {rate:,.0f} entries/s ({child['seconds']:.1f} s, "
              f"verified={child['verified']}, failures={child['failures']})")
        print(f"  ratio to raw x {cores} cores:        {ratios[-1]:.2f}")
        inline = child["inline_signatures"] / child["size"]
        print(f"  main process CPU:              {child['main_cpu']:.1f} s = "
              f"{child['main_cpu'] / child['seconds']:.0%} of wall time (it checked ~{inline:.0%} of the "
              f"signatures itself while the pool was busy); workers CPU {child['workers_cpu']:.1f} s")
        cpu_entry = (child["main_cpu"] + child["workers_cpu"]) / child["size"] * 1e6
        replay = cpu_entry - 1e6 / raw  # everything but the signatures, if they cost what they cost alone
        print(f"  CPU per entry:                 {cpu_entry:.0f} us (main process "
              f"{child['main_cpu'] / child['size'] * 1e6:.0f}, workers "
              f"{child['workers_cpu'] / child['size'] * 1e6:.0f}) vs raw {1e6 / raw:.0f} us per signature -> "
              f"CPU efficiency {1e6 / raw / cpu_entry:.2f}; ~{replay:.0f} us/entry is the replay "
              "(parse, rules, tree)")
        print(f"  peak memory:                   main {child['self_kib'] / 1024:.0f} MiB, "
              f"largest worker {child['children_kib'] / 1024:.0f} MiB")
    print(f"ratio to raw x cores, median of {len(ratios)}: {statistics.median(ratios):.2f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}; goal >= 0.80)")


if __name__ == "__main__":
    main()
