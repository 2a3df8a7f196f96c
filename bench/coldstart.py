# ruff: noqa: E402  (sys.path is fixed before the imports: see below)
"""Cold starts: a community loaded from its snapshot and the log's tail, against the full fold.

    python bench/coldstart.py [--size 100000] [--communities 300] [--per-community 300]
                              [--db-url postgresql+psycopg://...] [--only one|many]

1. Builds a community log of ``--size`` entries (disclosures and fee income, bulk, through the
   real signing path), once: cached under ``bench/out/`` and copied for each run.
2. Loads it the old way (the whole log folded, writer state and read view: the baseline), then
   from a snapshot plus a tail of 1,000 entries (goal: <= 0.5 s), and prints the ratio.
3. Builds ``--communities`` communities of ``--per-community`` entries each (cached too), starts
   ``sunlight serve`` on them without snapshots (the baseline) and then with a snapshot of every
   community (as a service leaves them when it stops), and measures from the start of the process
   to the first answer for a community picked at random:
   ``/v1/communities/<c>/projections/disclosures`` (goal: <= 1 s with snapshots). Beside each
   time, the CPU time the service had used by then (its threads too): on a busy machine the
   wall time is mostly waiting for a core.

``--only`` runs one of the two parts.

With ``--db-url`` (an empty PostgreSQL database) the communities are built there instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from datetime import UTC, datetime

from ledger.api.readmodel import ReadModel
from ledger.application import Sunlight
from ledger.gcpause import gc_paused
from ledger.signing import MemberKey, Statement, Submission
from tests.committee import Committee

OUT = Path(__file__).resolve().parent / "out"
GENERATOR = "v1"  # bump when the generated logs change: the caches are keyed by it
BODY = "本月居委会例会审议通过的事项已全部进入执行。" * 4
CATEGORIES = ("decision", "fund_use", "work_items", "consultation", "other")
SUNLIGHT = str(Path(sys.executable).with_name("sunlight"))


def signed(community: str, key: MemberKey, prefix: str, n: int, at: datetime) -> list[Submission]:
    out = []
    for i in range(n):
        if i % 2:
            kind, body = "fee.income_recorded", {
                "estate_id": "e1", "income_id": f"{prefix}{i}", "source": "property_fee",
                "period": f"20{20 + i % 6}-{1 + i % 12:02d}", "amount_fen": 10_000 + i,
                "received_on": f"2026-{1 + i % 11:02d}-05"}
        else:
            kind, body = "disclosure.published", {
                "disclosure_id": f"{prefix}{i}", "category": CATEGORIES[i % len(CATEGORIES)],
                "period": f"20{20 + i % 6}-{1 + i % 12:02d}", "title": f"公开事项 {i}",
                "body": BODY}
        out.append(key.sign(Statement(community, kind, at, body)))
    return out


def grow(c: Committee, size: int) -> None:
    """Appends signed records until the community's log has ``size`` entries."""
    now = datetime.now(UTC).replace(microsecond=0)
    c.clock.now = now
    done = c.app.size(c.community)
    while done < size:
        batch = min(1000, size - done)
        c.app.submit_batch(signed(c.community, c.keys["treasurer"], f"b{done}-", batch, now))
        done += batch


def cached(name: str, build: object) -> Path:
    directory = OUT / f"coldstart-{GENERATOR}-{name}"
    if not (directory / "done").is_file():
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("bench.db*"):
            stale.unlink()
        t = time.perf_counter()
        build(f"sqlite:///{directory / 'bench.db'}")  # type: ignore[operator]
        print(f"{name} built in {time.perf_counter() - t:.1f} s (cached in {directory})")
        (directory / "done").touch()
    return directory / "bench.db"


def build_one(size: int):  # type: ignore[no-untyped-def]
    def build(url: str) -> None:
        c = Committee.found(url)
        grow(c, size)
        c.app.close()
    return build


def build_many(count: int, per: int):  # type: ignore[no-untyped-def]
    def build(url: str) -> None:
        for n in range(count):
            c = Committee.found(url, community=f"c{n:03d}", log_seed=bytes([n % 250 + 1]) * 32)
            grow(c, per)
            c.app.close()
    return build


def load(url: str, community: str) -> tuple[float, float, float]:
    """Seconds for a fresh process's read view of ``community`` to be ready (a reader's answer),
    then its writers' state (the first write's); and the CPU seconds of both (on a busy
    machine, the steadier figure)."""
    cpu = time.process_time()
    t = time.perf_counter()
    app = Sunlight(url)
    reads = ReadModel(app, snapshot_every=0)
    with gc_paused():  # as the service loads (ReadModel.load, ReadModel.warm)
        with reads.locked(community):
            pass
        view = time.perf_counter() - t
        app.size(community)
    writers = time.perf_counter() - t - view
    cpu = time.process_time() - cpu
    reads.close(snapshot=False)
    app.close()
    return view, writers, cpu


