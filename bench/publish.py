"""Publishing the portal: full publish vs a plain MkDocs + Material build of the same number of
pages with the same navigation, measured in the same run; then a re-publish after one record.

    python bench/publish.py            # 1,000 and 10,000 records
    python bench/publish.py --quick    # 200 and 1,000 records

Printed per size: seconds and peak memory (each step in a fresh process), ratios, and the bytes
a browser fetches to show the home page, and the bytes transferred (precompressed .br copies) on
a first visit to the home page and then to a record page. Goals: full publish <= 1.5x the plain
build; 10k/1k <= 12x; one new record re-published in <= 25% of a full publish; home page
<= 600 KB at 10k; first visit <= 120 KB, a second page <= 30 KB transferred.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# bench/ holds scripts named like stdlib modules (http.py): keep it off the import path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from ledger.application import Sunlight  # noqa: E402
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission  # noqa: E402

SITE = Path(__file__).resolve().parents[1] / "site"
START = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def key(label: str) -> MemberKey:
    return MemberKey.from_seed(hashlib.sha256(label.encode()).digest())


def generate(db: str, n: int) -> None:
    """A community of ``n`` records: mostly disclosures, donations, fee income and spends,
    spread over the months as a busy community would record them."""
    clock = Clock()
    # a year of paper ledgers imported in batches: allow statement times across the year
    app = Sunlight(db, clock=clock, max_past=timedelta(days=3650))
    chair, treasurer = key("chair"), key("treasurer")

    def sub(k: MemberKey, kind: str, body: dict[str, Any],
            private: tuple[PrivateRecord, ...] = ()) -> Submission:
        s = k.sign(Statement("bench", kind, clock.now, body))
        return Submission(s.statement, s.signature, s.key_id, private)

    setup = [
        sub(chair, "community.founded", {"name": "基准社区", "founder_id": "chair",
                                         "founder_name": "王主任",
                                         "founder_public_key": chair.public_b64,
                                         "term_start": "2020-01-01"}),
        sub(chair, "community.estate_added", {"estate_id": "e1", "name": "一期"}),
        sub(chair, "member.admitted", {"member_id": "t", "name": "李出纳", "role": "treasurer",
                                       "public_key": treasurer.public_b64,
                                       "term_start": "2020-01-01"}),
        sub(treasurer, "fund.opened", {"fund_id": "f1", "name": "微基金", "purpose": "小项目",
                                       "opened_on": "2024-01-01"}),
    ]
    for year in (2024, 2025, 2026):
        setup.append(sub(treasurer, "fee.budget_set", {"estate_id": "e1", "year": year, "lines": [
            {"category": c, "amount_fen": 10**11} for c in ("cleaning", "repairs", "greening")]}))
    app.found(setup, origin="sunlight.bench/bench", key_seed=b"\x07" * 32)
    batch: list[Submission] = []
    body = "本月居委会例会审议通过的事项已全部进入执行，请居民监督。" * 4
    for i in range(n - len(setup)):
        clock.now = START + timedelta(hours=2 * i)
        day = (clock.now + timedelta(hours=8)).date().isoformat()
        sort = i % 4
        if sort == 0:
            batch.append(sub(chair, "disclosure.published", {
                "disclosure_id": f"d{i}", "category": ("decision", "fund_use", "other")[i % 3],
                "period": day[:7], "title": f"第 {i} 号公开：楼道整治进展", "body": body}))
        elif sort == 1:
            donor = PrivateRecord.commit({"name": f"捐赠人{i}"})
            batch.append(sub(treasurer, "fund.donation_recorded", {
                "fund_id": "f1", "donation_id": f"don{i}", "amount_fen": 1000 + i,
                "channel": "wechat", "receipt_no": f"R{i}", "received_on": day,
                "donor_commitment": donor.commitment}, (donor,)))
        elif sort == 2:
            batch.append(sub(treasurer, "fee.income_recorded", {
                "estate_id": "e1", "income_id": f"i{i}", "source": ("property_fee", "parking")[i % 2],
                "period": day[:7], "amount_fen": 50_000 + i, "received_on": day}))
        else:
            batch.append(sub(treasurer, "fee.spend_recorded", {
                "estate_id": "e1", "spend_id": f"s{i}",
                "category": ("cleaning", "repairs", "greening")[i % 3],
                "vendor": "洁净保洁服务有限公司", "amount_fen": 20_000 + i,
                "invoice_sha256": hashlib.sha256(str(i).encode()).hexdigest(),
                "spent_on": day, "description": "日常保洁与维修"}))
        if len(batch) == 500:
            clock.now += timedelta(minutes=1)
            app.submit_batch(batch)
            batch = []
    if batch:
        clock.now += timedelta(minutes=1)
        app.submit_batch(batch)


def add_one(db: str) -> None:
    clock = Clock()
    app = Sunlight(db, clock=clock)
    clock.now = START + timedelta(hours=2 * app.size("bench") + 10)
    s = key("chair").sign(Statement("bench", "disclosure.published", clock.now, {
        "disclosure_id": "new-one", "category": "other", "period": "2026-01",
        "title": "新增的一条公开", "body": "新内容"}))
    app.submit(s)


def do_publish(db: str, out: str) -> None:
    from publisher.build import publish

    publish(Sunlight(db), "bench", Path(out), base_url="https://portal.example/")


def plain_build(workdir: str, n: int) -> None:
    """A stock MkDocs + Material build (its own search plugin) of ``n`` record-sized pages
    plus the portal's section pages, with the portal's navigation."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    work = Path(workdir)
    docs = work / "docs"
    nav = ["index.md", "disclosures/index.md", "funds/index.md", "fees/index.md",
           "decisions/index.md", "evaluations/index.md", "projects/index.md", "audit/index.md",
           "records/index.md", "search/index.md", "about/index.md"]
    for page in nav:
        (docs / page).parent.mkdir(parents=True, exist_ok=True)
        (docs / page).write_text(f"# {page}\n\n内容\n", encoding="utf-8")
    for i in range(n):
        (docs / "r" / str(i)).mkdir(parents=True, exist_ok=True)
        (docs / "r" / str(i) / "index.md").write_text(
            f"# 第 {i} 号公开：楼道整治进展\n\n| 项目 | 内容 |\n|---|---|\n| 金额 | 1,000.00 元 |\n"
            f"| 签名人 | 王主任（主任） |\n| 日志序号 | {i} |\n\n"
            + "本月居委会例会审议通过的事项已全部进入执行，请居民监督。" * 4 + "\n",
            encoding="utf-8")
    (work / "mkdocs.yml").write_text(
        "site_name: 基准\ntheme:\n  name: material\n  language: zh\n  font: false\n"
        "nav:\n" + "".join(f"  - {p.split('/')[0]}: {p}\n" for p in nav), encoding="utf-8")
    build(load_config(str(work / "mkdocs.yml"), site_dir=str(work / "site")))


