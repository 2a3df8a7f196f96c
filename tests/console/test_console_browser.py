"""The committee console in Debian Chromium at 360 x 640, against a real ``sunlight serve``:
founding by invitation, enrolling a 出纳 by pairing code, a donation with a private donor, a
fee spend with an invoice file, refusals beside their field, a grant held by an objection and
co-signed, an objection to a record, an import with one bad row.

The tests run in order and build on each other (one community, its 主任, 出纳 and 监督 each in
their own browser context, as on three phones)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.helpers import wait_until
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
    assert page.locator("#portal-link").get_attribute("href") == f"https://portal.example/{COMMUNITY}/r/0/"
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


def test_enrolling_a_treasurer_by_pairing_code(chair: Phone, treasurer: Phone,
                                               invited: Invited) -> None:
    new = treasurer.page
    new.goto(f"{invited.url}/console/#/key")
    new.get_by_role("button", name="生成签名密钥").click()
    code = new.locator("#pairing-code").inner_text()
    assert len(code.replace(" ", "")) == 16
    new.locator("img.qr").wait_for()
    page = chair.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
    page.get_by_role("link", name="凭配对码接纳新成员").click()
    page.get_by_label("新成员的配对码").fill("0000 0000 0000 0000")
    page.get_by_role("button", name="查找新成员的密钥").click()
    page.get_by_text("没有配对码为").wait_for()
    page.get_by_label("新成员的配对码").fill(code)
    page.get_by_role("button", name="查找新成员的密钥").click()
    page.get_by_role("button", name="接纳为新成员").click()
    page.get_by_role("heading", name="成员入职").wait_for()
    public_key = page.get_by_label("公钥").input_value()
    assert public_key.endswith("=") and len(public_key) == 44
    page.get_by_label("成员编号").fill("cashier")
    page.get_by_label("姓名").fill("李出纳")
    page.get_by_label("职务").select_option(label="出纳")
    assert sign_and_submit(page) == 1
    new.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
    new.get_by_text("李出纳（出纳）").wait_for()


def test_a_donation_with_a_private_donor(treasurer: Phone, invited: Invited) -> None:
    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fund.opened")
    page.get_by_label("基金编号").fill("mf-1")
    page.get_by_label("基金名称").fill("新社区微基金")
    page.get_by_label("宗旨").fill("资助居民提出的小项目")
    assert sign_and_submit(page) == 2
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fund.donation_recorded")
    page.get_by_label("基金 必填").select_option("mf-1")
    page.get_by_label("捐赠编号").fill("d-1")
    amount = page.get_by_label("捐赠金额")
    amount.fill("1,500.5")
    page.get_by_text("大写：壹仟伍佰元伍角整").wait_for()
    page.get_by_label("方式 必填", exact=True).select_option(label="微信")
    page.get_by_label("收据号").fill("SJ-0001")
    page.get_by_label("姓名（不公开）").fill("张三丰")
    page.get_by_label("联系电话（不公开）").fill("13800138000")
    treasurer.requests.clear()
    page.get_by_role("button", name="预览并检查").click()
    preview = page.locator(".preview")
    preview.wait_for()
    text = preview.inner_text()
    assert "1,500.50 元（壹仟伍佰元伍角整）" in text and "微信" in text
    assert "张三丰" not in text and "13800138000" not in text
    page.get_by_role("button", name="确认签署并提交").click()
    page.get_by_role("heading", name="已登记").wait_for()
    index = int(page.locator("#log-index").inner_text())
    # the donor's name and phone went only as the private data, never in the statement
    posted = [json.loads(body) for url, body in treasurer.requests if url.endswith("/records")]
    assert len(posted) == 1
    statement = json.loads(posted[0]["statement"])
    assert statement["body"]["amount_fen"] == 150050
    assert "张三丰" not in posted[0]["statement"] and "13800138000" not in posted[0]["statement"]
    (private,) = posted[0]["private"]
    assert private["data"] == {"name": "张三丰", "contact": "13800138000"}
    assert len(bytes.fromhex(private["salt"])) == 32
    canonical = json.dumps(private["data"], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert statement["body"]["donor_commitment"] == hashlib.sha256(
        bytes.fromhex(private["salt"]) + canonical.encode()).hexdigest()
    record = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records/{index}").json()
    assert record["body"]["donor_commitment"] == statement["body"]["donor_commitment"]
    # the receipt's proof file, and a receipt for the donor with a QR code
    with page.expect_download() as download:
        page.get_by_role("link", name="下载离线证明（.tlog-proof）").click()
    assert download.value.suggested_filename == f"{COMMUNITY}-{index}.tlog-proof"
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("c2sp.org/tlog-proof@v1")
    page.get_by_role("link", name="打印捐赠收据").click()
    donor = page.locator("article.a6")
    donor.wait_for()
    assert "张三丰" in donor.inner_text() and "壹仟伍佰元伍角整" in donor.inner_text()
    page.wait_for_function("() => { const img = document.querySelector('article.a6 img.qr');"
                           " return img.complete && img.naturalWidth > 0; }")


def test_refusals_are_shown_beside_their_field(treasurer: Phone, invited: Invited) -> None:
    page = treasurer.page
    before = size(invited)
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fund.donation_recorded")
    page.get_by_label("基金 必填").select_option("mf-1")
    page.get_by_label("捐赠编号").fill("d-2")
    page.get_by_label("捐赠金额").fill("12.345")
    page.get_by_label("方式 必填", exact=True).select_option(label="现金")
    page.get_by_label("收据号").fill("SJ-0001")  # already used for d-1
    page.get_by_role("button", name="预览并检查").click()
    amount_error = page.locator('.field[data-field="amount_fen"] .error')
    amount_error.wait_for()
    assert "两位小数" in amount_error.inner_text()
    page.get_by_label("捐赠金额").fill("200")
    page.get_by_role("button", name="预览并检查").click()
    receipt_error = page.locator('.field[data-field="receipt_no"] .error')
    receipt_error.wait_for()  # the ledger's own refusal, from the dry run
    assert "SJ-0001" in receipt_error.inner_text()
    assert page.locator('.field[data-field="amount_fen"] .error').is_hidden()
    assert size(invited) == before


INVOICE = b"\xff\xd8\xff\xe0 a photographed invoice (JPEG bytes) \xff\xd9"


def test_a_fee_spend_with_an_invoice_file(chair: Phone, treasurer: Phone, invited: Invited) -> None:
    page = chair.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/community.estate_added")
    page.get_by_label("小区编号").fill("e1")
    page.get_by_label("小区名称").fill("新社区一期")
    sign_and_submit(page)
    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fee.budget_set")
    page.get_by_label("小区 必填").select_option("e1")
    page.get_by_label("预算明细 第 1 行 类别").select_option(label="维修")
    page.get_by_label("预算明细 第 1 行 预算金额").fill("30000")
    page.get_by_role("button", name="添加一行").click()
    page.get_by_label("预算明细 第 2 行 类别").select_option(label="保洁")
    page.get_by_label("预算明细 第 2 行 预算金额").fill("1200.5")
    page.get_by_role("button", name="预览并检查").click()
    assert "维修" in page.locator(".preview").inner_text()
    page.get_by_role("button", name="确认签署并提交").click()
    page.get_by_role("heading", name="已登记").wait_for()
    budget = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records?kind=fee.budget_set").json()
    assert budget["records"][0]["body"]["lines"] == [{"category": "repairs", "amount_fen": 3000000},
                                                     {"category": "cleaning", "amount_fen": 120050}]
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fee.spend_recorded")
    page.get_by_label("小区 必填").select_option("e1")
    page.get_by_label("支出编号").fill("s-1")
    page.get_by_label("类别").select_option(label="维修")
    page.get_by_label("收款单位").fill("某某维修公司")
    page.get_by_label("支出金额").fill("860")
    page.get_by_label("发票哈希").set_input_files(
        files=[{"name": "invoice.jpg", "mimeType": "image/jpeg", "buffer": INVOICE}])
    digest = hashlib.sha256(INVOICE).hexdigest()
    page.get_by_text(f"invoice.jpg：SHA-256 {digest}").wait_for()
    page.get_by_label("摘要").fill("3 号楼水管维修")
    index = sign_and_submit(page)
    record = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records/{index}").json()
    assert record["body"]["invoice_sha256"] == digest and record["body"]["amount_fen"] == 86000


def test_a_large_spend_proposed_by_the_treasurer_and_cosigned_by_the_chair(
        chair: Phone, treasurer: Phone, invited: Invited) -> None:
    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fee.spend_recorded")
    page.get_by_label("小区 必填").select_option("e1")
    page.get_by_label("支出编号").fill("s-2")
    page.get_by_label("类别").select_option(label="维修")
    page.get_by_label("收款单位").fill("某某电梯公司")
    page.get_by_label("支出金额").fill("6000")
    page.get_by_label("发票哈希").set_input_files(
        files=[{"name": "invoice2.jpg", "mimeType": "image/jpeg", "buffer": INVOICE + b"2"}])
    page.get_by_text("invoice2.jpg：SHA-256").wait_for()
    page.get_by_label("摘要").fill("电梯更换部件")
    page.get_by_role("button", name="预览并检查").click()
    page.locator("#needs-cosign").wait_for()
    before = size(invited)
    page.get_by_role("button", name="签署并提交为提案").click()
    page.locator("#proposed").wait_for()
    assert size(invited) == before
    # the 主任, on their own phone, signs in by signing a challenge and co-signs
    chair.requests.clear()
    page = chair.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
    page.get_by_role("link", name="待我签署的提案").click()
    article = page.locator("article.proposal")
    article.wait_for()
    assert "6,000.00 元（陆仟元整）" in article.inner_text() and "某某电梯公司" in article.inner_text()
    page.get_by_role("button", name="共同签署").click()
    page.locator(".cosigned").wait_for()
    assert size(invited) == before + 1
    cookies = page.context.cookies()
    session = [c for c in cookies if c["name"] == "sunlight_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the page itself cannot read the session
    page.reload()
    page.locator("#none-waiting").wait_for()


@pytest.fixture(scope="module")
def supervisor(browser: Any, invited: Invited) -> Iterator[Phone]:
    yield from phone(browser, invited.url)


def accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation, and every control is 44 x 44 px."""
    from tests.a11y import serious_violations
    from tests.console.test_console_a11y import SMALL_TARGETS

    assert serious_violations(page) == []
    assert page.evaluate(SMALL_TARGETS) == []


