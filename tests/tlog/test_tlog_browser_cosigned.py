"""The portal's checks of co-signed (version 2) entries in headless Chromium: the 审计 page checks
every signature of every entry and locates a forged co-signature or the same member signing twice;
a record page checks each signer's signature; the page reads the entry vectors' forms as Python does."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.signing import Entry, MemberKey
from publisher.build import publish
from tests.chromium import MARKS
from tests.committee import Committee
from tests.tlog.logbuild import entries_of, forged, log_signer
from tests.tlog.test_tlog_browser import check, check_record, copy_portal, in_page, with_log

pytestmark = MARKS

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "entries-v2.json"


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Committee:
    c = Committee.found(f"sqlite:///{tmp_path_factory.mktemp('cosigned') / 'c.db'}")
    c.record(["treasurer", "chair"], "fund.opened", {
        "fund_id": "f1", "name": "微基金", "purpose": "资助小项目", "opened_on": "2025-03-01"})
    c.record(["treasurer", "chair", "supervisor"], "fund.opened", {
        "fund_id": "f2", "name": "助学金", "purpose": "助学", "opened_on": "2025-03-01"})
    c.fund("f3")
    return c


@pytest.fixture(scope="module")
def portal(community: Committee, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal") / "site"
    publish(community.app, community.community, out, base_url="https://portal.example/c/", search=False)
    return out


def test_the_page_checks_every_signature_of_a_co_signed_log(browser: Any, portal: Path,
                                                            community: Committee) -> None:
    entries = entries_of(community.app, community.community)
    signatures = sum(len(Entry.decode(e).signatures) for e in entries)
    assert signatures == len(entries) + 4  # the 监督's admission too is co-signed
    text = check(browser, portal)
    first, technical = text.splitlines()[:2]
    assert first.startswith(f"通过：本站公开的全部 {len(entries)} 条记录都没有被改动、没有遗漏")
    assert technical.startswith(
        f"技术细节：检查点签名、{len(entries)} 条记录重算的默克尔树根、{signatures} 个成员签名")


def test_a_forged_co_signature_and_the_same_member_twice_are_located(
        browser: Any, portal: Path, community: Committee, tmp_path: Path) -> None:
    entries = entries_of(community.app, community.community)
    i = len(entries) - 2
    obj = orjson.loads(entries[i])
    sig = bytearray(base64.b64decode(obj["sigs"][1]["sig"]))
    sig[7] ^= 1
    obj["sigs"][1]["sig"] = base64.b64encode(bytes(sig)).decode()
    entries[i] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    # the 出纳's key rotated, then the old key and the new co-sign one statement
    new = MemberKey.from_seed(b"\x33" * 32)
    keys = community.keys
    rotated = forged(entries[-1], keys["chair"], community.community, "member.key_rotated",
                     {"member_id": "treasurer", "public_key": new.public_b64})
    body = {"fund_id": "f9", "name": "伪造", "purpose": "同一人两次", "opened_on": "2025-03-01"}
    twice = forged(rotated, new, community.community, "fund.opened", body)
    obj = orjson.loads(twice)
    old_sig = keys["treasurer"].private.sign(obj["statement"].encode())
    sigs = sorted([(obj["key_id"], obj["sig"]), (keys["treasurer"].key_id,
                                                  base64.b64encode(old_sig).decode())])
    twice = orjson.dumps({"accepted_at": obj["accepted_at"], "statement": obj["statement"], "v": 2,
                          "sigs": [{"key_id": k, "sig": s} for k, s in sigs]},
                         option=orjson.OPT_SORT_KEYS)
    text = check(browser, with_log(portal, tmp_path, [*entries, rotated, twice],
                                   log_signer(community.app, community.community)))
    n = len(entries)
    lines = text.splitlines()
    assert lines[0] == "未通过：发现 2 处问题。"
    assert lines[1] == f"第 {i} 条：签名无效：声明被改动过，或不是用登记的密钥签名的"
    assert lines[2] == f"第 {n + 1} 条：同一成员签了两次：共同签署须由不同的成员各签一次"


def test_a_record_page_checks_each_signer(browser: Any, portal: Path, community: Committee,
                                          tmp_path: Path) -> None:
    entries = entries_of(community.app, community.community)
    i = len(entries) - 2  # three signers
    assert check_record(browser, portal, i).startswith("与公开账本一致，未被改动。")
    html = (portal / "r" / str(i) / "index.html").read_text(encoding="utf-8")
    assert html.count("共同签署") == 2
    audit = (portal / "audit" / "index.html").read_text(encoding="utf-8")
    assert "<li>拨付资助须出纳和主任共同签署</li>" in audit
    obj = orjson.loads(entries[i])
    obj["sigs"] = obj["sigs"][:2]  # one signer dropped: a malformed entry whatever the page says
    entries[i] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    site = copy_portal(portal, tmp_path, entries, log_signer(community.app, community.community))
    assert "签名数目与本页所示的签名人数目不符" in check_record(browser, site, i)


def test_the_page_reads_the_entry_forms_as_python_does(browser: Any, portal: Path) -> None:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    texts = [*vectors["context"], *(c["entry"] for c in vectors["cases"])]
    got = in_page(browser, portal, """async (texts) => {
        const { entrySignatures } = await import("../assets/verify.js");
        return texts.map((t) => { try { return entrySignatures(JSON.parse(t)).map((s) => s[0]); }
                                  catch { return null; } });
    }""", texts)
    want: list[list[str] | None] = []
    for text in texts:
        try:
            want.append([k for k, _ in Entry.decode(text.encode()).signatures])
        except Exception:
            want.append(None)
    assert got == want
    assert None in want and any(w is not None and len(w) == 3 for w in want)
