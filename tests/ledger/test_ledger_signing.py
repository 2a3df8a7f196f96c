"""Statements, entries and signatures: the frozen byte formats."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import InvalidInput, SignatureInvalid
from ledger.signing import (
    Entry,
    MemberKey,
    PrivateRecord,
    Statement,
    Submission,
    canonical,
    encode_entry,
    verify_signature,
)

AT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def test_statement_bytes_are_rfc8785_and_round_trip() -> None:
    statement = Statement("xingfuli", "fund.opened", AT, {"名称": "基金", "b": 1, "a": [1, "x"]})
    data = statement.to_bytes()
    # Recipe: keys sorted by UTF-16 code unit, no whitespace, UTF-8, integers plain.
    assert data == (b'{"at":"2025-03-01T02:00:00Z","body":{"a":[1,"x"],"b":1,'
                    b'"\xe5\x90\x8d\xe7\xa7\xb0":"\xe5\x9f\xba\xe9\x87\x91"},'
                    b'"community":"xingfuli","kind":"fund.opened","v":1}')
    assert Statement.from_bytes(data) == statement


def test_non_canonical_statement_is_refused() -> None:
    data = Statement("c", "fund.opened", AT, {"a": 1}).to_bytes()
    spaced = data.replace(b",", b", ")
    with pytest.raises(InvalidInput) as err:
        Statement.from_bytes(spaced)
    assert err.value.code == "not-canonical"


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"v":1}',
                                  b'{"at":"x","body":{},"community":"c","kind":"k","v":1}',
                                  b'{"at":"2025-03-01T02:00:00Z","body":[],"community":"c",'
                                  b'"kind":"k","v":1}',
                                  b'{"at":"2025-03-01T02:00:00Z","body":{},"community":"c",'
                                  b'"kind":"k","v":2}'])
def test_malformed_statements_are_refused_with_a_code(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        Statement.from_bytes(data)


def test_floats_are_refused_money_is_integer_fen() -> None:
    with pytest.raises(InvalidInput) as err:
        canonical({"amount_fen": 12.5})
    assert err.value.code == "float-not-allowed"


json_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(statement=json_text, key_id=st.text("0123456789abcdef", min_size=16, max_size=16),
       seconds=st.integers(0, 10**9), sig=st.binary(min_size=64, max_size=64))
def test_entry_encoding_is_exactly_rfc8785(statement: str, key_id: str, seconds: int,
                                           sig: bytes) -> None:
    accepted = datetime.fromtimestamp(seconds, UTC)
    entry = encode_entry(statement.encode(), sig, key_id, accepted)
    assert entry == rfc8785.dumps(orjson.loads(entry))
    decoded = Entry.decode(entry)
    assert (decoded.statement, decoded.signature, decoded.key_id) == (statement.encode(), sig,
                                                                      key_id)


def test_signature_checks_fail_on_change_and_wrong_key() -> None:
    key, other = MemberKey.from_seed(b"\x01" * 32), MemberKey.from_seed(b"\x02" * 32)
    sub = key.sign(Statement("c", "fund.opened", AT, {"a": 1}))
    verify_signature(key.public_b64, sub.statement, sub.signature)
    altered = sub.statement.replace(b'"a":1', b'"a":2')
    with pytest.raises(SignatureInvalid):
        verify_signature(key.public_b64, altered, sub.signature)
    with pytest.raises(SignatureInvalid):
        verify_signature(other.public_b64, sub.statement, sub.signature)
    flipped = bytes([sub.signature[0] ^ 1]) + sub.signature[1:]
    with pytest.raises(SignatureInvalid):
        verify_signature(key.public_b64, sub.statement, flipped)


def test_ed25519_rfc8032_test_vector_1() -> None:
    # RFC 8032 §7.1 TEST 1: empty message.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = MemberKey.from_seed(seed)
    assert base64.b64decode(key.public_b64).hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert key.private.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
        "701cf9b46bd25bf5f0595bbe24655141438e7a100b")


def test_private_commitment_binds_salt_and_data() -> None:
    record = PrivateRecord.commit({"name": "张三"}, salt=b"\x00" * 32)
    record.check()
    forged = PrivateRecord(record.commitment, record.salt, {"name": "李四"})
    with pytest.raises(InvalidInput):
        forged.check()


def test_submission_json_round_trip_and_malformed() -> None:
    key = MemberKey.from_seed(b"\x01" * 32)
    sub = key.sign(Statement("c", "fund.opened", AT, {"a": 1}))
    assert Submission.from_json(sub.to_json()) == sub
    for bad in [None, {}, {"statement": "x", "signature": "!!", "key_id": "k"},
                {"statement": "x", "signature": base64.b64encode(b"x").decode(), "key_id": "k"}]:
        with pytest.raises(InvalidInput):
            Submission.from_json(bad)


@pytest.mark.parametrize("value", ["2025-03-01T02:00:00+00:00", "20250301T020000Z", "2025-03-01Z",
                                   "2025-03-01T02:00Z", "2025-03-01T02:00:00.1Z", 1740794400])
def test_times_have_one_form(value: object) -> None:
    from ledger.signing import parse_time

    with pytest.raises(InvalidInput):
        parse_time(value, "at")
    assert parse_time("2025-03-01T02:00:00Z", "at") == AT