def test_a_grant_proposed_by_the_treasurer_held_by_an_objection_and_cosigned_by_the_chair(
        chair: Phone, treasurer: Phone, supervisor: Phone, invited: Invited) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    # the 主任 records the meeting and the decision that authorises grants from the fund
    page = chair.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/decision.meeting_held")
    page.get_by_label("会议编号").fill("hy-1")
    page.get_by_label("会议类型").select_option(label="居民代表会议")
    page.get_by_label("会议名称").fill("十二月居民代表会议")
    page.get_by_label("应到人数").fill("7")
    page.get_by_label("实到人数").fill("5")
    sign_and_submit(page)
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/decision.resolved")
    page.get_by_label("决议编号").fill("jy-1")
    page.get_by_label("会议 必填").select_option("hy-1")
    page.get_by_label("议题").fill("微基金资助楼道灯更换")
    page.get_by_label("赞成").fill("5")
    page.get_by_label("反对").fill("0")
    page.get_by_label("弃权").fill("0")
    page.get_by_label("结果").select_option(label="通过")
    page.get_by_label("决议内容").fill("同意从微基金拨款更换楼道灯，不超过 1000 元。")
    page.get_by_label("授权事项 第 1 行 授权类型").select_option(label="基金拨款")
    page.get_by_label("授权事项 第 1 行 基金").select_option("mf-1")
    page.get_by_label("授权事项 第 1 行 上限").fill("1000")
    sign_and_submit(page)
    # the 监督 joins, on a third phone
    watch = supervisor.page
    watch.goto(f"{invited.url}/console/#/key")
    watch.get_by_role("button", name="生成签名密钥").click()
    code = watch.locator("#pairing-code").inner_text()
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/admit")
    page.get_by_label("新成员的配对码").fill(code)
    page.get_by_role("button", name="查找新成员的密钥").click()
    page.get_by_role("button", name="接纳为新成员").click()
    page.get_by_label("成员编号").fill("zhao")
    page.get_by_label("姓名").fill("赵监督")
    page.get_by_label("职务").select_option(label="监督")
    sign_and_submit(page)
    # the 出纳 proposes the grant: it needs the 主任's signature too
    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/fund.grant_made")
    page.get_by_label("基金 必填").select_option("mf-1")
    page.get_by_label("拨款编号").fill("g-1")
    page.get_by_label("拨付金额").fill("800")
    page.get_by_label("用途").fill("楼道灯更换")
    page.get_by_label("授权决议").select_option("jy-1")
    page.get_by_role("button", name="预览并检查").click()
    page.locator("#needs-cosign").wait_for()
    page.get_by_role("button", name="签署并提交为提案").click()
    page.locator("#proposed").wait_for()
    before = size(invited)
    # the 监督 objects to it from the proposals waiting for signatures
    watch.goto(f"{invited.url}/console/#/c/{COMMUNITY}/proposals")
    proposal = watch.locator("article.proposal")
    proposal.wait_for()
    proposal_id = proposal.get_attribute("data-id")
    assert "800.00 元（捌佰元整）" in proposal.inner_text()
    accessible(watch)
    proposal.get_by_role("link", name="提出异议").click()
    watch.get_by_role("heading", name="对提案提出异议").wait_for()
    assert watch.get_by_label("异议编号").input_value() == f"YY-{today[:4]}-01"
    assert watch.get_by_label("提出日期").input_value() == today
    assert watch.get_by_label("所涉记录").count() == 0  # a proposal, not a record
    watch.get_by_label("异议理由").fill("楼道灯已在保修期内，应由物业更换，不应动用微基金。")
    accessible(watch)
    objection = sign_and_submit(watch)
    raised = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records/{objection}").json()
    assert raised["body"] == {"objection_id": f"YY-{today[:4]}-01", "proposal_id": proposal_id,
                              "reason": "楼道灯已在保修期内，应由物业更换，不应动用微基金。",
                              "raised_on": today}
    # the 主任 co-signs from their own phone: signed enough, but held by the objection
    page = chair.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/proposals")
    mine = page.locator(f'article.proposal[data-id="{proposal_id}"]')
    mine.locator(".held").wait_for()
    assert "保修期内" in mine.locator(".held").inner_text()
    mine.get_by_role("button", name="共同签署").click()
    cosigned = mine.locator(".cosigned")
    cosigned.wait_for()
    assert "签名已齐" in cosigned.inner_text() and "暂不登记" in cosigned.inner_text()
    assert size(invited) == before + 1  # the objection only
    page.reload()
    held = page.locator(f'article.proposal[data-id="{proposal_id}"] .held')
    held.wait_for()
    assert "异议尚未答复" in held.inner_text() or "尚未答复" in held.inner_text()
    accessible(page)
    # the 主任 answers the open objection; the answer releases the grant into the log
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
    page.get_by_role("link", name="异议与答复").click()
    listed = page.locator(f'article.objection[data-id="YY-{today[:4]}-01"]')
    listed.wait_for()
    assert "赵监督（监督）" in listed.inner_text() and "拨付资助" in listed.inner_text()
    accessible(page)
    listed.get_by_role("link", name=f"答复异议 YY-{today[:4]}-01").click()
    page.get_by_label("答复 必填").fill("经核实，灯具已过保修期，仍由微基金资助。")
    assert page.get_by_label("答复日期").input_value() == today
    accessible(page)
    sign_and_submit(page)
    page.locator("#released").wait_for()
    index = int(page.locator("#released-index").inner_text())
    assert size(invited) == before + 3  # the objection, its answer, the grant
    grant = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records/{index}").json()
    assert grant["kind"] == "fund.grant_made" and grant["body"]["amount_fen"] == 80000
    assert len(grant["cosigner_key_ids"]) == 1
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/objections")
    page.locator("#no-open-objections").wait_for()
    watch.goto(f"{invited.url}/console/#/c/{COMMUNITY}/proposals")
    watch.locator("#none-waiting").wait_for()
    # an objection to it now concerns the record
    watch.goto(f"{invited.url}/console/#/c/{COMMUNITY}/object/proposal/{proposal_id}")
    watch.get_by_role("link", name=f"对第 {index} 条记录提出异议").click()
    watch.get_by_role("heading", name="对一条记录提出异议").wait_for()
    assert watch.get_by_label("所涉记录").input_value() == str(index)


