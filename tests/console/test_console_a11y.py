"""Every console page in Chromium at 360 and 1280 px: axe-core finds no serious or critical
violation (WCAG AA contrast included), and every control is a tap target of at least 44 x 44 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.a11y import serious_violations
from tests.chromium import MARKS
from tests.console.conftest import COMMUNITY, Invited

pytestmark = MARKS

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
         f"/c/{COMMUNITY}/object/record/0", f"/c/{COMMUNITY}/objections",
         "preview", "open objection", "answer", "/no-such-page"]


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
    elif path in ("open objection", "answer"):  # an objection listed, and the 主任's answer form
        page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/objections")
        page.locator(f'main[data-page="/c/{COMMUNITY}/objections"]').wait_for()
        if page.locator("#no-open-objections").count():
            page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/object/record/0")
            page.get_by_label("异议理由").fill("建账声明的社区名称有误。")
            page.get_by_role("button", name="预览并检查").click()
            page.get_by_role("button", name="确认签署并提交").click()
            page.get_by_role("heading", name="已登记").wait_for()
            page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/objections")
        page.locator("article.objection").wait_for()
        if path == "answer":
            page.locator("article.objection").get_by_role("link").click()
            page.get_by_label("答复 必填").wait_for()
    else:
        page.goto(f"{invited.url}/console/#{path}")
        page.locator(f'main[data-page="{path}"]').wait_for()
    assert serious_violations(page) == []
    assert page.evaluate(SMALL_TARGETS) == []
