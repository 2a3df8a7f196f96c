"""The district pages for phones and elderly readers, checked as the community portal is
(tests/publisher/test_a11y.py): axe-core finds no serious or critical violation at 360 and
1280 px, text is at least 16 px (chart labels 12 px), targets outside running text are 44 x 44
px, and wide tables become cards on a phone."""

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
from tests.publisher.conftest import DISTRICT_URL, DistrictSite, serving

pytestmark = MARKS

PAGES = ["", "evaluations/", "funds/", "fees/", "projects/", "disclosures/", "objections/",
         "nanhu/"]


@pytest.fixture(scope="module")
def served(district_site: DistrictSite) -> Iterator[str]:
    with serving(district_site.out, DISTRICT_URL) as url:
        yield url


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_violation(view: Any, served: str, path: str) -> None:
    view.goto(served + path)
    assert serious_violations(view) == []


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
    check_tables_are_cards(browser, served + path)
