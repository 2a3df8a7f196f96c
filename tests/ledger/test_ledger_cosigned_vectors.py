"""The version 2 entry vectors (tests/vectors/entries-v2.json): after the same context of
version 1 entries, each valid entry is accepted and each corrupted one refused with its code --
by the one acceptance rule the ledger and the auditor share, with every signature checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.acceptance import accept, check_time
from ledger.domain.errors import DomainError
from ledger.domain.state import CommunityState
from ledger.replay import read_entry
from ledger.signing import COSIGNED_VERSION, Entry, encode_signed_entry

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "entries-v2.json")
                     .read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]


def append(state: CommunityState, data: bytes) -> None:
    entry, statement = read_entry(data)
    check_time(statement.at, entry.accepted_at)
    accept(state, entry.statement, statement, entry.signature, entry.key_id,
           cosignatures=entry.cosignatures, accepted_at=entry.accepted_at)


def context() -> CommunityState:
    state = CommunityState(VECTORS["community"])
    for text in VECTORS["context"]:
        append(state, text.encode())
    return state


@pytest.mark.parametrize("case", CASES, ids=[c["desc"] for c in CASES])
def test_entry_vector(case: dict[str, Any]) -> None:
    state = context()
    if case["valid"]:
        append(state, case["entry"].encode())
        assert state.size == len(VECTORS["context"]) + 1
    else:
        with pytest.raises(DomainError) as refused:
            append(state, case["entry"].encode())
        assert refused.value.code == case["code"]
        assert state.size == len(VECTORS["context"])


def test_the_vectors_cover_what_the_format_names() -> None:
    codes = {c.get("code") for c in CASES}
    assert {"entry-malformed", "signature-invalid", "same-member-twice", "term-over",
            "key-revoked", "key-rotated", "unknown-key"} <= codes
    assert sum(c["valid"] and '"v":2' in c["entry"] for c in CASES) >= 3


def test_one_set_of_signatures_gives_one_entry() -> None:
    two = next(c for c in CASES if c["desc"] == "version 2, two signatures")
    entry = Entry.decode(two["entry"].encode())
    assert entry.version == COSIGNED_VERSION and len(entry.signatures) == 2
    for order in (entry.signatures, entry.signatures[::-1]):
        again = encode_signed_entry(entry.statement, list(order), entry.accepted_at)
        assert again == two["entry"].encode()


def test_a_single_signature_is_a_version_1_entry() -> None:
    one = next(c for c in CASES if c["desc"] == "version 1, one signature")
    entry = Entry.decode(one["entry"].encode())
    assert entry.version == 1 and entry.cosignatures == ()
    assert encode_signed_entry(entry.statement, list(entry.signatures),
                               entry.accepted_at) == one["entry"].encode()


def test_the_encoder_refuses_a_key_twice() -> None:
    one = Entry.decode(CASES[0]["entry"].encode())
    with pytest.raises(DomainError) as refused:
        encode_signed_entry(one.statement, [*one.signatures, *one.signatures], one.accepted_at)
    assert refused.value.code == "duplicate-signature"


def test_a_version_2_entry_is_rfc_8785() -> None:
    import rfc8785

    for case in CASES:
        if case["valid"]:
            data = case["entry"].encode()
            assert bytes(rfc8785.dumps(json.loads(data))) == data
