"""A district on one database: N communities, each a year of records (the demo builder, ~378
signed records a community, through the real signing path), on SQLite and on PostgreSQL.

    python bench/district.py                 # 300 communities, SQLite then PostgreSQL
    python bench/district.py --quick         # 10 communities
    python bench/district.py --n 40 --backend sqlite

Printed per backend, each beside its goal and verdict:
  - appends/s across communities (the N communities recorded one after the other in one
    process and database) against the single-community rate (one community into an empty
    database, measured in the same run after a first one): goal >= 0.8;
  - the full district publish (every community's portal and the district pages, without the
    search index) in seconds and pages/s, against a plain MkDocs + Material build of as many
    pages per page (bench/publish.py's baseline, capped at --plain-max pages): goal <= 1.5x;
  - one new record in one community, re-published: goal <= 5 s.

Generated databases are cached in bench/out/ (SQLite files, PostgreSQL dumps taken with
pg_dump) with the append rate measured when they were made; a run on a cached database measures
that rate again on --fresh communities appended to a copy. PostgreSQL: 127.0.0.1:5432 user
postgres (``--pg`` to change), in a database of its own that the bench drops at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# bench/ holds scripts named like stdlib modules (http.py): keep it off the import path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))


def _sibling(name: str) -> Any:
    """Another bench script, loaded from its file (bench/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", _HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_publish = _sibling("publish")
measure, plain_build = _publish.measure, _publish.plain_build

import ledger.demo as demo_module  # noqa: E402
from ledger.application import Sunlight  # noqa: E402
from ledger.demo import build_demo, demo_key  # noqa: E402
from ledger.signing import Statement  # noqa: E402

OUT = _HERE / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "sunlight_bench_district"


def community_ids(n: int, prefix: str = "c") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def record(url: str, ids: list[str]) -> tuple[int, float]:
    """Records the demo year of every community in ``ids``; (records, seconds)."""
    app = Sunlight(url)
    try:
        before = sum(app.size(c.community_id) for c in app.communities())
        started = time.perf_counter()
        for n, cid in enumerate(ids):
            build_demo(app, cid, name=f"第{cid[1:]}社区")
            if (n + 1) % 25 == 0:
                print(f"    {n + 1}/{len(ids)} communities", flush=True)
        seconds = time.perf_counter() - started
        after = sum(app.size(c.community_id) for c in app.communities())
    finally:
        app.close()
    return after - before, seconds


def add_one(url: str, community: str) -> None:
    at = datetime(2025, 12, 31, 2, 0, tzinfo=UTC)
    app = Sunlight(url, clock=lambda: at)
    try:
        app.submit(demo_key("li").sign(Statement(community, "disclosure.published", at, {
            "disclosure_id": "D-bench-new", "category": "other", "period": "2025-12",
            "title": "年末楼道清理完毕", "body": "各楼道杂物已清理。"})))
    finally:
        app.close()


def do_publish(url: str, out: str, cache: str) -> None:
    from publisher.district import publish_district

    app = Sunlight(url)
    try:
        result = publish_district(app, "基准街道", Path(out), base_url="https://portal.example/",
                                  cache_dir=Path(cache), search=False)
    finally:
        app.close()
    Path(out, ".pages").write_text(str(result.pages), encoding="utf-8")


# --- databases ------------------------------------------------------------------------------


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def prepare(backend: str, n: int, work: Path, fresh: int) -> tuple[str, float, str]:
    """A database of ``n`` communities for this run (from the cache when there is one);
    returns its URL, the across-communities append rate and where that rate was measured."""
    OUT.mkdir(exist_ok=True)
    # named by the demo builder's source: a database recorded by another demo is not reused
    demo = hashlib.sha256(Path(demo_module.__file__ or "").read_bytes()).hexdigest()[:8]
    meta_file = OUT / f"district-{backend}-{n}-{demo}.json"
    cached = OUT / (f"district-{n}-{demo}.db" if backend == "sqlite"
                    else f"district-{n}-{demo}.pgdump")
    if backend == "sqlite":
        url = f"sqlite:///{work / 'district.db'}"
    else:
        _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{BENCH_DB}"')
        url = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] \
            + f"/{BENCH_DB}"
    if cached.exists() and meta_file.exists():
        if backend == "sqlite":
            shutil.copy2(cached, work / "district.db")
        else:
            subprocess.run(["pg_restore", "-h", "127.0.0.1", "-U", "postgres", "-d", BENCH_DB,
                            "--no-owner", str(cached)], check=True)
        records, seconds = record(url, community_ids(fresh, "x"))
        return url, records / seconds, f"{fresh} more communities appended to the cached {n}"
    print(f"  recording {n} communities (cached in {cached.name} for later runs)", flush=True)
    records, seconds = record(url, community_ids(n))
    meta_file.write_text(json.dumps({"records": records, "seconds": seconds}), encoding="utf-8")
    if backend == "sqlite":
        shutil.copy2(work / "district.db", cached)
    else:
        subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f",
                        str(cached), BENCH_DB], check=True)
    return url, records / seconds, f"the {n} communities as they were recorded"