def _child(fn: Callable[..., None], args: tuple[Any, ...], q: Any) -> None:
    import logging

    logging.disable(logging.WARNING)
    t = time.perf_counter()
    fn(*args)
    q.put((time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def measure(fn: Callable[..., None], *args: Any) -> tuple[float, float]:
    """(seconds, peak MiB) of ``fn(*args)`` in a fresh process."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, args, q))
    p.start()
    seconds, rss_kib = q.get()
    p.join()
    return seconds, rss_kib / 1024


def home_bytes(out: Path) -> int:
    """Bytes of the home page and everything it makes the browser fetch (stylesheets,
    scripts, images; the search index is loaded only on the search page)."""
    html = (out / "index.html").read_text(encoding="utf-8")
    total = len(html.encode())
    refs = re.findall(r'<(?:script|img)[^>]+src="([^"#?]+)"', html)
    refs += re.findall(r'<link[^>]+href="([^"#?]+)"[^>]*>', html)
    for ref in set(refs):
        if ref.startswith(("http:", "https:", "//")):
            continue
        path = out / ref
        if path.is_file() and not ref.endswith((".xml", ".gz")) and "canonical" not in ref:
            total += path.stat().st_size
    return total


def fetched(out: Path, page: str) -> set[Path]:
    """The files a browser fetches to show ``page`` (a path under ``out``): the page and the
    stylesheets, scripts and images it names (the search index only on the search page)."""
    html_path = out / page
    html = html_path.read_text(encoding="utf-8")
    refs = re.findall(r'<(?:script|img)[^>]+src="([^"#?]+)"', html)
    refs += re.findall(r'<link[^>]+href="([^"#?]+)"[^>]*>', html)
    files = {html_path}
    for ref in refs:
        if ref.startswith(("http:", "https:", "//")) or ref.endswith((".xml", ".gz")):
            continue
        path = (html_path.parent / ref).resolve()
        if path.is_file():
            files.add(path)
    return files


def transferred(files: set[Path]) -> int:
    """Bytes on the wire: each file's precompressed ``.br`` copy where there is one (what a
    host that serves precompressed files sends to a browser that accepts Brotli)."""
    total = 0
    for path in files:
        br = path.with_name(path.name + ".br")
        total += (br if br.is_file() else path).stat().st_size
    return total


def run(n: int, tmp: Path) -> dict[str, float]:
    db = f"sqlite:///{tmp / f'bench{n}.db'}"
    out = tmp / f"site{n}"
    t = time.perf_counter()
    generate(db, n)
    print(f"  generated {n} signed records in {time.perf_counter() - t:.1f} s", flush=True)
    full, full_mem = measure(do_publish, db, str(out))
    plain, plain_mem = measure(plain_build, str(tmp / f"plain{n}"), n)
    add_one(db)
    again, again_mem = measure(do_publish, db, str(out))
    home = home_bytes(out)
    first = fetched(out, "index.html")
    # the second page: a record page, with the home page's stylesheets and scripts cached
    second = fetched(out, "r/1/index.html") - first
    first_kb, second_kb = transferred(first) / 1024, transferred(second) / 1024
    print(f"  full publish        {full:7.1f} s  peak {full_mem:6.0f} MiB")
    print(f"  plain MkDocs build  {plain:7.1f} s  peak {plain_mem:6.0f} MiB")
    print(f"  re-publish +1       {again:7.1f} s  peak {again_mem:6.0f} MiB")
    print(f"  full / plain        {full / plain:7.2f}   (goal <= 1.5)")
    print(f"  re-publish / full   {again / full:7.2f}   (goal <= 0.25)")
    print(f"  home page fetched   {home / 1024:7.0f} KB (goal <= 600 KB at 10k)")
    print(f"  first visit, home   {first_kb:7.0f} KB transferred (goal <= 120 KB)")
    print(f"  second page, cached {second_kb:7.0f} KB transferred (goal <= 30 KB)")
    return {"full": full, "plain": plain, "again": again, "home": home, "first": first_kb,
            "second": second_kb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 records")
    parser.add_argument("--keep", action="store_true", help="keep the built sites")
    args = parser.parse_args()
    small, large = (200, 1000) if args.quick else (1000, 10_000)
    tmp = Path(tempfile.mkdtemp(prefix="sunlight-bench-publish-"))
    try:
        results = {}
        for n in (small, large):
            print(f"{n} records:", flush=True)
            results[n] = run(n, tmp)
        ratio = results[large]["full"] / results[small]["full"]
        print(f"full publish {large}/{small}: {ratio:.1f}x (goal <= 12x)")
    finally:
        if args.keep:
            print(f"sites kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
