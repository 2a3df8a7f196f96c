"""Re-publishing: only what changed is rebuilt and rewritten; MkDocs runs only when its input
changes; a cache written by other publisher code is not used."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.application import Sunlight
from publisher.build import PublishResult, default_cache_dir, publish
from publisher.search import BLOCK, SMALLEST, executable, ranges
from tests.publisher.conftest import BASE_URL, Site, site_files
from tests.publisher.sample import Clock, Writer, build_sample


@dataclass
class Published:
    app: Sunlight
    writer: Writer
    out: Path
    first: PublishResult


@pytest.fixture
def published(tmp_path: Path) -> Iterator[Published]:
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp_path / 'l.db'}", clock=clock)
    writer = build_sample(app, clock, "again", hostile="普通文字")
    out = tmp_path / "site"
    first = publish(app, "again", out, base_url=BASE_URL)
    yield Published(app, writer, out, first)


def stamps(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in site_files(out)}


def test_republish_with_no_change_writes_nothing(published: Published) -> None:
    before = stamps(published.out)
    again = publish(published.app, "again", published.out, base_url=BASE_URL)
    assert not again.mkdocs_ran and again.qr_made == 0 and again.indexed == 0
    assert stamps(published.out) == before


def test_new_record_reaches_section_pages_without_running_mkdocs(published: Published) -> None:
    w = published.writer
    index = w.record("member", "disclosure.published", {
        "disclosure_id": "d-new", "category": "other", "period": "2025-04",
        "title": "楼道灯更换完毕", "body": "已全部更换。"})
    before = stamps(published.out)
    again = publish(published.app, "again", published.out, base_url=BASE_URL)
    assert again.records == published.first.records + 1 and again.qr_made == 1
    for page in ("index.html", "disclosures/category-other/index.html",
                 f"r/{index}/index.html"):
        assert "楼道灯更换完毕" in (published.out / page).read_text(encoding="utf-8"), page
    after = stamps(published.out)
    changed = {p for p in after if after[p] != before.get(p)}
    assert "r/2/index.html" not in changed and not [p for p in changed if "sunlight." in p]
    if executable() is not None:  # only the newest record bundle and the section pages
        assert 0 < again.indexed <= SMALLEST + again.pages
    # no new page: the shells MkDocs rendered last time were reused
    assert not again.mkdocs_ran and not any(p.startswith("assets/") for p in changed)


def test_a_new_section_page_runs_mkdocs_and_appears_in_its_index(published: Published) -> None:
    w = published.writer
    w.record("treasurer", "fund.opened", {"fund_id": "f-new", "name": "新设基金",
                                          "purpose": "测试", "opened_on": "2025-03-25"})
    again = publish(published.app, "again", published.out, base_url=BASE_URL)
    assert again.mkdocs_ran
    assert "新设基金" in (published.out / "funds/f-new/index.html").read_text(encoding="utf-8")
    assert 'href="f-new/"' in (published.out / "funds/index.html").read_text(encoding="utf-8")


def test_cache_from_other_publisher_code_is_not_used(published: Published) -> None:
    out = published.out
    notice = (out / "r/2/index.html").read_bytes()
    state_file = default_cache_dir(out.resolve()) / "state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    state["code"] = "another version"
    state["mkdocs"] = "stale"
    (out / "r/3/index.html").write_text("stale page", encoding="utf-8")
    state_file.write_text(json.dumps(state), encoding="utf-8")
    again = publish(published.app, "again", out, base_url=BASE_URL)
    assert again.mkdocs_ran
    assert "记入账本" in (out / "r/3/index.html").read_text(encoding="utf-8")
    # the notice still cites the checkpoint the record was first published under
    assert (out / "r/2/index.html").read_bytes() == notice


def test_every_section_page_has_one_title(site: Site) -> None:
    """Pages are rendered around a slot that stands for the body's own <h1>: Material adds no
    second one."""
    for path in site_files(site.out, ".html"):
        if "/r/" in f"/{path.relative_to(site.out).as_posix()}" or path.name == "404.html":
            continue
        html = path.read_text(encoding="utf-8")
        assert len(re.findall(r"<h1[\s>]", html)) == 1, path
        assert "SLPAGESLOT" not in html, path


@pytest.mark.parametrize("n", [0, 1, SMALLEST - 1, SMALLEST, 1000, 1001, BLOCK - 1, BLOCK,
                               BLOCK + 1, 5 * BLOCK + 777])
def test_record_bundles_cover_the_log_and_one_record_touches_one_small_bundle(n: int) -> None:
    now, later = ranges(n), ranges(n + 1)
    for got, size in ((now, n), (later, n + 1)):
        assert [i for a, b in got for i in range(a, b)] == list(range(size))
        assert len(got) <= size // BLOCK + 5
    changed = set(later) - set(now)
    if (n + 1) % SMALLEST:  # one record joins the short newest bundle
        assert len(changed) == 1 and max(b - a for a, b in changed) < SMALLEST
