"""A district on one database: N communities, each a year of records (the demo builder, ~400
signed records a community, through the real signing path), on SQLite and on PostgreSQL.

    python bench/district.py                 # 300 communities (~120,000 records), both backends
    python bench/district.py --quick         # 10 communities
    python bench/district.py --n 40 --backend sqlite --no-publish

Printed per backend, each goal with PASS or FAIL as it is measured, and all again at the end:
  - appends/s across communities (--fresh more communities recorded one after the other, in one
    process, into the district's database) against one community recorded into an empty
    database (after a first one, untimed): goal >= 0.8;
  - the service (``sunlight serve --workers 2`` on PostgreSQL, one worker on SQLite) with
    every community loaded in every worker (a projection of each community asked of each
    worker over a connection that worker accepted, found in /proc; then its start-up warming
    waited out): each worker's RSS, PSS and peak RSS, goal <= 400 MB -- once folded from the
    log, once from the snapshots the first run left when it stopped;
  - cold start: process start to the first 200 for a random community's projection, after a
    graceful stop (snapshots as a service leaves them), three starts: goal <= 1 s (the goal
    of bench/coldstart.py), beside the process's own start to its first /healthz;
  - the full district publish (every community's portal and the district pages, without the
    search index): seconds, pages/s and ms per record, against a plain MkDocs + Material
    build per page (bench/publish.py's baseline, at most --plain-max pages): goal <= 1.5x;
  - linear in records: the median seconds per record of the last quarter of the communities
    built against the first quarter's: goal <= 1.25;
  - one new record in one community, re-published: goal <= 5 s.

Generated databases are cached in bench/out/, keyed by GENERATOR and the demo builder's source
(SQLite files; PostgreSQL dumps taken with pg_dump, built by --jobs processes at once, each its
own communities), with the time the build took. PostgreSQL: 127.0.0.1:5432 user postgres
(``--pg`` to change), in databases of its own (district_bench_<N>...) that it drops at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import statistics
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

import http.client  # noqa: E402  (the stdlib's, now that bench/http.py is off the path)

import ledger.demo as demo_module  # noqa: E402
from ledger.application import Sunlight  # noqa: E402
from ledger.demo import build_demo, demo_key  # noqa: E402
from ledger.signing import Statement  # noqa: E402

OUT = _HERE / "out"
SUNLIGHT = str(Path(sys.executable).with_name("sunlight"))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "district_bench"
GENERATOR = "v2"  # bump when the generated databases change: the caches are keyed by it


def community_ids(n: int, prefix: str = "c") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def record(url: str, ids: list[str]) -> tuple[int, float]:
    """Records the demo year of every community in ``ids``; (records, seconds)."""
    app = Sunlight(url)
    try:
        started = time.perf_counter()
        for n, cid in enumerate(ids):
            build_demo(app, cid, name=f"第{cid[1:]}社区")
            if (n + 1) % 25 == 0:
                print(f"    {n + 1}/{len(ids)} communities", flush=True)
        seconds = time.perf_counter() - started
        records = sum(app.size(cid) for cid in ids)
    finally:
        app.close()
    return records, seconds


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
    """The district publish; writes its page count and, for each community built, its
    seconds and log size (in the order built) beside the site."""
    import publisher.district as district
    from publisher.district import publish_district

    app = Sunlight(url)
    timings: list[tuple[str, float, int]] = []
    plain_publish = vars(district)["publish"]  # the module's name for one community's publish

    started = time.perf_counter()
    log = Path(out).with_name("timings.jsonl")  # as it goes: a run stopped early still tells

    def timed(app: Sunlight, community_id: str, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        result = plain_publish(app, community_id, *args, **kwargs)
        timings.append((community_id, time.perf_counter() - t, app.size(community_id)))
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(timings[-1]) + "\n")
        if len(timings) % 25 == 0:
            done = sum(r for _, _, r in timings)
            print(f"    published {len(timings)} communities, {done:,} records in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        return result

    vars(district)["publish"] = timed  # a bench: times each community's build
    try:
        result = publish_district(app, "基准街道", Path(out), base_url="https://portal.example/",
                                  cache_dir=Path(cache), search=False)
    finally:
        vars(district)["publish"] = plain_publish
        app.close()
    Path(out, ".pages").write_text(str(result.pages), encoding="utf-8")
    Path(out, ".timings.json").write_text(json.dumps(timings), encoding="utf-8")


def linearity(timings: list[list[Any]]) -> tuple[float, float]:
    """Median seconds per record of the first and of the last quarter of the communities, in
    the order they were built: a publish linear in records takes as long a record at the end
    of the district as at its start."""
    quarter = max(1, len(timings) // 4)
    per = [seconds / records for _, seconds, records in timings]
    return statistics.median(per[:quarter]), statistics.median(per[-quarter:])


# --- databases ------------------------------------------------------------------------------


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def _pg_url(name: str) -> str:
    return PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"


def _record_job(url: str, ids: list[str], q: Any) -> None:
    q.put(record(url, ids))


def build(url: str, ids: list[str], jobs: int) -> tuple[int, float]:
    """Records the demo year of every community in ``ids``, in ``jobs`` processes at once
    (each its own communities, one after the other); (records, wall seconds)."""
    if jobs <= 1:
        return record(url, ids)
    Sunlight(url).close()  # the tables, created once before the jobs start
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    started = time.perf_counter()
    procs = [ctx.Process(target=_record_job, args=(url, ids[j::jobs], q)) for j in range(jobs)]
    for p in procs:
        p.start()
    done = [q.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a build job exited with {p.exitcode}")
    return sum(r for r, _ in done), time.perf_counter() - started


def prepare(backend: str, n: int, work: Path, fresh: int, jobs: int) -> tuple[str, float]:
    """A database of ``n`` communities for this run (from the cache when there is one, else
    built in ``jobs`` processes and cached); returns its URL and the across-communities append
    rate: ``fresh`` more communities recorded one after the other into it, in this process."""
    OUT.mkdir(exist_ok=True)
    # named by the demo builder's source and this generator: a database recorded by another
    # demo or generator is not reused
    demo = hashlib.sha256(Path(demo_module.__file__ or "").read_bytes()).hexdigest()[:8]
    stem = f"district-{GENERATOR}-{n}-{demo}"
    meta_file = OUT / f"{stem}-{backend}.json"
    cached = OUT / (f"{stem}.db" if backend == "sqlite" else f"{stem}.pgdump")
    if backend == "sqlite":
        url = f"sqlite:///{work / 'district.db'}"
    else:
        _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{BENCH_DB}"')
        url = _pg_url(BENCH_DB)
    if cached.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        t = time.perf_counter()
        if backend == "sqlite":
            shutil.copy2(cached, work / "district.db")
        else:
            subprocess.run(["pg_restore", "-h", "127.0.0.1", "-U", "postgres", "-d", BENCH_DB,
                            "--no-owner", str(cached)], check=True)
        app = Sunlight(url)
        records = sum(app.size(c.community_id) for c in app.communities())
        app.close()
        print(f"  {n} communities, {records:,} records, restored from {cached.name} in "
              f"{time.perf_counter() - t:.1f} s (built in {meta['seconds']:.0f} s by "
              f"{meta['jobs']} process(es): {records / meta['seconds']:.0f} records/s)", flush=True)
    else:
        jobs = 1 if backend == "sqlite" else jobs  # SQLite: one writer at a time
        print(f"  recording {n} communities in {jobs} process(es) (cached in {cached.name} for "
              "later runs)", flush=True)
        records, seconds = build(url, community_ids(n), jobs)
        print(f"  built: {records:,} records in {seconds:.0f} s ({records / seconds:.0f}/s, "
              f"{jobs} process(es))", flush=True)
        if backend == "sqlite":
            shutil.copy2(work / "district.db", cached)
        else:
            subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f",
                            str(cached), BENCH_DB], check=True)
        meta_file.write_text(json.dumps({"records": records, "seconds": seconds, "jobs": jobs}),
                             encoding="utf-8")
    if not fresh:
        return url, 0.0
    records, seconds = record(url, community_ids(fresh, "x"))
    return url, records / seconds


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
            url = _pg_url(name)
        try:
            records, seconds = record(url, [label])
        finally:
            if backend != "sqlite":
                _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}_{label}" WITH (FORCE)')
        rates.append(records / seconds)
    return rates[-1]


# --- the service ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``sunlight serve --workers N`` on ``url``, started at construction; ``stop`` sends SIGINT
    (uvicorn's graceful stop: every worker writes its snapshots)."""

    healthcheck = 60

    def __init__(self, url: str, workers: int) -> None:
        self.port, self.workers = free_port(), workers
        env = {**os.environ, "SUNLIGHT_RATE_PER_ADDRESS": "0"}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([SUNLIGHT, "serve", "--db", url, "--port", str(self.port),
                                      "--workers", str(workers), "--log-level", "warning",
                                      "--worker-timeout", str(self.healthcheck)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(600)

    def get(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()

    def first_answer(self, path: str) -> float:
        """Seconds from the process's start to its first 200 for ``path``."""
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            try:
                if self.get(conn, path)[0] == 200:
                    return time.perf_counter() - self.started
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("sunlight serve exited") from None
                time.sleep(0.01)
            finally:
                conn.close()

    def worker_pids(self) -> list[int]:
        """The worker processes (uvicorn runs a single worker in its own process)."""
        if self.workers == 1:
            return [self.proc.pid]
        while True:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            # forked workers (sunlight serve's) or spawned ones; not multiprocessing's helper
            pids = [int(p) for p in children.split()
                    if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
            if len(pids) == self.workers:
                return pids
            if self.proc.poll() is not None:
                raise RuntimeError("sunlight serve exited")
            time.sleep(0.05)

    def serving_pid(self, conn: http.client.HTTPConnection, pids: list[int]) -> int | None:
        """The worker that accepted ``conn`` (it has answered once): the process holding the
        server end of the TCP connection, found in /proc."""
        client_port = conn.sock.getsockname()[1]
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (int(local.split(":")[1], 16) == self.port
                    and int(remote.split(":")[1], 16) == client_port):
                inode = fields[9]
        for pid in pids:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
        return None

    def connections(self, pids: list[int], tries: int = 500) -> dict[int, http.client.HTTPConnection]:
        """One kept-alive connection answered by each worker: connections are opened until
        every worker has accepted one (the others are closed)."""
        mine: dict[int, http.client.HTTPConnection] = {}
        for _ in range(tries):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            self.get(conn, "/healthz")
            pid = self.serving_pid(conn, pids)
            if pid is not None and pid not in mine:
                mine[pid] = conn
                if len(mine) == len(pids):
                    return mine
            else:
                conn.close()
        raise RuntimeError(f"{len(mine)} of {len(pids)} workers accepted a connection")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> tuple[float, float, float]:
    """(RSS, PSS, peak RSS) of a process in MB (10^6 bytes)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    rollup = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])

    def mb(value: str) -> float:
        return int(value.split()[0]) * 1024 / 1e6

    return mb(status["VmRSS"]), mb(rollup["Pss"]), mb(status["VmHWM"])


def loaded(url: str, workers: int, ids: list[str]) -> tuple[float, list[tuple[float, float, float]]]:
    """Starts the service, makes every worker answer for every community (a projection each:
    its read view loaded in that worker, over a connection that worker accepted), waits for
    each worker's start-up warming (read views, writers' state, tree hashes) to end (its CPU
    time still for 3 s), and returns the seconds from start to then and each worker's memory.
    The service is stopped gracefully: every worker leaves its snapshots."""
    service = Service(url, workers)
    try:
        service.first_answer("/healthz")
        pids = service.worker_pids()
        for community in ids:
            path = f"/v1/communities/{community}/projections/disclosures"
            for pid in pids:
                while True:
                    try:
                        conn = service.connections([pid])[pid]
                        status, _ = service.get(conn, path)
                        conn.close()
                    except (OSError, http.client.HTTPException):
                        continue  # the worker closed an idle connection: another one
                    if status == 200:
                        break
                    if status not in (503, 429):
                        raise RuntimeError(f"{path}: {status}")
        for pid, conn in service.connections(pids).items():
            status, body = service.get(conn, "/status")
            views = {c: v["read_view"] for c, v in json.loads(body)["communities"].items()}
            cold = [c for c in ids if views.get(c) != "ready"]
            if cold:
                raise RuntimeError(f"worker {pid}: {len(cold)} communities not loaded")
            conn.close()
        still = 0
        last = {pid: cpu_seconds(pid) for pid in pids}
        while still < 3:
            time.sleep(1)
            now = {pid: cpu_seconds(pid) for pid in pids}
            still = still + 1 if all(now[p] - last[p] < 0.05 for p in pids) else 0
            last = now
        seconds = time.perf_counter() - service.started - 3
        figures = [memory(pid) for pid in pids]
        if sorted(service.worker_pids()) != sorted(pids):
            raise RuntimeError("a worker was restarted while the communities loaded")
        return seconds, figures
    finally:
        service.stop()


def cold_start(url: str, workers: int, community: str) -> float:
    """Process start to the first 200 for ``community``'s projection, then a graceful stop."""
    service = Service(url, workers)
    try:
        return service.first_answer(f"/v1/communities/{community}/projections/disclosures")
    finally:
        service.stop()


def serve_figures(url: str, workers: int, ids: list[str]) -> dict[str, Any]:
    """Memory with every community loaded in every worker (folded from the log, then from the
    snapshots the first run left), and cold starts after a graceful stop."""
    app = Sunlight(url)
    app.store.drop_snapshots()
    app.close()
    rng = random.Random(16)
    from_log = loaded(url, workers, ids)
    starts = [cold_start(url, workers, rng.choice(ids)) for _ in range(3)]
    from_snapshots = loaded(url, workers, ids)
    service = Service(url, workers)
    try:
        floor = service.first_answer("/healthz")
    finally:
        service.stop()
    return {"from_log": from_log, "from_snapshots": from_snapshots, "starts": starts,
            "floor": floor}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


class Goals:
    """Each figure printed as it is measured; the goals with their verdicts again at the end."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, name: str, value: str, goal: str, ok: bool) -> None:
        line = f"{name:<44} {value:>12}   goal {goal}: {verdict(ok)}"
        self.lines.append(line)
        print("  " + line, flush=True)


def run(backend: str, n: int, fresh: int, plain_max: int, jobs: int, workers: int,
        publish: bool) -> None:
    print(f"{backend}, {n} communities (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores):", flush=True)
    goals = Goals()
    work = Path(tempfile.mkdtemp(prefix=f"sunlight-bench-district-{backend}-"))
    try:
        single = single_rate(backend, work)
        url, across = prepare(backend, n, work, fresh, jobs)
        print(f"  appends/s, one community into an empty database       {single:9.0f}")
        print(f"  appends/s, {fresh} more communities into the district    {across:9.0f}")
        goals.check("appends across communities / one community", f"{across / single:.2f}",
                    ">= 0.8", across / single >= 0.8)

        ids = community_ids(n)
        if backend == "sqlite":
            workers = 1  # more than one worker needs PostgreSQL (README)
        figures = serve_figures(url, workers, ids)
        for label, key in (("folded from the log", "from_log"),
                           ("from snapshots", "from_snapshots")):
            seconds, mems = figures[key]
            print(f"  sunlight serve --workers {workers}, {label}: every community loaded in "
                  f"every worker {seconds:.1f} s after start")
            for i, (rss, pss, peak) in enumerate(mems):
                print(f"    worker {i + 1}: RSS {rss:.0f} MB, PSS {pss:.0f} MB, peak RSS {peak:.0f} MB",
                      flush=True)
            worst = max(rss for rss, _, _ in mems)
            goals.check(f"memory of a worker ({label}), RSS", f"{worst:.0f} MB", "<= 400 MB",
                        worst <= 400)
        starts = sorted(figures["starts"])
        print(f"  cold start to first answer (3 starts, snapshots as a stopped service leaves "
              f"them): {', '.join(f'{s:.2f}' for s in figures['starts'])} s; the process's own "
              f"start (first /healthz) {figures['floor']:.2f} s")
        goals.check(f"cold start to first answer, --workers {workers}", f"{starts[1]:.2f} s",
                    "<= 1 s (bench/coldstart.py's)", starts[1] <= 1.0)

        if publish:
            out, cache = work / "site", work / "cache"
            full, full_mem = measure(do_publish, url, str(out), str(cache))
            pages = int((out / ".pages").read_text(encoding="utf-8"))
            timings = json.loads((out / ".timings.json").read_text(encoding="utf-8"))
            records = sum(r for _, _, r in timings)
            plain_pages = min(pages, plain_max)
            plain, _ = measure(plain_build, str(work / "plain"), plain_pages)
            per_page = (full / pages) / (plain / plain_pages)
            print(f"  full district publish   {full:9.1f} s  {pages:,} pages, {pages / full:.0f} "
                  f"pages/s, {records:,} records, {1000 * full / records:.1f} ms/record, "
                  f"peak {full_mem:.0f} MiB")
            print(f"  plain MkDocs build      {plain:9.1f} s  {plain_pages:,} pages, "
                  f"{plain_pages / plain:.0f} pages/s")
            goals.check("per page, district publish / plain MkDocs", f"{per_page:.2f}",
                        "<= 1.5", per_page <= 1.5)
            first, last = linearity(timings)
            print(f"  per record, median of the first / last quarter of the communities built: "
                  f"{1000 * first:.2f} / {1000 * last:.2f} ms")
            goals.check("linear in records: last quarter / first", f"{last / first:.2f}",
                        "<= 1.25", last / first <= 1.25)
            add_one(url, ids[0])
            again, _ = measure(do_publish, url, str(out), str(cache))
            goals.check("one record, re-published", f"{again:.1f} s", "<= 5 s", again <= 5)
        print(f"  {backend}, {n} communities, goals (load average now "
              f"{os.getloadavg()[0]:.1f}):")
        for line in goals.lines:
            print("    " + line)
        print(flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if backend != "sqlite":
            _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def main() -> None:
    global PG_ADMIN, BENCH_DB
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None, help="communities (default 300)")
    parser.add_argument("--quick", action="store_true", help="10 communities")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--fresh", type=int, default=3,
                        help="communities appended to a cached database to measure the rate")
    parser.add_argument("--plain-max", type=int, default=5000,
                        help="pages of the plain MkDocs baseline at most (its rate per page)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes recording the communities when a database is built "
                             "(PostgreSQL; SQLite is built by one)")
    parser.add_argument("--workers", type=int, default=2,
                        help="service workers on PostgreSQL (SQLite: one)")
    parser.add_argument("--healthcheck", type=int, default=Service.healthcheck,
                        help="sunlight serve --worker-timeout: seconds a worker has to start and to "
                             "answer each health check")
    parser.add_argument("--no-publish", action="store_true",
                        help="appends and the service only, no district publish")
    parser.add_argument("--build-only", action="store_true",
                        help="build (and cache) the databases, measure nothing")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL admin URL (libpq form)")
    args = parser.parse_args()
    PG_ADMIN = args.pg
    n = args.n or (10 if args.quick else 300)
    Service.healthcheck = args.healthcheck
    BENCH_DB = f"{BENCH_DB}_{n}"  # runs of other sizes at the same time do not collide
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        if args.build_only:
            work = Path(tempfile.mkdtemp(prefix=f"sunlight-bench-district-{backend}-"))
            try:
                prepare(backend, n, work, 0, args.jobs)
            finally:
                shutil.rmtree(work, ignore_errors=True)
                if backend != "sqlite":
                    _pg(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            continue
        run(backend, n, args.fresh, args.plain_max, args.jobs, args.workers, not args.no_publish)


if __name__ == "__main__":
    main()
