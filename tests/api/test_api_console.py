"""What the committee console asks of the service: the console itself under a strict
Content-Security-Policy, every kind described for forms, a dry run that refuses as a submit
would (naming the field), batches all-or-nothing with every bad row named, import tables read,
pairing codes."""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from ledger.api import Settings, create_app
from ledger.api.console import CONSOLE_DIR
from ledger.domain.kinds import KINDS
from ledger.signing import MemberKey
from tests.api.conftest import Served
from tests.api.helpers import live
from tests.api.test_api_proposals import sign_in
from tests.committee import Committee


def test_the_console_is_served_with_a_policy_that_allows_no_other_host(served: Served) -> None:
    r = served.client.get("/console/")
    assert r.status_code == 200 and "阳光账本" in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "http" not in csp  # no other host, not even a CDN
    assert served.client.get("/console/app.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript"))
    assert "content-security-policy" not in served.client.get("/healthz").headers


def test_the_console_first_load_is_small() -> None:
    """index.html, its style and its modules (the vendored fallback signer loads only where
    WebCrypto lacks Ed25519): at most 150 KB compressed."""
    first = ["index.html", "style.css", "app.js", "forms.js", "keys.js", "util.js"]
    total = sum(len(gzip.compress((CONSOLE_DIR / name).read_bytes())) for name in first)
    assert total <= 150_000, total


def test_every_kind_is_described_for_forms_from_the_registry(served: Served) -> None:
    body = served.client.get("/v1/kinds").json()
    assert [k["kind"] for k in body["kinds"]] == list(KINDS)
    donation = next(k for k in body["kinds"] if k["kind"] == "fund.donation_recorded")
    fields = {f["name"]: f for f in donation["fields"]}
    assert fields["amount_fen"]["shape"] == "money" and fields["amount_fen"]["label"] == "捐赠金额"
    assert {"value": "cash", "label": "现金"} in fields["channel"]["values"]
    assert fields["fund_id"]["ref"] == "fund" and fields["donor_commitment"]["shape"] == "commitment"
    budget = next(k for k in body["kinds"] if k["kind"] == "fee.budget_set")
    lines = next(f for f in budget["fields"] if f["name"] == "lines")
    assert lines["shape"] == "list" and [f["name"] for f in lines["fields"]] == ["category", "amount_fen"]
    assert {"value": "treasurer", "label": "出纳"} in body["roles"]


def test_a_dry_run_checks_every_rule_and_records_nothing(served: Served) -> None:
    c = served.committee
    c.fund()
    size = c.app.size("testcom")
    good = c.sign("treasurer", "fund.opened", {"fund_id": "f2", "name": "第二基金", "purpose": "试",
                                              "opened_on": "2025-03-01"})
    r = served.client.post("/v1/communities/testcom/records?dry_run=1", json=good.to_json())
    assert r.status_code == 200 and r.json() == {"dry_run": True, "accepted": 1}
    assert c.app.size("testcom") == size
    # a refusal is the same answer a submit gives, with the field it concerns
    taken = c.sign("treasurer", "fund.opened", {"fund_id": "f1", "name": "重复", "purpose": "试",
                                               "opened_on": "2025-03-01"})
    dry = served.client.post("/v1/communities/testcom/records?dry_run=1", json=taken.to_json())
    real = served.client.post("/v1/communities/testcom/records", json=taken.to_json())
    assert dry.status_code == real.status_code == 409
    assert dry.json() == real.json()
    over = c.cosign(["treasurer", "chair"], "fund.grant_made", {
        "fund_id": "f1", "grant_id": "g1", "amount_fen": 10**9, "purpose": "太多",
        "decision_id": "nope", "granted_on": "2025-03-01"})
    problem = served.client.post("/v1/communities/testcom/records?dry_run=1", json=over.to_json()).json()
    assert problem["field"] == "decision_id", problem
    bad = c.sign("treasurer", "fund.opened", {"fund_id": "f3", "name": "", "purpose": "试",
                                             "opened_on": "2025-03-01"})
    problem = served.client.post("/v1/communities/testcom/records?dry_run=1", json=bad.to_json()).json()
    assert problem["field"] == "name"
    assert c.app.size("testcom") == size