def one_community(size: int, tail: int) -> None:
    source = cached(f"one-{size}", build_one(size))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        shutil.copyfile(source, db)
        url = f"sqlite:///{db}"
        full = load(url, "testcom")
        # A snapshot at size - tail (as a service leaves one every N entries), then the tail.
        app = Sunlight(url)
        reads = ReadModel(app, snapshot_every=0)
        reads.snapshot_at("testcom", size - tail)
        reads.close(snapshot=False)
        app.close()
        snap = min((load(url, "testcom") for _ in range(3)), key=lambda r: r[0] + r[1])
    goal = 0.5
    total, full_total = snap[0] + snap[1], full[0] + full[1]
    print(f"one community of {size:,} entries: full fold {full_total:.2f} s (read view "
          f"{full[0]:.2f} s, then writers {full[1]:.2f} s; CPU {full[2]:.2f} s); snapshot at "
          f"{size - tail:,} + tail of {tail:,}: {total:.3f} s (read view {snap[0]:.3f} s, then "
          f"writers {snap[1]:.3f} s; CPU {snap[2]:.3f} s; x{full_total / total:.1f} faster; goal "
          f"<= {goal} s: {'PASS' if total <= goal else 'FAIL'}; read view alone: "
          f"{'PASS' if snap[0] <= goal else 'FAIL'})")


def first_answer(url: str, community: str, path: str | None = None) -> tuple[float, float]:
    """Seconds from starting ``sunlight serve`` to its first 200 for ``community`` (or for
    ``path``: ``/healthz`` gives the floor, the process's own start), and the CPU seconds the
    process had used by then."""
    with socket.socket() as probe:  # a port no other program holds (a random one once did)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SUNLIGHT_DB": url}
    t = time.perf_counter()
    proc = subprocess.Popen([SUNLIGHT, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        path = f"http://127.0.0.1:{port}" + (
            path or f"/v1/communities/{community}/projections/disclosures")
        while True:
            try:
                with urllib.request.urlopen(path, timeout=30) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - t, cpu_seconds(proc.pid)
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("sunlight serve exited") from None
                time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process, all its threads (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def take_snapshots(url: str) -> None:
    app = Sunlight(url)
    app.store.drop_snapshots()
    reads = ReadModel(app, snapshot_every=0)
    for info in app.communities():
        with reads.locked(info.community_id):
            pass
    reads.close()  # writes a snapshot of every loaded view
    app.close()


def many_communities(count: int, per: int, db_url: str | None) -> None:
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as tmp:
        if db_url is None:
            db = Path(tmp) / "bench.db"
            shutil.copyfile(cached(f"many-{count}x{per}", build_many(count, per)), db)
            url = f"sqlite:///{db}"
            app = Sunlight(url)
            app.store.drop_snapshots()
            app.close()
        else:
            url = db_url
            app = Sunlight(url)
            app.store.drop_snapshots()
            if len(app.communities()) < count:
                build_many(count, per)(url)
            app.close()
        no_snapshots = first_answer(url, f"c{rng.randrange(count):03d}")
        take_snapshots(url)  # as a service that loaded every community leaves them when it stops
        with_snapshots = [first_answer(url, f"c{rng.randrange(count):03d}") for _ in range(3)]
        floor = first_answer(url, "", "/healthz")
    goal = 1.0
    best = min(with_snapshots)
    print(f"{count} communities of {per} entries: first answer after start without snapshots "
          f"{no_snapshots[0]:.2f} s ({no_snapshots[1]:.2f} s CPU), with snapshots "
          f"{best[0]:.2f} s ({best[1]:.2f} s CPU; median of 3: {sorted(with_snapshots)[1][0]:.2f} "
          f"s; x{no_snapshots[0] / best[0]:.1f}; goal <= {goal} s: "
          f"{'PASS' if best[0] <= goal else 'FAIL'}); the process's own start (first /healthz): "
          f"{floor[0]:.2f} s ({floor[1]:.2f} s CPU); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--tail", type=int, default=1_000)
    parser.add_argument("--communities", type=int, default=300)
    parser.add_argument("--per-community", type=int, default=300)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--only", choices=("one", "many"), default=None,
                        help="run only the first part (one community) or the second (many)")
    args = parser.parse_args()
    if args.only != "many":
        one_community(args.size, args.tail)
    if args.only != "one":
        many_communities(args.communities, args.per_community, args.db_url)


if __name__ == "__main__":
    main()
