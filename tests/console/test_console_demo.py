"""The demo's console: a demo member's key (from its public seed) is imported into the browser,
clearly marked as a demo key, and signs for the demo community; a real service offers no such
thing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.api import Settings, create_app
from ledger.application import Sunlight
from ledger.demo import COMMUNITY, build_demo
from tests.api.helpers import live
from tests.chromium import MARKS

pytestmark = MARKS


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    build_demo(Sunlight(db))
    ledger = Sunlight(db)
    app = create_app(ledger, Settings(rate_per_address=0, rate_per_key=0, demo=True))
    try:
        with live(app) as url:
            yield url
    finally:
        ledger.close()


def test_acting_as_a_demo_member(browser: Any, demo_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{demo_url}/console/#/demo")
        page.get_by_role("button", name="陈明（出纳）").click()
        page.get_by_text("陈明（出纳）").wait_for()
        page.get_by_text("演示密钥").wait_for()
        page.get_by_role("link", name="发布公开").click()
        page.get_by_label("公开事项编号").fill("demo-console-1")
        page.get_by_label("标题").fill("控制台演示")
        page.get_by_label("内容 必填").fill("用演示成员的密钥在控制台登记。")
        page.get_by_role("button", name="预览并检查").click()
        page.get_by_role("button", name="确认签署并提交").click()
        page.get_by_role("heading", name="已登记").wait_for()
        index = int(page.locator("#log-index").inner_text())
        record = httpx.get(f"{demo_url}/v1/communities/{COMMUNITY}/records/{index}").json()
        assert record["body"]["title"] == "控制台演示"
    finally:
        context.close()


def test_a_real_service_offers_no_demo_members(tmp_path: Path) -> None:
    ledger = Sunlight(f"sqlite:///{tmp_path / 's.db'}")
    with live(create_app(ledger)) as url:
        assert httpx.get(f"{url}/v1/demo/members").status_code == 404
