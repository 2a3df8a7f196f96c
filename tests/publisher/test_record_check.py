"""A record page's own check in the browser: it renders the shown fields again from the verified
statement and says "与公开账本一致，未被改动" only when every one matches what the page shows.
An altered displayed amount (the entry and its signature untouched) fails it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from publisher.preview import serve_in_background
from tests.chromium import MARKS
from tests.publisher.conftest import Site

pytestmark = MARKS
PASS = "与公开账本一致，未被改动。"


def press(browser: Any, site: Path, paths: list[str]) -> list[str]:
    """The check's output on each page of ``paths`` (first line of each)."""
    server, url = serve_in_background(site)
    context = browser.new_context(viewport={"width": 360, "height": 640})
    out = []
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in paths:
            page.goto(url + path)
            page.click("#sl-receipt button")
            page.wait_for_function("document.querySelector('.sl-receipt-out').textContent && "
                                   "!document.querySelector('#sl-receipt button').disabled",
                                   timeout=60_000)
            out.append(str(page.inner_text(".sl-receipt-out")))
        assert errors == []
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    return out


def test_every_record_page_of_the_sample_matches_its_statement(browser: Any, site: Site) -> None:
    """Every kind the sample has, every way a field is shown: no false alarm."""
    n = len(list((site.out / "r").glob("[0-9]*")))
    results = press(browser, site.out, [f"r/{i}/" for i in range(n)])
    failing = {i: text for i, text in enumerate(results) if not text.startswith(PASS)}
    assert failing == {}


def altered(page: Path, html: str) -> None:
    """Rewrites a page as someone who alters the site would: the page and its compressed copies
    (which the preview, like any web server, sends a browser that accepts them)."""
    page.write_text(html, encoding="utf-8")
    for suffix in (".gz", ".br"):
        page.with_name(page.name + suffix).unlink(missing_ok=True)


def test_an_altered_amount_on_the_page_fails(browser: Any, site: Site, tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(site.out, copy)
    page = copy / "r" / "9" / "index.html"  # the 5,000 元 donation
    html = page.read_text(encoding="utf-8")
    row = html.index('data-sl-field="amount&#95;fen"')  # escaped like every value
    assert html.count("5,000.00 元") >= 1 and "5,000.00 元" in html[row:row + 200]
    altered(page, html[:row] + html[row:].replace("5,000.00 元", "50,000.00 元", 1))
    [text] = press(browser, copy, ["r/9/"])
    assert not text.startswith(PASS)
    assert text.splitlines()[0] == "未通过：本页内容不能确认与公开账本一致。"
    assert "“捐赠金额”与签名原文不符：本页被改动过" in text or "与签名原文不符" in text
    # an altered title amount fails too, fields untouched
    html = (site.out / "r" / "9" / "index.html").read_text(encoding="utf-8")
    title_at = html.index("<h1")
    end = html.index("</h1>", title_at)
    assert "5,000.00 元" in html[title_at:end]
    altered(page, html[:title_at] + html[title_at:end].replace("5,000.00 元", "500.00 元")
            + html[end:])
    [text] = press(browser, copy, ["r/9/"])
    assert "标题中的金额与签名原文不符：本页被改动过" in text


def test_the_check_is_the_first_thing_on_a_record_page(site: Site) -> None:
    html = (site.out / "r" / "9" / "index.html").read_text(encoding="utf-8")
    article = html[html.index('<article class="sl-record">'):html.index("</article>")]
    assert article.index('id="sl-receipt"') < article.index('class="sl-fields"')
    assert article.count("<button") == 1


@pytest.fixture(scope="module")
def with_files(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample published again with a folder of attachment files: the minutes the log
    records (as ``会议纪要.pdf``) and a file the log records nowhere."""
    from publisher.build import publish

    tmp = tmp_path_factory.mktemp("attachments")
    folder = tmp / "files"
    folder.mkdir()
    (folder / "scan-0001.pdf").write_bytes(b"minutes")  # sha("minutes"), recorded on r/4
    (folder / "private.pdf").write_bytes(b"not recorded anywhere")
    out = tmp / "site"
    publish(site.app, "testville", out, base_url="https://portal.example/testville/",
            search=False, attachments=folder)
    return out


def test_only_recorded_attachments_are_published_and_linked(with_files: Path) -> None:
    digest = hashlib.sha256(b"minutes").hexdigest()
    assert sorted(p.name for p in (with_files / "files").iterdir()) == [f"{digest}.pdf"]
    html = (with_files / "r" / "4" / "index.html").read_text(encoding="utf-8")
    assert f'<a href="../../files/{digest}.pdf" data-sl-attachment="{digest}">会议纪要.pdf</a>' in html


def test_a_published_attachment_is_checked_against_its_hash(browser: Any, with_files: Path,
                                                            tmp_path: Path) -> None:
    [text] = press(browser, with_files, ["r/4/"])
    assert text.startswith(PASS)
    copy = tmp_path / "site"
    shutil.copytree(with_files, copy)
    digest = hashlib.sha256(b"minutes").hexdigest()
    (copy / "files" / f"{digest}.pdf").write_bytes(b"minutes, edited")
    [text] = press(browser, copy, ["r/4/"])
    assert "附件“会议纪要.pdf”的文件与账本登记的不一致：文件被改动过" in text
    assert not text.startswith(PASS)
