"""The portal for phones and elderly readers, checked in headless Chromium at 360 and 1280 px:
axe-core finds no serious or critical violation on any page type, text is at least 16 px
(chart labels 12 px), every link or button outside running text is a 44 x 44 px tap target,
and wide tables become cards on a phone. axe-core is vendored in tests/vendor/ by
scripts/vendor-js (the portal itself never loads it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from publisher.preview import serve_in_background
from tests.chromium import MARKS
from tests.publisher.conftest import BASE_URL, Site

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"

pytestmark = MARKS

# one page of every type the publisher writes (the last one is the site's 404 page)
PAGES = ["", "disclosures/", "disclosures/2025-03/", "r/4/", "r/9/", "funds/f1/", "fees/",
         "fees/e1-2025/", "decisions/", "evaluations/", "projects/", "audit/", "audit/views/",
         "audit/views/recording/", "records/",
         "records/2025-03/", "search/", "about/", "poster/", "no-such-page/"]
WIDTHS = [360, 1280]


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[str]:
    # at the path of the site's address: the 404 page's links are absolute
    server, url = serve_in_background(site.out, prefix=urlsplit(BASE_URL).path)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda w: f"{w}px")
def view(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 800},
                                  device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_violation(view: Any, served: str, path: str) -> None:
    view.goto(served + path)
    if path == "search/":
        view.wait_for_selector(".pagefind-ui__search-input")
    view.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations = view.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))")
    assert violations == []


# Text smaller than 16 px in the page (chart labels excepted: they are checked below).
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('svg, script, style')) continue;
    const box = el.getBoundingClientRect();
    if (!el.checkVisibility() || box.width === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16)
      small.push(el.tagName + '.' + el.className + ' ' + size + 'px: ' + n.textContent.trim().slice(0, 20));
  }
  return small;
}"""

# Chart labels as drawn on screen: font size times the chart's scale.
CHART_LABELS = """() => [...document.querySelectorAll('svg.sl-chart text')].map(t =>
  parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""

# Links, buttons and inputs smaller than 44 x 44 px, except links inside a sentence (a paragraph,
# list item or cell with text of its own around the link), which WCAG exempts.
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input, summary, label.md-nav__link')) {
    if (!el.checkVisibility()) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const parent = el.parentElement;
    const inSentence = parent.textContent.trim() !== el.textContent.trim();
    if (inSentence && parent.closest('p, li, td, dd')) continue;
    if (box.width < 44 - 0.5 || box.height < 44 - 0.5)
      small.push(el.tagName + '.' + el.className + ' ' + Math.round(box.width) + 'x' +
                 Math.round(box.height) + ': ' + (el.textContent || el.title || '').trim().slice(0, 16));
  }
  return small;
}"""


@pytest.mark.parametrize("path", PAGES)
def test_text_is_large_and_targets_are_easy_to_tap(view: Any, served: str, path: str) -> None:
    view.goto(served + path)
    if path == "search/":
        view.wait_for_selector(".pagefind-ui__search-input")
    assert view.evaluate(SMALL_TEXT) == []
    assert all(size >= 12 - 0.01 for size in view.evaluate(CHART_LABELS))
    assert view.evaluate(SMALL_TARGETS) == []


def test_charts_are_checked_for_label_size(view: Any, served: str) -> None:
    view.goto(served + "funds/f1/")
    assert view.evaluate(CHART_LABELS), "the fund page has a chart with labels"


@pytest.mark.parametrize("path", ["fees/e1-2025/", "funds/f1/", "records/"])
def test_wide_tables_become_cards_on_a_phone(browser: Any, served: str, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(served + path)
    cells = page.evaluate("""() => [...document.querySelectorAll('.sl-scroll td')].map(td => {
        const box = td.getBoundingClientRect();
        return [box.left, box.right, td.dataset.label || '', getComputedStyle(td, '::before').content];
    })""")
    context.close()
    assert cells
    for left, right, label, before in cells:
        assert left >= 0 and right <= 360, (label, left, right)  # nothing cut off or scrolled
        assert label and before == f'"{label}"'  # each value says what it is


def test_the_printed_notice_is_large_black_and_without_hashes(browser: Any, served: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "r/9/")
    page.emulate_media(media="print")
    assert page.is_visible(".sl-notice") and page.is_visible(".sl-qr svg")
    assert page.evaluate(SMALL_TEXT) == []  # 12 pt = 16 px
    assert page.evaluate("""() => [...document.querySelectorAll('h1, h2, .sl-notice-head')]
        .filter(e => e.checkVisibility()).map(e => getComputedStyle(e).color)
        .every(c => c === 'rgb(0, 0, 0)')""")
    assert page.evaluate("[...document.querySelectorAll('.sl-hash')].filter(e => e.checkVisibility())"
                         ".length") == 0
    pdf = page.pdf(format="A4", print_background=True)
    context.close()
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


def test_the_poster_prints_on_one_a4_page(browser: Any, served: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "poster/")
    page.emulate_media(media="print")
    width = page.evaluate("document.querySelector('.sl-poster-qr').getBoundingClientRect().width")
    pdf = page.pdf(format="A4", print_background=True)
    context.close()
    assert width >= 400  # ~12 cm: scanned from a step away
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
