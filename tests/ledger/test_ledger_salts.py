"""Salts: every private record needs a fresh 32-byte random salt. A guessable salt (all zero, a
counter) lets anyone recover a phone number from the public commitment in seconds; a reused one
ties two records to the same person. Both are refused, across the database and after ``forget``,
and a refusal writes nothing."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select

from ledger.api import Settings, create_app
from ledger.application import BatchRejected, Sunlight
from ledger.domain.errors import Conflict, DomainError, InvalidInput
from ledger.signing import PrivateRecord, new_salt
from ledger.store.tables import private_table, salts_table
from tests.api.helpers import live
from tests.committee import Committee

PERSON = {"name": "张三", "phone": "13800138000"}


def donation(c: Committee, n: int, record: PrivateRecord) -> dict[str, Any]:
    return {"fund_id": "f1", "donation_id": f"d{n}", "amount_fen": 100, "channel": "cash",
            "receipt_no": f"R{n}", "received_on": "2025-03-01",
            "donor_commitment": record.commitment}


def refused(c: Committee, n: int, record: PrivateRecord, error: type[DomainError],
            code: str) -> None:
    size = c.app.size(c.community)
    private = len(c.app.private_records(c.community))
    with pytest.raises(error) as err:
        c.record("treasurer", "fund.donation_recorded", donation(c, n, record), (record,))
    assert err.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    assert c.app.size(c.community) == size
    assert len(c.app.private_records(c.community)) == private


@pytest.fixture
def funded(db_url: str) -> Committee:
    c = Committee.found(db_url)
    c.fund()
    return c


def test_clients_make_32_random_bytes() -> None:
    salts = {PrivateRecord.commit(PERSON).salt for _ in range(50)}
    assert len(salts) == 50 and {len(s) for s in salts} == {32}
    assert len(new_salt()) == 32 and new_salt() != new_salt()


@pytest.mark.parametrize(("salt", "code"), [
    (b"\x00" * 32, "salt-not-random"),
    (b"\xff" * 32, "salt-not-random"),
    ((7).to_bytes(32, "big"), "salt-not-random"),  # a counter
    (b"ab" * 16, "salt-not-random"),
    (new_salt()[:16], "salt-length"),
    (new_salt() + b"\x01", "salt-length"),
    (b"", "salt-length"),
])
def test_guessable_or_wrong_length_salts_are_refused(funded: Committee, salt: bytes,
                                                     code: str) -> None:
    refused(funded, 1, PrivateRecord.commit(PERSON, salt), InvalidInput, code)


def test_a_salt_is_used_once(funded: Committee) -> None:
    c = funded
    first = PrivateRecord.commit(PERSON)
    c.record("treasurer", "fund.donation_recorded", donation(c, 1, first), (first,))
    # The same salt for another person, and for the same person in another record: both refused.
    refused(c, 2, PrivateRecord.commit({"name": "李四"}, first.salt), Conflict, "salt-reused")
    refused(c, 2, first, Conflict, "salt-reused")
    # Two records of one batch with one salt.
    shared = new_salt()
    batch = [c.sign("treasurer", "fund.donation_recorded",
                    donation(c, n, PrivateRecord.commit({"name": f"人{n}"}, shared)),
                    (PrivateRecord.commit({"name": f"人{n}"}, shared),)) for n in (3, 4)]
    size = c.app.size(c.community)
    with pytest.raises(BatchRejected) as err:
        c.app.submit_batch(batch)
    assert [e.error.code for e in err.value.errors] == ["salt-reused"]
    assert c.app.size(c.community) == size


def test_the_same_signed_statement_again_is_idempotent_not_a_reused_salt(
        funded: Committee) -> None:
    c = funded
    record = PrivateRecord.commit(PERSON)
    sub = c.sign("treasurer", "fund.donation_recorded", donation(c, 1, record), (record,))
    first = c.app.submit(sub)
    again = c.app.submit(sub)
    assert again.duplicate and again.index == first.index
    assert len(c.app.private_records(c.community)) == 1


def test_an_erased_salt_stays_refused_and_is_not_kept(funded: Committee) -> None:
    c = funded
    record = PrivateRecord.commit(PERSON)
    c.record("treasurer", "fund.donation_recorded", donation(c, 1, record), (record,))
    assert c.app.forget(c.community, "张三") == 1
    refused(c, 2, PrivateRecord.commit({"name": "李四"}, record.salt), Conflict, "salt-reused")
    with c.app.store.engine.connect() as conn:
        kept = conn.execute(select(salts_table.c.salt_sha256)).scalars().all()
    assert [bytes(h) for h in kept] == [hashlib.sha256(record.salt).digest()]
    assert record.salt not in [bytes(h) for h in kept]


def test_a_salt_seen_in_another_community_is_refused(db_url: str) -> None:
    one = Committee.found(db_url, "one")
    one.fund()
    record = PrivateRecord.commit(PERSON)
    one.record("treasurer", "fund.donation_recorded", donation(one, 1, record), (record,))
    two = Committee.found(db_url, "two")
    two.fund()
    refused(two, 1, PrivateRecord.commit({"name": "李四"}, record.salt), Conflict, "salt-reused")


def test_a_database_from_before_remembers_its_stored_salts(db_url: str) -> None:
    c = Committee.found(db_url)
    c.fund()
    record = PrivateRecord.commit(PERSON)
    c.record("treasurer", "fund.donation_recorded", donation(c, 1, record), (record,))
    with c.app.store.engine.begin() as conn:  # as a database written before salts were remembered
        conn.execute(delete(salts_table))
    c.app.close()
    c.app = Sunlight(db_url, clock=c.clock)
    with c.app.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(salts_table)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(private_table)).scalar() == 1
    refused(c, 2, PrivateRecord.commit({"name": "李四"}, record.salt), Conflict, "salt-reused")


def test_the_service_answers_a_chinese_problem_and_writes_nothing(committee: Committee) -> None:
    c = committee
    c.fund()
    size = c.app.size(c.community)
    app = create_app(c.app, Settings(rate_per_address=0, rate_per_key=0))
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        for salt, status in ((b"\x00" * 32, 400), (new_salt()[:16], 400)):
            record = PrivateRecord.commit(PERSON, salt)
            sub = c.sign("treasurer", "fund.donation_recorded", donation(c, 1, record), (record,))
            response = client.post(f"/v1/communities/{c.community}/records", json=sub.to_json())
            assert response.status_code == status, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])
        good = PrivateRecord.commit(PERSON)
        sub = c.sign("treasurer", "fund.donation_recorded", donation(c, 1, good), (good,))
        assert client.post(f"/v1/communities/{c.community}/records",
                           json=sub.to_json()).status_code == 201
        reused = PrivateRecord.commit({"name": "李四"}, good.salt)
        sub = c.sign("treasurer", "fund.donation_recorded", donation(c, 2, reused), (reused,))
        response = client.post(f"/v1/communities/{c.community}/records", json=sub.to_json())
        assert response.status_code == 409 and response.json()["code"] == "salt-reused"
    assert c.app.size(c.community) == size + 1
    assert len(c.app.private_records(c.community)) == 1


def test_only_the_demo_chooses_its_salts() -> None:
    """Every shipped client lets ``PrivateRecord.commit`` draw the salt; the demo's come from
    public seeds and it says so."""
    root = Path(__file__).resolve().parents[2]
    choosers = []
    for path in [*root.glob("ledger/**/*.py"), *root.glob("publisher/**/*.py"),
                 *root.glob("bench/*.py"), *root.glob("scripts/*")]:
        if not path.is_file() or path.suffix not in ("", ".py"):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "commit" and (len(node.args) > 1 or node.keywords)):
                choosers.append(str(path.relative_to(root)))
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "PrivateRecord"):
                choosers.append(str(path.relative_to(root)))
    # signing.py defines the record and reads the ones clients send (``PrivateRecord.from_json``,
    # also for kept proposals; the ledger checks them), through ``cls``.
    assert sorted(set(choosers)) == ["ledger/demo.py"]