def test_a_batch_is_recorded_whole_or_not_at_all(served: Served) -> None:
    c = served.committee
    size = c.app.size("testcom")

    def fund(n: int, name: str = "基金") -> dict[str, object]:
        return c.sign("treasurer", "fund.opened", {"fund_id": f"b{n}", "name": name, "purpose": "试",
                                                  "opened_on": "2025-03-01"}).to_json()

    rows = [fund(1), fund(2, ""), fund(3)]
    r = served.client.post("/v1/communities/testcom/batches?dry_run=1", json={"records": rows})
    assert r.status_code == 400 or r.status_code == 422, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "name")]
    assert served.client.post("/v1/communities/testcom/batches", json={"records": rows}).status_code in (400, 422)
    assert c.app.size("testcom") == size
    rows[1] = fund(2)
    assert served.client.post("/v1/communities/testcom/batches?dry_run=1",
                              json={"records": rows}).json() == {"dry_run": True, "accepted": 3}
    assert c.app.size("testcom") == size
    r = served.client.post("/v1/communities/testcom/batches", json={"records": rows})
    assert r.status_code == 201 and [x["index"] for x in r.json()["receipts"]] == [size, size + 1, size + 2]


def test_import_tables_are_read_row_by_row(served: Served, tmp_path: Path) -> None:
    xlsx = served.client.get("/v1/kinds/fee.spend_recorded/template.xlsx")
    assert xlsx.status_code == 200
    headers = [c.value for c in next(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(max_row=1))]
    assert "支出金额（元）" in headers
    csv = served.client.get("/v1/kinds/fund.donation_recorded/template.csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    header = csv.content.decode("utf-8-sig").strip()
    cols = header.split(",")
    good = {"基金": "f1", "捐赠编号": "d1", "捐赠金额（元）": "1,500.50", "方式": "现金", "收据号": "R1",
            "收款日期": "2025-03-01", "个人信息·姓名": "张三"}
    bad = dict(good, **{"捐赠金额（元）": "12.345", "捐赠编号": "d2"})
    text = header + "\r\n" + "\r\n".join(",".join(f'"{row.get(c, "")}"' for c in cols)
                                         for row in (good, bad)) + "\r\n,,,\r\n"
    rows = served.client.post("/v1/kinds/fund.donation_recorded/rows?name=a.csv",
                              content=text.encode("utf-8-sig")).json()["rows"]
    assert rows[0]["line"] == 2 and rows[0]["body"]["amount_fen"] == 150050
    assert rows[0]["body"]["channel"] == "cash" and rows[0]["person"] == {"name": "张三"}
    assert rows[0]["commitment_field"] == "donor_commitment"
    assert rows[1]["line"] == 3 and "两位小数" in rows[1]["error"]
    assert len(rows) == 2  # the empty trailing row is ignored
    assert served.client.get("/v1/kinds/nope/template.csv").status_code == 404


def test_a_pairing_code_gives_the_new_members_public_key(served: Served) -> None:
    key = MemberKey.generate()
    r = served.client.post("/v1/pairings", json={"public_key": key.public_b64, "name": "李出纳"})
    assert r.status_code == 201 and r.json()["key_id"] == key.key_id
    spaced = " ".join(key.key_id[i:i + 4] for i in range(0, 16, 4))
    found = served.client.get(f"/v1/pairings/{spaced}")
    assert found.json() == {"key_id": key.key_id, "public_key": key.public_b64, "name": "李出纳"}
    missing = served.client.get("/v1/pairings/0000000000000000")
    assert missing.status_code == 404 and "配对码" in missing.json()["detail"]
    assert served.client.post("/v1/pairings", json={"public_key": "x"}).status_code == 400


@pytest.mark.parametrize("data", ["http://127.0.0.1/v1/communities/testcom/records/3"])
def test_qr_codes_are_drawn_here(served: Served, data: str) -> None:
    r = served.client.get("/v1/qr", params={"data": data})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert served.client.get("/v1/qr", params={"data": ""}).status_code == 400


def test_published_copies_are_stored_under_their_hash_by_members_only(
        committee: Committee, tmp_path: Path) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0,
                                             files_dir=str(tmp_path / "files")))
    data = b"%PDF-1.4 minutes of the meeting"
    digest = hashlib.sha256(data).hexdigest()
    where = f"/v1/communities/testcom/files/{digest}"
    pdf = {"Content-Type": "application/pdf"}
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        refused = client.put(where, content=data, headers=pdf)
        assert refused.status_code == 401  # members only: anyone else could fill the disk
        served = Served(committee, client, url)
        assert sign_in(served, committee.keys["member"]).status_code == 201
        assert client.put(where, content=data + b"x", headers=pdf).json()["code"] == "hash-mismatch"
        assert client.put(where, content=data, headers={"Content-Type": "text/html"}).status_code == 415
        assert client.put(where, content=data, headers=pdf).status_code == 201
        assert client.put(where, content=data, headers=pdf).status_code == 200  # already there
        got = client.get(where)
        assert got.content == data and got.headers["content-type"] == "application/pdf"
        assert "sandbox" in got.headers["content-security-policy"]
        assert client.get(where.replace(digest, "0" * 64)).status_code == 404
    assert (tmp_path / "files" / "testcom" / digest).read_bytes() == data