def test_an_objection_to_a_record_answered_by_its_recorder(
        treasurer: Phone, supervisor: Phone, invited: Invited) -> None:
    spend = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records?kind=fee.spend_recorded"
                      ).json()["records"][0]
    watch = supervisor.page
    watch.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
    watch.get_by_role("link", name="提出异议").click()
    watch.get_by_role("heading", name="对一条记录提出异议").wait_for()
    watch.get_by_label("所涉记录").select_option(str(spend["index"]))
    watch.get_by_label("异议理由").fill("维修发票的金额与报价单不一致。")
    index = sign_and_submit(watch)
    raised = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records/{index}").json()
    assert raised["body"]["log_index"] == spend["index"] and "proposal_id" not in raised["body"]
    objection_id = raised["body"]["objection_id"]
    assert objection_id.endswith("-02")
    # the 监督 may not answer it; the 出纳 who recorded the spend may
    watch.goto(f"{invited.url}/console/#/c/{COMMUNITY}/objections")
    listed = watch.locator(f'article.objection[data-id="{objection_id}"]')
    listed.wait_for()
    assert listed.get_by_role("link").count() == 0 and "须由主任或所涉记录的登记人答复" in listed.inner_text()
    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/objections")
    page.get_by_role("link", name=f"答复异议 {objection_id}").click()
    page.get_by_label("答复 必填").fill("报价单另有运费一项，发票金额无误。")
    sign_and_submit(page)
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/objections")
    page.locator("#no-open-objections").wait_for()


