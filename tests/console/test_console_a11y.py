"""Every console page in Chromium at 360 and 1280 px: axe-core finds no serious or critical
violation (WCAG AA contrast included), and every control is a tap target of at least 44 x 44 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import MARKS
from tests.console.conftest import COMMUNITY, Invited

pytestmark = MARKS

AXE = (Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WIDTHS = [360, 1280]

SMALL_TARGETS = """() => [...document.querySelectorAll('a, button, input, select, textarea, summary')]
  .filter((el) => el.checkVisibility() && !el.closest('p, li.bad, dd'))
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([el, box]) => box.width < 44 || box.height < 44)
  .map(([el, box]) => `${el.tagName}#${el.id} ${Math.round(box.width)}x${Math.round(box.height)}`)"""


@pytest.fixture(scope="module")
def member(browser: Any, invited: Invited) -> Iterator[Any]:
    """A 主任's browser (axe is injected, so the page's own CSP is bypassed for the test)."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN",
                                  bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{invited.url}/console/#/found/{COMMUNITY}/{invited.token}")
    page.get_by_role("button", name="生成签名密钥").click()
    page.get_by_label("社区名称").fill("新社区")
    page.get_by_label("创始成员 必填").fill("王主任")
    page.get_by_role("button", name="预览并检查").click()
    page.get_by_role("button", name="确认签署并提交").click()
    page.get_by_role("heading", name="已登记").wait_for()
    yield page
    context.close()


PAGES = ["/", "/key", f"/c/{COMMUNITY}", f"/c/{COMMUNITY}/admit", f"/c/{COMMUNITY}/import",
         f"/c/{COMMUNITY}/new/fund.donation_recorded", f"/c/{COMMUNITY}/new/fee.budget_set",
         f"/c/{COMMUNITY}/new/decision.resolved", f"/c/{COMMUNITY}/new/fee.spend_recorded",
         f"/c/{COMMUNITY}/proposals", f"/c/{COMMUNITY}/new/disclosure.published",
         "preview", "/no-such-page"]


def violations(page: Any) -> list[str]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE)
    found: list[str] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))")
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_no_serious_violation_and_large_targets(member: Any, invited: Invited, path: str,
                                                width: int) -> None:
    page = member
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{invited.url}/console/#/")
    page.locator('main[data-page="/"]').wait_for()
    if path == "preview":  # the plain preview of a statement before it is signed
        page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/disclosure.published")
        page.locator(f'main[data-page="/c/{COMMUNITY}/new/disclosure.published"]').wait_for()
        page.get_by_label("公开事项编号").fill("gk-1")
        page.get_by_label("标题").fill("十二月公开")
        page.get_by_label("内容 必填").fill("本月公开内容。")
        page.get_by_role("button", name="预览并检查").click()
        page.get_by_role("heading", name="您将签署：").wait_for()
    else:
        page.goto(f"{invited.url}/console/#{path}")
        page.locator(f'main[data-page="{path}"]').wait_for()
    assert violations(page) == []
    assert page.evaluate(SMALL_TARGETS) == []
