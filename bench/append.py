"""Append throughput: signed records through the Sunlight application, against baselines
measured in the same run on the same disk.

    python bench/append.py [--n 2000] [--batch 100]

Rows printed (events/s):
  sunlight signed, 1 per transaction     -- verify + rules + tree + checkpoint, committed
  sunlight signed, batches of N          -- submit_batch
  eventsourcing unsigned, 1 per save     -- plain eventsourcing + eventsourcing-sqlalchemy
  eventsourcing unsigned, N per save
  raw sqlite3, 1 per transaction         -- WAL, synchronous=FULL
  raw sqlite3, N per transaction
Ratios: signed / unsigned eventsourcing (goal for single appends >= 0.75).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.signing import Submission
from tests.committee import Committee


def signed_batch(c: Committee, n: int, prefix: str) -> list[Submission]:
    body = "本月居委会例会审议通过的事项已全部进入执行。" * 6
    return [c.sign("member", "disclosure.published", {
        "disclosure_id": f"{prefix}{i}", "category": "other", "period": "2025-03",
        "title": f"公开事项 {i}", "body": body}) for i in range(n)]


class Ledgerish(Aggregate):
    @event("Recorded")
    def record(self, entry: str) -> None:
        self.last = entry


@dataclass
class Result:
    name: str
    rate: float


def bench_sunlight(tmp: Path, n: int, batch: int) -> tuple[Result, Result, int]:
    c = Committee.found(f"sqlite:///{tmp / 'sunlight.db'}")
    singles = signed_batch(c, n, "s")
    entry_size = len(singles[0].statement) + 180
    t = time.perf_counter()
    for sub in singles:
        c.app.submit(sub)
    single = Result("sunlight signed, 1 per transaction", n / (time.perf_counter() - t))
    batches = signed_batch(c, n, "b")
    t = time.perf_counter()
    for i in range(0, n, batch):
        c.app.submit_batch(batches[i:i + batch])
    many = Result(f"sunlight signed, batches of {batch}", n / (time.perf_counter() - t))
    return single, many, entry_size


def bench_eventsourcing(tmp: Path, n: int, batch: int, size: int) -> tuple[Result, Result]:
    app = Application[UUID](env={"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                                 "SQLALCHEMY_URL": f"sqlite:///{tmp / 'es.db'}",
                                 "CREATE_TABLE": "y"})
    payload = "x" * size
    agg = Ledgerish()
    app.save(agg)
    t = time.perf_counter()
    for _ in range(n):
        agg.record(payload)
        app.save(agg)
    single = Result("eventsourcing unsigned, 1 per save", n / (time.perf_counter() - t))
    t = time.perf_counter()
    for _ in range(0, n, batch):
        for _ in range(batch):
            agg.record(payload)
        app.save(agg)
    many = Result(f"eventsourcing unsigned, {batch} per save", n / (time.perf_counter() - t))
    return single, many


def bench_sqlite(tmp: Path, n: int, batch: int, size: int) -> tuple[Result, Result]:
    db = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, state BLOB)")
    payload = b"x" * size
    t = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN")
        db.execute("INSERT INTO t (v, state) VALUES (?, ?)", (i, payload))
        db.execute("COMMIT")
    single = Result("raw sqlite3, 1 per transaction", n / (time.perf_counter() - t))
    t = time.perf_counter()
    for i in range(0, n, batch):
        db.execute("BEGIN")
        db.executemany("INSERT INTO t (v, state) VALUES (?, ?)", [(i, payload)] * batch)
        db.execute("COMMIT")
    many = Result(f"raw sqlite3, {batch} per transaction", n / (time.perf_counter() - t))
    return single, many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        tmp = Path(d)
        s1, sb, size = bench_sunlight(tmp, args.n, args.batch)
        e1, eb = bench_eventsourcing(tmp, args.n, args.batch, size)
        r1, rb = bench_sqlite(tmp, args.n, args.batch, size)
    print(f"append bench: {args.n} records, entry ~{size} bytes, SQLite file, this machine")
    for r in (s1, sb, e1, eb, r1, rb):
        print(f"  {r.name:42} {r.rate:9.0f} /s")
    print(f"  ratio signed/unsigned eventsourcing, single: {s1.rate / e1.rate:.2f} (goal >= 0.75)")
    print(f"  ratio signed/unsigned eventsourcing, batch:  {sb.rate / eb.rate:.2f}")
    print(f"  ratio signed single / raw sqlite3 single:    {s1.rate / r1.rate:.2f}")


if __name__ == "__main__":
    main()