def test_an_import_with_one_bad_row_then_fixed(treasurer: Phone, invited: Invited,
                                               tmp_path: Path) -> None:
    from openpyxl import load_workbook

    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/import")
    page.get_by_label("记录类型").select_option(label="登记收入")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel 模板").click()
    template = tmp_path / "income.xlsx"
    download.value.save_as(template)
    book = load_workbook(template)
    sheet = book["记录"]
    headers = [c.value for c in sheet[1]]

    def row(**cells: str) -> list[str]:
        return [cells.get(h, "") for h in headers]

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    good = {"小区": "e1", "来源": "物业费", "期间": today[:7], "收入金额（元）": "12,000", "收款日期": today}
    sheet.append(row(**good, 收入编号="in-1"))
    sheet.append(row(**dict(good, 来源="卖废品"), 收入编号="in-2"))  # not a source: refused
    sheet.append(row(**good, 收入编号="in-3"))
    book.save(tmp_path / "filled.xlsx")
    before = size(invited)
    page.get_by_label("填好的表格").set_input_files(str(tmp_path / "filled.xlsx"))
    page.get_by_role("button", name="检查全部行").click()
    bad = page.locator("ul.bad li")
    bad.first.wait_for()
    assert bad.count() == 1 and bad.first.inner_text().startswith("第 3 行")
    assert size(invited) == before
    sheet.cell(row=3, column=headers.index("来源") + 1, value="物业费")
    book.save(tmp_path / "fixed.xlsx")
    page.get_by_label("填好的表格").set_input_files(str(tmp_path / "fixed.xlsx"))
    page.get_by_role("button", name="检查全部行").click()
    page.get_by_text("全部 3 行检查通过（尚未登记）").wait_for()
    assert size(invited) == before
    page.get_by_role("button", name="签署并登记全部 3 行").click()
    page.locator("#imported").wait_for()
    assert size(invited) == before + 3


