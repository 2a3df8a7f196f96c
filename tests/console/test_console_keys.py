"""The console's keys, where WebCrypto lacks Ed25519: the vendored @noble/ed25519 signs, the page
says the key is less protected, and the key's bytes are in no request the page sends."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.chromium import MARKS
from tests.console.conftest import COMMUNITY, Invited

pytestmark = MARKS

# Makes WebCrypto refuse Ed25519, as a browser without it does.
NO_ED25519 = """(() => {
  const generate = crypto.subtle.generateKey.bind(crypto.subtle);
  crypto.subtle.generateKey = (alg, ...rest) =>
    (alg === 'Ed25519' || (alg && alg.name === 'Ed25519'))
      ? Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'))
      : generate(alg, ...rest);
})();"""


@pytest.fixture(scope="module")
def old_browser(browser: Any) -> Iterator[tuple[Any, list[bytes]]]:
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    context.add_init_script(NO_ED25519)
    page = context.new_page()
    page.set_default_timeout(60_000)
    sent: list[bytes] = []

    def record(request: Any) -> None:
        sent.append(request.url.encode() + b"\n" + "\n".join(
            f"{k}: {v}" for k, v in request.headers.items()).encode() + b"\n"
                    + (request.post_data_buffer or b""))

    page.on("request", record)
    yield page, sent
    context.close()


def test_the_fallback_key_signs_says_so_and_never_leaves_the_browser(
        old_browser: tuple[Any, list[bytes]], invited: Invited) -> None:
    page, sent = old_browser
    page.goto(f"{invited.url}/console/#/found/{COMMUNITY}/{invited.token}")
    page.get_by_role("button", name="生成签名密钥").click()
    page.get_by_text("保护较弱").wait_for()
    page.get_by_label("社区名称").fill("新社区")
    page.get_by_label("创始成员 必填").fill("王主任")
    page.get_by_role("button", name="预览并检查").click()
    page.get_by_role("button", name="确认签署并提交").click()
    page.get_by_role("heading", name="已登记").wait_for()
    members = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/members").json()["members"]
    assert members[0]["name"] == "王主任"  # the vendored signer's signature was accepted
    secret = bytes(page.evaluate("""async () => {
      const db = await new Promise((ok) => {
        const r = indexedDB.open('sunlight-console'); r.onsuccess = () => ok(r.result); });
      const stored = await new Promise((ok) => {
        const r = db.transaction('keys').objectStore('keys').get('member'); r.onsuccess = () => ok(r.result); });
      return Array.from(stored.secret);
    }"""))
    assert len(secret) == 32
    forms = [secret, secret.hex().encode(), base64.b64encode(secret),
             base64.urlsafe_b64encode(secret).rstrip(b"="), base64.b64encode(secret).rstrip(b"=")]
    assert sent and not [s for s in sent for f in forms if f in s]
