"""The committee console in Debian Chromium at 360 x 640, against a real ``sunlight serve``:
founding by invitation, enrolling a 出纳 by pairing code, a donation with a private donor, a
fee spend with an invoice file, refusals beside their field, an import with one bad row.

The tests run in order and build on each other (one community, its 主任 and 出纳 each in their
own browser context, as on two phones)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.chromium import MARKS
from tests.console.conftest import COMMUNITY, Invited

pytestmark = MARKS

PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
# The key record this browser stored (a page script, as a test reads IndexedDB).
STORED = """const storedKey = async () => {
  const db = await new Promise((ok) => {
    const r = indexedDB.open('sunlight-console'); r.onsuccess = () => ok(r.result); });
  return new Promise((ok) => {
    const r = db.transaction('keys').objectStore('keys').get('member'); r.onsuccess = () => ok(r.result); });
};
"""
WAIT = 60_000  # ms: only the cap on a wait for a condition


@dataclass
class Phone:
    """One member's browser: its page, and every request it sent (URL, body)."""

    page: Any
    requests: list[tuple[str, bytes]] = field(default_factory=list)


def phone(browser: Any, url: str) -> Iterator[Phone]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    p = Phone(page)
    page.on("request", lambda r: p.requests.append((r.url, r.post_data_buffer or b"")))
    yield p
    context.close()


@pytest.fixture(scope="module")
def chair(browser: Any, invited: Invited) -> Iterator[Phone]:
    yield from phone(browser, invited.url)


@pytest.fixture(scope="module")
def treasurer(browser: Any, invited: Invited) -> Iterator[Phone]:
    yield from phone(browser, invited.url)


def size(invited: Invited) -> int:
    return int(httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}").json()["size"])


def sign_and_submit(page: Any) -> int:
    """Preview, check the plain preview, confirm; returns the receipt's log index."""
    page.get_by_role("button", name="预览并检查").click()
    page.get_by_role("heading", name="您将签署：").wait_for()
    page.get_by_role("button", name="确认签署并提交").click()
    page.get_by_role("heading", name="已登记").wait_for()
    return int(page.locator("#log-index").inner_text())


def test_founding_by_invitation(chair: Phone, invited: Invited) -> None:
    page = chair.page
    page.goto(f"{invited.url}/console/#/found/{COMMUNITY}/{invited.token}")
    page.get_by_role("button", name="生成签名密钥").click()
    page.get_by_label("社区名称").fill("新社区")
    page.get_by_label("创始成员 必填").fill("王主任")
    page.get_by_role("button", name="预览并检查").click()
    preview = page.locator(".preview")
    preview.wait_for()
    assert "王主任" in preview.inner_text() and "新社区" in preview.inner_text()
    page.get_by_role("button", name="确认签署并提交").click()
    page.get_by_role("heading", name="已登记").wait_for()
    assert page.locator("#log-index").inner_text() == "0"
    assert size(invited) == 1
    # the founder's key is a non-extractable WebCrypto key: this page cannot read it back
    exported = page.evaluate("""async () => {""" + STORED + """
      const stored = await storedKey();
      const out = {kind: stored.kind, extractable: stored.privateKey.extractable};
      for (const format of ['pkcs8', 'jwk', 'raw']) {
        try { await crypto.subtle.exportKey(format, stored.privateKey); out[format] = 'exported'; }
        catch (e) { out[format] = e.name; }
      }
      return out;
    }""")
    assert exported == {"kind": "webcrypto", "extractable": False, "pkcs8": "InvalidAccessError",
                        "jwk": "InvalidAccessError", "raw": "InvalidAccessError"}
    # nothing was loaded from another host
    assert all(url.startswith(invited.url) for url, _ in chair.requests)