def single_rate(backend: str, work: Path) -> float:
    """One community into an empty database of the same backend, after one recorded into
    another (not timed), so that neither rate carries the process's first-use costs."""
    rates = []
    for label in ("warmup", "single"):
        if backend == "sqlite":
            url = f"sqlite:///{work / f'{label}.db'}"
        else:
            name = f"{BENCH_DB}_{label}"
            _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg(f'CREATE DATABASE "{name}"')
            url = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] \
                + f"/{name}"
        try:
            records, seconds = record(url, [label])
        finally:
            if backend != "sqlite":
                _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}_{label}" WITH (FORCE)')
        rates.append(records / seconds)
    return rates[-1]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(backend: str, n: int, fresh: int, plain_max: int) -> None:
    print(f"{backend}, {n} communities:", flush=True)
    work = Path(tempfile.mkdtemp(prefix=f"sunlight-bench-district-{backend}-"))
    try:
        single = single_rate(backend, work)
        url, across, where = prepare(backend, n, work, fresh)
        print(f"  appends/s, one community   {single:9.0f}")
        print(f"  appends/s, across          {across:9.0f}   ({where})")
        print(f"  across / single            {across / single:9.2f}   goal >= 0.8: "
              f"{verdict(across / single >= 0.8)}")
        out, cache = work / "site", work / "cache"
        full, full_mem = measure(do_publish, url, str(out), str(cache))
        pages = int((out / ".pages").read_text(encoding="utf-8"))
        plain_pages = min(pages, plain_max)
        plain, _ = measure(plain_build, str(work / "plain"), plain_pages)
        per_page = (full / pages) / (plain / plain_pages)
        print(f"  full district publish      {full:9.1f} s  {pages:,} pages, {pages / full:.0f} pages/s,"
              f" peak {full_mem:.0f} MiB")
        print(f"  plain MkDocs build         {plain:9.1f} s  {plain_pages:,} pages, "
              f"{plain_pages / plain:.0f} pages/s")
        print(f"  per page, district / plain {per_page:9.2f}   goal <= 1.5: {verdict(per_page <= 1.5)}")
        add_one(url, community_ids(1)[0])
        again, _ = measure(do_publish, url, str(out), str(cache))
        print(f"  one record, re-published   {again:9.1f} s   goal <= 5 s: {verdict(again <= 5)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if backend != "sqlite":
            _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def main() -> None:
    global PG_ADMIN
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None, help="communities (default 300)")
    parser.add_argument("--quick", action="store_true", help="10 communities")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--fresh", type=int, default=3,
                        help="communities appended to a cached database to measure the rate")
    parser.add_argument("--plain-max", type=int, default=5000,
                        help="pages of the plain MkDocs baseline at most (its rate per page)")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL (libpq form)")
    args = parser.parse_args()
    PG_ADMIN = args.pg
    n = args.n or (10 if args.quick else 300)
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        run(backend, n, args.fresh, args.plain_max)


if __name__ == "__main__":
    main()
