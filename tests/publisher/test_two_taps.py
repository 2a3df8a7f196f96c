"""Residents' questions, each answered from the phone home page within two taps.

The demo portal (幸福里社区, 2025) is opened in Chromium as a 360 x 640 touch phone. Each test
starts on the home page, taps as a resident would (every tap counted; typing a receipt number is
not a tap, putting the cursor in the box is), and asserts that the answer is visible on the
screen it reaches. The answers' figures are computed here from the signed records, not by the
publisher's code.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from publisher.records import Record
from tests.chromium import MARKS
from tests.publisher.conftest import DemoSite, serving

pytestmark = MARKS

YEAR = "2025"
TAPS = 2


def money(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f} 元"


class Phone:
    """A phone on the portal's home page that counts the taps it takes."""

    def __init__(self, page: Any, home: str) -> None:
        self.page = page
        self.url = home
        self.start()

    def start(self) -> None:
        """On the home page, no tap taken yet."""
        self.taps = 0
        self.page.goto(self.url)
        assert self.page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll

    def tap(self, locator: Any) -> None:
        locator.scroll_into_view_if_needed()
        locator.tap()
        self.taps += 1

    def sees(self, text: str, timeout: float = 10_000) -> None:
        """Waits until ``text`` is on the screen (visible, not merely in the page)."""
        self.page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout)
        assert self.taps <= TAPS, f"{self.taps} taps to see {text!r}"


@pytest.fixture(scope="module")
def served(demo_site: DemoSite) -> Iterator[str]:
    with serving(demo_site.out) as url:
        yield url


@pytest.fixture
def phone(browser: Any, served: str) -> Iterator[Phone]:
    context = browser.new_context(viewport={"width": 360, "height": 640}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield Phone(page, served)
    context.close()
    assert errors == []


def of(demo: DemoSite, kind: str) -> list[Record]:
    return [r for r in demo.records if r.kind == kind]


def test_how_much_the_fund_received_and_granted_this_year(phone: Phone,
                                                          demo_site: DemoSite) -> None:
    fund = of(demo_site, "fund.opened")[0].raw
    received = sum(r.raw["amount_fen"] for r in of(demo_site, "fund.donation_recorded")
                   if r.raw["fund_id"] == fund["fund_id"]
                   and r.raw["received_on"].startswith(YEAR))
    granted = [r.raw["amount_fen"] for r in of(demo_site, "fund.grant_made")
               if r.raw["fund_id"] == fund["fund_id"] and r.raw["granted_on"].startswith(YEAR)]
    phone.sees(f"{YEAR} 年收到捐赠")
    line = phone.page.locator(".sl-year li", has_text=fund["name"] + "：")
    assert line.is_visible()
    said = line.inner_text()
    assert f"共 {money(received)}" in said
    assert f"拨付 {len(granted)} 笔，共 {money(sum(granted))}" in said
    # one tap further: every grant, on the fund's page
    phone.tap(line.get_by_role("link", name=money(sum(granted))))
    phone.sees("拨付与资助项目")
    for amount in granted:
        phone.sees(money(amount))


def test_whether_fee_spending_stayed_within_budget(phone: Phone, demo_site: DemoSite) -> None:
    [over] = [r for r in of(demo_site, "fee.spend_recorded")
              if r.raw["amount_fen"] == 12_800_000]  # the elevator repair over budget
    line = phone.page.locator(".sl-year li", has_text="幸福里一期：")
    phone.sees("有 1 笔支出超出当时的预算")
    assert line.is_visible() and "第 1 次修订为" in line.inner_text()
    phone.tap(line.get_by_role("link", name=money(over.raw["amount_fen"]), exact=False))
    phone.sees(over.raw["description"])  # the spend's own page, one tap in
    phone.start()
    phone.tap(phone.page.locator(".sl-year li", has_text="幸福里一期：")
              .locator('a[href^="fees/"]').nth(1))  # what was spent, on the year's fee page
    phone.sees("本年度有 1 笔支出超出了当时有效的预算")


def test_what_was_decided(phone: Phone, demo_site: DemoSite) -> None:
    failed = [r.raw for r in of(demo_site, "decision.resolved") if not r.raw["passed"]]
    [no] = failed
    phone.sees(no["agenda_item"])  # on the home page itself
    phone.tap(phone.page.locator(".sl-year").get_by_role("link", name="13 项"))
    phone.sees("会议与决议")
    phone.sees(no["agenda_item"])
    phone.tap(phone.page.get_by_role("link", name=no["agenda_item"]))
    phone.sees(no["resolution"])


def test_evaluation_results_and_consequences(phone: Phone, demo_site: DemoSite) -> None:
    opened = {r.raw["round_id"]: r.raw["title"] for r in of(demo_site, "evaluation.opened")}
    c = of(demo_site, "evaluation.consequence_recorded")[-1]
    line = phone.page.locator(".sl-year li", has_text=opened[c.raw["round_id"]] + "：")
    phone.sees(opened[c.raw["round_id"]])
    assert "满意率" in line.inner_text() and c.raw["consequence"] in line.inner_text()
    phone.tap(line.get_by_role("link", name="记录"))
    phone.sees(c.raw["consequence"])  # the consequence's own record page
    phone.sees("结果运用")


def test_whether_my_donation_is_recorded(phone: Phone, demo_site: DemoSite) -> None:
    gift = of(demo_site, "fund.donation_recorded")[7].raw
    box = phone.page.get_by_label("查我的捐赠：输入捐赠收据上的收据号")
    phone.tap(box)
    box.type(gift["receipt_no"].lower())  # as a donor may type it
    phone.tap(phone.page.get_by_role("button", name="查询"))
    phone.sees(gift["receipt_no"])
    phone.sees(money(gift["amount_fen"]))
    phone.sees("与公开账本一致，未被改动。", timeout=60_000)  # the page's own check ran


def test_an_unknown_receipt_number_is_said_plainly(phone: Phone) -> None:
    box = phone.page.get_by_label("查我的捐赠：输入捐赠收据上的收据号")
    phone.tap(box)
    box.type("SJ199901999")
    phone.tap(phone.page.get_by_role("button", name="查询"))
    phone.sees("没有找到收据号为“SJ199901999”的捐赠记录")


def test_whether_i_can_trust_it(phone: Phone, demo_site: DemoSite) -> None:
    phone.tap(phone.page.get_by_role("link", name="核验全部记录有没有被改动"))
    phone.tap(phone.page.get_by_role("button", name="开始核验"))
    phone.sees(f"通过：本站公开的全部 {len(demo_site.records)} 条记录都没有被改动", timeout=120_000)


def test_the_demo_home_page_is_clean_for_phones(phone: Phone) -> None:
    """The demo's home page holds more than the sample's (badges, revisions, many rounds):
    axe-core, text size and tap targets on it too (see test_a11y.py)."""
    from tests.a11y import SMALL_TARGETS, SMALL_TEXT, serious_violations

    page = phone.page
    assert serious_violations(page) == []
    assert page.evaluate(SMALL_TEXT) == []
    assert page.evaluate(SMALL_TARGETS) == []
