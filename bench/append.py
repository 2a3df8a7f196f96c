"""Append throughput: signed records through the Sunlight application, against baselines
measured in the same run on the same disk.

    python bench/append.py [--n 2000] [--batch 100] [--rounds 5]

Rows printed (events/s):
  sunlight signed, 1 per transaction     -- verify + rules + tree + checkpoint, committed
  sunlight co-signed (2), 1 per transaction -- the same, each statement signed by two members
  sunlight signed, batches of N          -- submit_batch
  eventsourcing unsigned, 1 per save     -- plain eventsourcing + eventsourcing-sqlalchemy
  eventsourcing unsigned, N per save
  raw sqlite3, 1 per transaction         -- WAL, synchronous=FULL
  raw sqlite3, N per transaction
Ratios: signed / unsigned eventsourcing (goal for single appends >= 0.75); co-signed / signed
(goal >= 0.8: a second signature costs one more verification, not another transaction).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.signing import Submission
from tests.committee import Committee


def signed_batch(c: Committee, n: int, prefix: str, who: tuple[str, ...] = ("member",)
                 ) -> list[Submission]:
    body = "本月居委会例会审议通过的事项已全部进入执行。" * 6
    return [c.cosign(list(who), "disclosure.published", {
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


def timed(rate_of: list[float], n: int, run: Callable[[], None]) -> None:
    t = time.perf_counter()
    run()
    rate_of.append(n / (time.perf_counter() - t))


def bench(tmp: Path, n: int, batch: int, rounds: int) -> tuple[list[Result], int]:
    """Every path measured in each of ``rounds`` interleaved rounds; the median rate is kept, so
    that another job on this shared machine slows all paths alike."""
    c = Committee.found(f"sqlite:///{tmp / 'sunlight.db'}")
    per = n // rounds
    singles = [signed_batch(c, per, f"s{r}-") for r in range(rounds)]
    batches = [signed_batch(c, per, f"b{r}-") for r in range(rounds)]
    cosigned = [signed_batch(c, per, f"c{r}-", ("member", "supervisor")) for r in range(rounds)]
    size = len(singles[0][0].statement) + 180
    es = Application[UUID](env={"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                                "SQLALCHEMY_URL": f"sqlite:///{tmp / 'es.db'}", "CREATE_TABLE": "y"})
    payload = "x" * size
    agg = Ledgerish()
    es.save(agg)
    raw = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, state BLOB)")
    blob = payload.encode()
    rates: dict[str, list[float]] = {name: [] for name in NAMES}

    def es_single() -> None:
        for _ in range(per):
            agg.record(payload)
            es.save(agg)

    def es_batch() -> None:
        for _ in range(0, per, batch):
            for _ in range(batch):
                agg.record(payload)
            es.save(agg)

    def raw_single() -> None:
        for i in range(per):
            raw.execute("BEGIN")
            raw.execute("INSERT INTO t (v, state) VALUES (?, ?)", (i, blob))
            raw.execute("COMMIT")

    def raw_batch() -> None:
        for i in range(0, per, batch):
            raw.execute("BEGIN")
            raw.executemany("INSERT INTO t (v, state) VALUES (?, ?)", [(i, blob)] * batch)
            raw.execute("COMMIT")

    for r in range(rounds):
        def signed_single(r: int = r) -> None:
            for s in singles[r]:
                c.app.submit(s)

        def cosigned_single(r: int = r) -> None:
            for s in cosigned[r]:
                c.app.submit(s)

        def signed_batches(r: int = r) -> None:
            for i in range(0, per, batch):
                c.app.submit_batch(batches[r][i:i + batch])

        timed(rates["signed1"], per, signed_single)
        timed(rates["cosigned1"], per, cosigned_single)
        timed(rates["signedN"], per, signed_batches)
        timed(rates["es1"], per, es_single)
        timed(rates["esN"], per, es_batch)
        timed(rates["raw1"], per, raw_single)
        timed(rates["rawN"], per, raw_batch)
    c.app.close()
    es.close()
    raw.close()
    labels = {
        "signed1": "sunlight signed, 1 per transaction",
        "cosigned1": "sunlight co-signed (2), 1 per transaction",
        "signedN": f"sunlight signed, batches of {batch}",
        "es1": "eventsourcing unsigned, 1 per save",
        "esN": f"eventsourcing unsigned, {batch} per save",
        "raw1": "raw sqlite3, 1 per transaction",
        "rawN": f"raw sqlite3, {batch} per transaction",
    }
    return [Result(labels[k], statistics.median(v)) for k, v in rates.items()], size


NAMES = ("signed1", "cosigned1", "signedN", "es1", "esN", "raw1", "rawN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        results, size = bench(Path(d), args.n, args.batch, args.rounds)
    s1, c1, sb, e1, eb, r1, rb = results
    print(f"append bench: {args.n} records per path in {args.rounds} interleaved rounds (median), "
          f"entry ~{size} bytes, SQLite file (WAL, synchronous FULL)")
    for r in (s1, c1, sb, e1, eb, r1, rb):
        print(f"  {r.name:42} {r.rate:9.0f} /s")
    print(f"  ratio signed/unsigned eventsourcing, single: {s1.rate / e1.rate:.2f} (goal >= 0.75)")
    print(f"  ratio co-signed (2) / signed, single:        {c1.rate / s1.rate:.2f} (goal >= 0.8)")
    print(f"  ratio signed/unsigned eventsourcing, batch:  {sb.rate / eb.rate:.2f}")
    print(f"  ratio signed single / raw sqlite3 single:    {s1.rate / r1.rate:.2f}")


if __name__ == "__main__":
    main()
