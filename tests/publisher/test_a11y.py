"""The portal for phones and elderly readers, checked in headless Chromium at 360 and 1280 px:
axe-core finds no serious or critical violation on any page type, text is at least 16 px
(chart labels 12 px), every link or button outside running text is a 44 x 44 px tap target,
and wide tables become cards on a phone (the checks: tests/a11y.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.a11y import (
    CHART_LABELS,
    SMALL_TARGETS,
    SMALL_TEXT,
    check_tables_are_cards,
    serious_violations,
)
from tests.chromium import MARKS
from tests.publisher.conftest import BASE_URL, Site, serving

pytestmark = MARKS

# one page of every type the publisher writes (the last one is the site's 404 page)
PAGES = ["", "disclosures/", "disclosures/2025-03/", "r/4/", "r/9/", "funds/f1/", "fees/",
         "fees/e1-2025/", "decisions/", "evaluations/", "projects/", "audit/", "audit/views/",
         "audit/views/recording/", "records/",
         "records/2025-03/", "search/", "about/", "poster/", "no-such-page/"]


@pytest.fixture(scope="module")
def served(site: Site) -> Iterator[str]:
    with serving(site.out, BASE_URL) as url:
        yield url


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_violation(view: Any, served: str, path: str) -> None:
    view.goto(served + path)
    if path == "search/":
        view.wait_for_selector(".pagefind-ui__search-input")
    assert serious_violations(view) == []



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
    check_tables_are_cards(browser, served + path)


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
