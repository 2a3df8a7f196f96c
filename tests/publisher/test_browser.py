"""The portal in headless Chromium (Debian's chromium through Playwright): hostile text stays
text, phones at 360 px never scroll sideways, nothing is requested from another host, search
works in Chinese, and a record prints as one A4 page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import MARKS
from tests.publisher.conftest import Site, serving

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = MARKS


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[str]:
    with serving(site.out) as url:
        yield url


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


HOSTILE_PAGES = ["r/4/", "r/5/", "r/10/", "r/11/", "r/14/", "r/21/", "", "records/2025-03/",
                 "disclosures/2025-03/", "fees/e1-2025/", "funds/f1/", "projects/", "decisions/"]


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_hostile_text_is_shown_as_text_never_run(phone: Any, served: str, path: str) -> None:
    phone.goto(served + path)
    assert phone.evaluate("window.__pwned") is None
    assert phone.evaluate("document.querySelectorAll('img[src=\"x\"], .sl-page script, "
                          ".sl-record script, .sl-record b, .sl-page b').length") == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "sideways scroll"


def test_hostile_text_reads_literally(phone: Any, served: str) -> None:
    phone.goto(served + "r/4/")
    text = phone.inner_text("article.sl-record")
    assert '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">' in text
    assert "**加粗** [链接](javascript:alert(1)) {{ config.site_name }} {% raw %} &amp; <b>粗</b>" \
        in text
    assert phone.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0


@pytest.mark.parametrize(("name", "path"), [("home", ""), ("list", "disclosures/2025-03/"),
                                            ("record", "r/4/"), ("fees", "fees/e1-2025/")])
def test_phone_360_has_no_horizontal_scroll(phone: Any, served: str, name: str,
                                            path: str) -> None:
    phone.goto(served + path)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / f"phone-360-{name}.png"), full_page=True)


def test_a_results_table_inside_a_record_stays_a_table_on_a_phone(phone: Any, served: str
                                                                  ) -> None:
    phone.goto(served + "r/24/")  # evaluation.results_recorded
    cells = phone.evaluate("Array.from(document.querySelectorAll('.sl-fields table.sl-results "
                           "td, .sl-fields table.sl-results th'), "
                           "c => getComputedStyle(c).display)")
    assert cells and set(cells) == {"table-cell"}
    # the record's own label/value rows still stack
    assert phone.evaluate("getComputedStyle(document.querySelector('.sl-fields > tbody > tr > "
                          "th')).display") == "block"


def test_only_the_site_itself_is_requested_and_search_works(browser: Any, served: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640})
    # an old WebView without ResizeObserver: Material would fetch a polyfill from a CDN
    context.add_init_script("delete window.ResizeObserver;")
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    for path in ("", "r/4/", "funds/f1/"):
        page.goto(served + path)
        page.wait_for_load_state("networkidle")
    page.goto(served + "search/")
    page.fill(".pagefind-ui__search-input", "电梯")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.href)")
    assert any("/r/4/" in link or "/r/5/" in link for link in links), links
    assert page.evaluate("window.__pwned") is None  # result titles are hostile text too
    page.wait_for_load_state("networkidle")
    context.close()
    assert requests and all(url.startswith(served) for url in requests), \
        [u for u in requests if not u.startswith(served)]


def test_a_record_prints_as_one_a4_notice(browser: Any, served: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "r/9/")
    page.emulate_media(media="print")
    assert page.is_visible(".sl-notice-head") and page.is_visible(".sl-qr svg")
    assert not page.is_visible(".md-header")
    pdf = page.pdf(format="A4", print_background=True)
    context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "notice-r9.pdf").write_bytes(pdf)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1
