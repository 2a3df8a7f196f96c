"""The district pages for phones and elderly readers, checked as the community portal is
(tests/publisher/test_a11y.py): axe-core finds no serious or critical violation at 360 and
1280 px, text is at least 16 px (chart labels 12 px), targets outside running text are 44 x 44
px, and wide tables become cards on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from publisher.preview import serve_in_background
from tests.chromium import MARKS
from tests.publisher.conftest import DISTRICT_URL, DistrictSite
from tests.publisher.test_a11y import AXE, CHART_LABELS, SMALL_TARGETS, SMALL_TEXT

pytestmark = MARKS

PAGES = ["", "evaluations/", "funds/", "fees/", "projects/", "disclosures/", "objections/",
         "nanhu/"]
WIDTHS = [360, 1280]


@pytest.fixture(scope="module")
def served(district_site: DistrictSite) -> Iterator[str]:
    server, url = serve_in_background(district_site.out, prefix=urlsplit(DISTRICT_URL).path)
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
    view.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations = view.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))")
    assert violations == []


@pytest.mark.parametrize("path", PAGES)
def test_text_is_large_and_targets_are_easy_to_tap(view: Any, served: str, path: str) -> None:
    view.goto(served + path)
    assert view.evaluate(SMALL_TEXT) == []
    assert all(size >= 12 - 0.01 for size in view.evaluate(CHART_LABELS))
    assert view.evaluate(SMALL_TARGETS) == []


def test_the_comparison_pages_have_charts(view: Any, served: str) -> None:
    for path in ("evaluations/", "funds/", "fees/", "projects/", "disclosures/"):
        view.goto(served + path)
        assert view.evaluate(CHART_LABELS), path


@pytest.mark.parametrize("path", ["evaluations/", "fees/", "funds/"])
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
        assert left >= 0 and right <= 360, (label, left, right)
        assert label and before == f'"{label}"'