MINUTES = b"%PDF-1.4 the minutes of the December meeting"


def test_a_disclosure_with_a_published_attachment_on_the_portal(
        treasurer: Phone, invited: Invited) -> None:
    page = treasurer.page
    page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/new/disclosure.published")
    page.get_by_label("公开事项编号").fill("gk-12")
    page.get_by_label("类别").select_option(label="资金使用")
    page.get_by_label("标题").fill("十二月资金使用公开")
    page.get_by_label("内容 必填").fill("本月资金使用情况见附件会议纪要。")
    page.get_by_label("附件 第 1 行 内容哈希").set_input_files(
        files=[{"name": "会议纪要.pdf", "mimeType": "application/pdf", "buffer": MINUTES}])
    digest = hashlib.sha256(MINUTES).hexdigest()
    page.get_by_text(f"会议纪要.pdf：SHA-256 {digest}").wait_for()
    assert page.get_by_label("附件 第 1 行 文件名").input_value() == "会议纪要.pdf"
    page.get_by_label("公开一份副本").check()
    index = sign_and_submit(page)
    assert (invited.files / digest).read_bytes() == MINUTES  # stored under its hash
    record = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records/{index}").json()
    assert record["body"]["attachments"] == [{"name": "会议纪要.pdf", "sha256": digest,
                                              "media_type": "application/pdf"}]
    # the service's automatic publish puts it on the portal, the copy checked against its hash
    page_html = invited.site / "r" / str(index) / "index.html"
    wait_until(lambda: page_html.exists() and digest in page_html.read_text(encoding="utf-8"),
               "the record's portal page with its attachment")
    assert (invited.site / "files" / f"{digest}.pdf").read_bytes() == MINUTES
    html = page_html.read_text(encoding="utf-8")
    assert f'data-sl-attachment="{digest}"' in html


