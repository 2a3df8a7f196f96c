"""What a phone downloads, measured by Chromium from the preview server (which sends the
precompressed copies, as a production host does): the first visit to the home page at most
120 KB, then a second page at most 30 KB."""

from __future__ import annotations

from typing import Any

from publisher.preview import serve_in_background
from tests.chromium import MARKS, chromium
from tests.publisher.conftest import Site

pytestmark = MARKS

TRANSFERRED = """() => performance.getEntries()
  .filter(e => e.entryType === 'navigation' || e.entryType === 'resource')
  .reduce((sum, e) => sum + e.transferSize, 0)"""


def test_first_visit_and_second_page_are_light(site: Site) -> None:
    server, url = serve_in_background(site.out)
    try:
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 360, "height": 640})
            page: Any = context.new_page()
            page.goto(url)
            page.wait_for_load_state("networkidle")
            first = page.evaluate(TRANSFERRED)
            encodings = page.evaluate("""() => performance.getEntriesByType('resource')
                .filter(e => /\\.(css|js)$/.test(e.name))
                .map(e => e.encodedBodySize < e.decodedBodySize)""")
            page.goto(url + "r/4/")
            page.wait_for_load_state("networkidle")
            second = page.evaluate(TRANSFERRED)
            context.close()
    finally:
        server.shutdown()
        server.server_close()
    assert encodings and all(encodings)  # every stylesheet and script came compressed
    assert first <= 120 * 1024, first
    assert second <= 30 * 1024, second
