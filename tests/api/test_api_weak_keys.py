"""A weak key handed to the service -- by an applicant to the 主任, or as a member's new key --
is refused in Chinese with the code ``weak-key`` and nothing is written. The statements here are
built and signed by hand (``cryptography`` and ``json`` only), as an independent client would."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.signing import format_at
from tests.api.conftest import Served
from tests.committee import Committee

RECORDS = "/v1/communities/testcom/records"
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "ed25519-edge.json"
CHAIR_SEED = bytes([1]) * 32  # tests/committee.py: the chair's key


def weak_keys() -> dict[str, str]:
    """Every 32-byte key the edge vectors refuse, in base64, and a valid key spelled with
    non-zero padding bits (the same 32 bytes, a second spelling)."""
    keys = {c["desc"]: base64.b64encode(bytes.fromhex(c["public_key"])).decode()
            for c in json.loads(VECTORS.read_text(encoding="utf-8"))
            if not c["key_ok"] and len(c["public_key"]) == 64}
    good = base64.b64encode(Ed25519PrivateKey.from_private_bytes(b"\x77" * 32).public_key().public_bytes_raw())
    last = good.decode()[-2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    keys["valid key, padding bits set"] = good.decode()[:-2] + alphabet[alphabet.index(last) | 1] + "="
    return keys


def hand_signed(c: Committee, kind: str, body: dict[str, Any]) -> dict[str, str]:
    c.clock.advance(seconds=1)
    statement = json.dumps({"at": format_at(c.clock()), "body": body, "community": c.community,
                            "kind": kind, "v": 1},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    key = Ed25519PrivateKey.from_private_bytes(CHAIR_SEED)
    raw = key.public_key().public_bytes_raw()
    return {"statement": statement.decode(), "signature": base64.b64encode(key.sign(statement)).decode(),
            "key_id": hashlib.sha256(raw).hexdigest()[:16]}


def test_weak_keys_are_refused_at_admission_and_rotation(served: Served) -> None:
    c, client = served.committee, served.client
    size = c.app.size("testcom")
    keys = weak_keys()
    assert len(keys) >= 18 and keys["small-order key of order 1: 01000000…00"].startswith("AQAAAA")
    for desc, key in keys.items():
        for kind, body in [
            ("member.admitted", {"member_id": "applicant", "name": "新委员", "role": "member",
                                 "public_key": key, "term_start": "2025-01-01"}),
            ("member.key_rotated", {"member_id": "treasurer", "public_key": key}),
        ]:
            r = client.post(RECORDS, json=hand_signed(c, kind, body))
            assert r.status_code == 400, (desc, kind, r.text)
            problem = r.json()
            assert problem["code"] == "weak-key" and problem["type"] == "/problems/weak-key", (desc, kind)
            assert problem["detail"].startswith("public_key: 公钥"), problem["detail"]
    assert c.app.size("testcom") == size
    # the hand-built client is sound: the same statements with a real key are accepted
    real = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw()).decode()
    r = client.post(RECORDS, json=hand_signed(c, "member.key_rotated", {
        "member_id": "treasurer", "public_key": real}))  # (an admission now needs two to sign)
    assert r.status_code == 201, r.text