def test_a_lost_phone_the_chair_rotates_the_key(browser: Any, chair: Phone, treasurer: Phone,
                                                invited: Invited) -> None:
    for new in phone(browser, invited.url):
        new.page.goto(f"{invited.url}/console/#/key")
        new.page.get_by_role("button", name="生成签名密钥").click()
        code = new.page.locator("#pairing-code").inner_text()
        page = chair.page
        page.goto(f"{invited.url}/console/#/c/{COMMUNITY}/admit")
        page.get_by_label("新成员的配对码").fill(code)
        page.get_by_role("button", name="查找新成员的密钥").click()
        page.get_by_role("button", name="为已有成员更换密钥（手机丢失或更换）").click()
        page.get_by_role("heading", name="更换密钥").wait_for()
        page.get_by_label("成员 必填").select_option("cashier")
        sign_and_submit(page)
        new.page.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
        new.page.get_by_text("李出纳（出纳）").wait_for()
        treasurer.page.goto(f"{invited.url}/console/#/")
        treasurer.page.goto(f"{invited.url}/console/#/c/{COMMUNITY}")
        treasurer.page.get_by_text("您的签名密钥还不是本社区成员的密钥").wait_for()


KIND_CODES = ("fund.", "fee.", "member.", "community.", "oversight.", "decision.", "disclosure.")


def test_every_record_made_in_the_console_is_on_the_published_portal(invited: Invited) -> None:
    """After the service's automatic publish, every record the tests above made from the console
    (founding, members, the donation with its private donor, the spend, the grant, the objections,
    the imported rows) has its portal page, titled from the registry in Chinese."""
    total = size(invited)
    assert total > 10
    pages = [invited.site / "r" / str(i) / "index.html" for i in range(total)]
    wait_until(lambda: all(p.exists() for p in pages), "a portal page for every record")
    for p in pages:
        html = p.read_text(encoding="utf-8")
        h1 = html[html.index("<h1"):html.index("</h1>")]
        assert not any(kind in h1 for kind in KIND_CODES), h1  # titled in Chinese
    listed = httpx.get(f"{invited.url}/v1/communities/{COMMUNITY}/records",
                       params={"kind": "fund.donation_recorded"}).json()
    donations = [r["index"] for r in listed["records"]]
    assert donations
    for index in donations:  # the donor's name and phone never reach the portal
        html = pages[index].read_text(encoding="utf-8")
        assert "13800138000" not in html