def test_without_a_files_folder_only_hashes_are_kept(served: Served) -> None:
    r = served.client.get(f"/v1/communities/testcom/files/{'0' * 64}")
    assert r.status_code == 404 and r.json()["code"] == "files-not-configured"


def test_pairings_are_kept_in_the_database_for_a_day(db_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from ledger.application import Sunlight

    store = Sunlight(db_url).store
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    key = MemberKey.generate()
    assert store.offer_pairing(key.key_id, key.public_b64, "李", now + timedelta(days=1), now, 2)
    assert store.pairing(key.key_id, now) == (key.public_b64, "李")
    assert store.offer_pairing(key.key_id, key.public_b64, "李出纳", now + timedelta(days=1), now, 2)
    assert store.pairing(key.key_id, now) == (key.public_b64, "李出纳")  # offered again: replaced
    other, third = MemberKey.generate(), MemberKey.generate()
    assert store.offer_pairing(other.key_id, other.public_b64, "", now + timedelta(days=1), now, 2)
    assert not store.offer_pairing(third.key_id, third.public_b64, "", now + timedelta(days=1), now, 2)
    assert store.pairing(key.key_id, now + timedelta(days=1)) is None  # expired
    later = now + timedelta(days=2)
    assert store.offer_pairing(third.key_id, third.public_b64, "", later + timedelta(days=1), later, 2)
    assert store.pairing(third.key_id, later) == (third.public_b64, "")


def test_the_consoles_fallback_signer_is_the_pinned_release() -> None:
    """The same @noble/ed25519 file as the portal's, which scripts/vendor-js pins by SHA-256."""
    root = Path(__file__).resolve().parents[2]
    console = (CONSOLE_DIR / "vendor" / "noble-ed25519.js").read_bytes()
    assert console == (root / "site" / "docs" / "assets" / "vendor" / "noble-ed25519.js").read_bytes()
    assert "MIT License" in (CONSOLE_DIR / "vendor" / "noble-ed25519.LICENSE.txt").read_text()
    assert "ledger/console/vendor/noble-ed25519.js" in (root / "scripts" / "vendor-js").read_text()
