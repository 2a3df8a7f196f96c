"""Generate the crypto corruption vectors in this directory (deterministic).

    .venv/bin/python tests/vectors/make_vectors.py

Tree hashes and proofs come from the naive reference tree in tests/crypto/reference_tree.py,
not from the code under test; notes are signed with fixed test seeds (Ed25519 is
deterministic). Every case says whether verification must succeed ("valid": true) or fail
with a ledger.crypto VerificationError; tests/crypto/test_crypto_vectors.py checks both, and
that this script still reproduces the committed files byte for byte.

The Ed25519 edge cases (ed25519-edge.json) come from the naive Ed25519 in
tests/crypto/reference_ed25519.py, which finds the small-order points itself; they are checked
by tests/crypto/test_crypto_ed25519.py and, for verify.js, tests/tlog/test_tlog_browser.py.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "crypto"))
sys.path.insert(0, str(HERE.parents[1]))

import reference_ed25519 as ref  # noqa: E402
from reference_tree import ReferenceTree  # noqa: E402

from ledger.crypto.cosignature import CosignatureSigner  # noqa: E402
from ledger.crypto.note import Signer  # noqa: E402

Case = dict[str, Any]

# The eight leaves of the RFC 6962 test tree (transparency-dev/merkle testonly/constants.go).
RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
BIG_LEAVES = [f"entry {i}".encode() for i in range(37)]
EMPTY = hashlib.sha256(b"").digest()


def seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


LOG = Signer.from_seed("sunlight.example/test-log", seed("sunlight test log"))
OTHER_LOG = Signer.from_seed("sunlight.example/test-log", seed("another key, same name"))
STRANGER = Signer.from_seed("stranger.example/log", seed("stranger"))
WITNESS_A = CosignatureSigner.from_seed("witness.example/a", seed("witness a"))
WITNESS_B = CosignatureSigner.from_seed("witness.example/b", seed("witness b"))


def hx(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


def flip(value: bytes, bit: int = 3) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


def _add_inclusion(
    cases: list[Case], label: str, base: Case, desc: str, valid: bool = False, **change: Any
) -> None:
    c = {**base, **change}
    cases.append(
        {
            "desc": f"{label}: {desc}",
            "valid": valid,
            "index": c["index"],
            "size": c["size"],
            "leaf_hash": c["leaf_hash"].hex(),
            "proof": hx(c["proof"]),
            "root": c["root"].hex(),
        }
    )


def inclusion_cases() -> list[Case]:
    cases: list[Case] = []
    bases = [(RFC6962_LEAVES, i, n) for i, n in [(0, 1), (0, 8), (5, 8), (2, 3), (1, 5)]]
    bases += [(BIG_LEAVES, i, 37) for i in (0, 10, 31, 32, 36)]
    for leaves, index, size in bases:
        tree = ReferenceTree(leaves[:size])
        root, leaf, proof = tree.mth(), tree.leaves[index], tree.path(index)

        base = {"index": index, "size": size, "leaf_hash": leaf, "proof": proof, "root": root}
        case = functools.partial(_add_inclusion, cases, f"{index}/{size}", base)

        case("happy path", valid=True)
        case("wrong leaf", leaf_hash=tree.leaves[(index + 1) % size] if size > 1 else flip(leaf))
        case("leaf hash without 0x00 prefix", leaf_hash=hashlib.sha256(leaves[index]).digest())
        case("wrong index plus one", index=index + 1)
        case("wrong index minus one", index=index - 1)
        case("wrong index xor 2", index=index ^ 2)
        case("index equals size", index=size)
        # (size + 1 is not a corruption: the size is not hashed into the root, and a proof can
        # have the same shape in the next tree; the RFC algorithm cannot and need not catch it.)
        case("wrong size times two", size=size * 2)
        case("wrong size div two", size=size // 2)
        case("empty root", root=EMPTY)
        case("root of a smaller tree", root=tree.mth(0, size - 1) if size > 1 else EMPTY)
        case("flipped bit in root", root=flip(root))
        case("extended proof (trailing root)", proof=[*proof, root])
        case("extended proof (trailing zero hash)", proof=[*proof, bytes(32)])
        case("preceding garbage", proof=[bytes(32), *proof])
        case("short hash in proof", proof=[*proof[:-1], proof[-1][:31]] if proof else [b"x"])
        if proof:
            case("truncated proof", proof=proof[:-1])
            case("empty proof", proof=[])
            for i in range(len(proof)):
                changed = list(proof)
                changed[i] = flip(changed[i])
                case(f"flipped bit in proof[{i}]", proof=changed)
        if len(proof) > 1:
            case("swapped proof order", proof=proof[::-1])
    return cases


def _add_consistency(
    cases: list[Case], label: str, base: Case, desc: str, valid: bool = False, **change: Any
) -> None:
    c = {**base, **change}
    cases.append(
        {
            "desc": f"{label}: {desc}",
            "valid": valid,
            "old_size": c["old_size"],
            "new_size": c["new_size"],
            "old_root": c["old_root"].hex(),
            "new_root": c["new_root"].hex(),
            "proof": hx(c["proof"]),
        }
    )


def consistency_cases() -> list[Case]:
    cases: list[Case] = []
    bases = [(RFC6962_LEAVES, m, n) for m, n in [(1, 1), (1, 8), (6, 8), (2, 5), (6, 7), (3, 7)]]
    bases += [(RFC6962_LEAVES, 4, 7), (BIG_LEAVES, 13, 37), (BIG_LEAVES, 16, 37)]
    bases += [(BIG_LEAVES, 0, 37), (BIG_LEAVES, 36, 37)]
    for leaves, old, new in bases:
        tree = ReferenceTree(leaves[:new])
        old_root, new_root = tree.mth(0, old), tree.mth(0, new)
        proof = tree.proof(old, new) if 0 < old < new else []

        base = {
            "old_size": old,
            "new_size": new,
            "old_root": old_root,
            "new_root": new_root,
            "proof": proof,
        }
        case = functools.partial(_add_consistency, cases, f"{old}->{new}", base)

        case("happy path", valid=True)
        if old != new:
            case("swapped roots", old_root=new_root, new_root=old_root)
            case("swapped sizes", old_size=new, new_size=old)
        case("wrong old root", old_root=flip(old_root))
        if old > 0:  # from the empty tree any new tree is consistent: nothing to corrupt
            case("wrong new root", new_root=flip(new_root))
            case("new size times two", new_size=new * 2)
        case("old size plus one", old_size=old + 1)
        case("trailing root", proof=[*proof, new_root])
        case("preceding old root", proof=[old_root, *proof])
        if old > 0:
            case("old size minus one", old_size=old - 1)
        if proof:
            case("truncated proof", proof=proof[:-1])
            case("empty proof", proof=[])
            case("short hash in proof", proof=[*proof[:-1], proof[-1][:31]])
            for i in range(len(proof)):
                changed = list(proof)
                changed[i] = flip(changed[i])
                case(f"flipped bit in proof[{i}]", proof=changed)
        if len(proof) > 1:
            case("swapped proof order", proof=proof[::-1])
    return cases


CHECKPOINT_TREE = ReferenceTree(BIG_LEAVES)


def checkpoint_text(size: int = 37) -> str:
    root = base64.b64encode(CHECKPOINT_TREE.mth(0, size)).decode()
    return f"{LOG.name}\n{size}\n{root}\n"


def signed_checkpoint(*cosigners: CosignatureSigner) -> str:
    text = checkpoint_text()
    note = text + "\n" + LOG.sign(text).line()
    for i, w in enumerate(cosigners):
        note += w.cosign(text, 1_700_000_000 + i)
    return note


SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONn"
    "cAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"


def note_cases() -> list[Case]:
    log_vkey = LOG.verifier_key()
    base = signed_checkpoint(WITNESS_A)
    text = checkpoint_text()
    sig_line = LOG.sign(text).line()
    blob = sig_line.split(" ")[2].rstrip("\n")
    raw = base64.b64decode(blob)
    cases: list[Case] = []

    def case(desc: str, note: str, vkeys: list[str], valid: bool = False) -> None:
        cases.append({"desc": desc, "valid": valid, "note": note, "verifier_keys": vkeys})

    case("C2SP signed-note spec example", SPEC_NOTE, [SPEC_VKEY], valid=True)
    case("log checkpoint, log key only", base, [log_vkey], valid=True)
    case("log checkpoint, log and witness keys", base, [log_vkey, WITNESS_A.verifier_key()], True)
    case("cosignature only, witness key", base, [WITNESS_A.verifier_key()], valid=True)
    case(
        "unknown signature besides a valid one",
        text + "\n" + STRANGER.sign(text).line() + sig_line,
        [log_vkey],
        valid=True,
    )
    case("spec example, wrong key", SPEC_NOTE, [log_vkey])
    case("unknown key only", text + "\n" + STRANGER.sign(text).line(), [log_vkey])
    case("same name, different key", base, [OTHER_LOG.verifier_key()])
    case("no verifiers", base, [])
    case("text altered", base.replace("\n37\n", "\n38\n", 1), [log_vkey])
    case("text altered (spec example)", SPEC_NOTE.replace("example", "Example", 1), [SPEC_VKEY])
    case("missing empty line", text + sig_line, [log_vkey])
    case("two empty lines", text + "\n\n" + sig_line, [log_vkey])
    case("trailing empty line", base + "\n", [log_vkey])
    case("trailing garbage", base + "garbage\n", [log_vkey])
    case("trailing garbage without newline", base + "x", [log_vkey])
    case("no final newline", base[:-1], [log_vkey])
    case("no signatures", text + "\n", [log_vkey])
    case("text without final newline", text[:-1] + "\n" + sig_line, [log_vkey])
    case("hyphen instead of em dash", text + "\n" + sig_line.replace("—", "-"), [log_vkey])
    case("two spaces after em dash", text + "\n" + sig_line.replace("— ", "—  "), [log_vkey])
    case("name mismatch", text + "\n" + sig_line.replace(LOG.name, LOG.name + "x"), [log_vkey])
    case("bad base64", text + "\n" + sig_line.replace(blob, blob[:-2] + "!="), [log_vkey])
    case("unpadded base64", text + "\n" + sig_line.replace(blob, blob.rstrip("=")), [log_vkey])
    short = base64.b64encode(raw[:4]).decode()
    case("key ID only", text + "\n" + sig_line.replace(blob, short), [log_vkey])
    trunc = base64.b64encode(raw[:-1]).decode()
    case("truncated signature", text + "\n" + sig_line.replace(blob, trunc), [log_vkey])
    flipped = base64.b64encode(raw[:10] + bytes([raw[10] ^ 1]) + raw[11:]).decode()
    case("flipped bit in signature", text + "\n" + sig_line.replace(blob, flipped), [log_vkey])
    wrong_id = base64.b64encode(bytes([raw[0] ^ 1]) + raw[1:]).decode()
    case("wrong key ID", text + "\n" + sig_line.replace(blob, wrong_id), [log_vkey])
    case("CRLF line endings", base.replace("\n", "\r\n"), [log_vkey])
    case("control character in text", "a\tb\n" + text + "\n" + sig_line, [log_vkey])
    case(
        "cosignature with altered timestamp",
        base[: base.rindex("—")] + _retimestamp(base.splitlines()[-1]) + "\n",
        [WITNESS_A.verifier_key()],
    )
    return cases


def _retimestamp(line: str) -> str:
    prefix, blob = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[11] ^= 1  # the last byte of the 8-byte timestamp after the 4-byte key ID
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}"


def tiles_cases() -> dict[str, list[Case]]:
    paths = [
        ("tile/0/000", True),
        ("tile/0/x001/x234/067", True),
        ("tile/0/x001/x234/067.p/5", True),
        ("tile/63/999", True),
        ("tile/entries/x001/000.p/255", True),
        ("tile/0/x000/001", False),
        ("tile/0/1", False),
        ("tile/0/0001", False),
        ("tile/00/000", False),
        ("tile/64/000", False),
        ("tile/-1/000", False),
        ("tile/0/000.p/0", False),
        ("tile/0/000.p/256", False),
        ("tile/0/000.p/05", False),
        ("tile/0/x001", False),
        ("tile/0/001/x234", False),
        ("tile/0/000/", False),
        ("/tile/0/000", False),
        ("tile/data/000", False),
    ]
    bundles = [
        ("two entries", "0001610000", True, 2),
        ("empty bundle", "", True, 0),
        ("truncated length prefix (trailing byte)", "00016100", False, None),
        ("truncated entry", "0005616263", False, None),
        ("length prefix only", "0003", False, None),
        ("wrong width", "0001610000", False, 3),
    ]
    hash_tiles = [
        ("one hash", "11" * 32, 1, True),
        ("one byte short", "11" * 31, 1, False),
        ("one byte long", "11" * 33, 1, False),
        ("width zero", "", 0, False),
        ("width 257", "11" * 32, 257, False),
    ]
    return {
        "paths": [{"path": p, "valid": v} for p, v in paths],
        "entry_bundles": [
            {"desc": d, "data": data, "valid": v, "width": w} for d, data, v, w in bundles
        ],
        "hash_tiles": [
            {"desc": d, "data": data, "width": w, "valid": v} for d, data, w, v in hash_tiles
        ],
    }


def proof_file_cases() -> list[Case]:
    index = 10
    tree = CHECKPOINT_TREE
    proof_lines = [base64.b64encode(h).decode() for h in tree.path(index)]
    note = signed_checkpoint(WITNESS_A)
    leaf = tree.leaves[index].hex()
    log_vkeys = [LOG.verifier_key()]
    witnesses = [WITNESS_A.verifier_key(), WITNESS_B.verifier_key()]

    def build(
        header: str = "c2sp.org/tlog-proof@v1",
        idx: str = str(index),
        lines: list[str] | None = None,
        cp: str = note,
        extra: str | None = None,
    ) -> str:
        out = [header]
        if extra is not None:
            out.append(f"extra {extra}")
        out.append(f"index {idx}")
        out += proof_lines if lines is None else lines
        return "\n".join(out) + "\n\n" + cp

    cases: list[Case] = []

    def case(
        desc: str,
        text: str,
        valid: bool = False,
        quorum: int = 1,
        leaf_hash: str = leaf,
        vkeys: list[str] = log_vkeys,
    ) -> None:
        cases.append(
            {
                "desc": desc,
                "valid": valid,
                "text": text,
                "leaf_hash": leaf_hash,
                "log_verifier_keys": vkeys,
                "witness_verifier_keys": witnesses,
                "quorum": quorum,
            }
        )

    case("happy path", build(), valid=True)
    case(
        "happy path with extra data", build(extra=base64.b64encode(b"context").decode()), valid=True
    )
    case("witness quorum of two not met", build(), quorum=2)
    case("no log signature (log key unknown)", build(), vkeys=[STRANGER.verifier_key()])
    case("wrong leaf", build(), leaf_hash=tree.leaves[index + 1].hex())
    case("wrong header", build(header="c2sp.org/tlog-proof@v2"))
    case("index off by one", build(idx=str(index + 1)))
    case("index with leading zero", build(idx="010"))
    case("index not a number", build(idx="ten"))
    case("extra after index", build().replace(f"index {index}\n", f"index {index}\nextra AA==\n"))
    case("extra not base64", build(extra="!!!"))
    case("truncated proof", build(lines=proof_lines[:-1]))
    case("extended proof", build(lines=[*proof_lines, proof_lines[0]]))
    case("proof line not base64", build(lines=[*proof_lines[:-1], "not base64"]))
    case(
        "proof line of 31 bytes",
        build(lines=[*proof_lines[:-1], base64.b64encode(bytes(31)).decode()]),
    )
    flipped = base64.b64encode(flip(base64.b64decode(proof_lines[0]))).decode()
    case("flipped bit in proof", build(lines=[flipped, *proof_lines[1:]]))
    case("missing empty line", build().replace("\n\n", "\n", 1))
    case("checkpoint text altered", build(cp=note.replace("\n37\n", "\n38\n")))
    case("trailing garbage after checkpoint", build() + "garbage\n")
    case("no checkpoint", build(cp=""))
    case("CRLF line endings", build().replace("\n", "\r\n"))
    return cases


def ed25519_cases() -> list[Case]:
    """Public keys and signatures on the edges of Ed25519. Each case says whether the key may be
    registered ("key_ok", ledger.crypto.ed25519.check_public_key), whether the signature's
    encoding is acceptable ("signature_ok": S < L, R canonical and not of small order), and
    whether strict verification accepts it ("valid"); and, to show why the rules exist, what
    looser verifiers say: the naive reference, cofactorless and cofactored, with lenient decoding
    ("cofactorless", "cofactored"), and plain OpenSSL through ``cryptography`` ("openssl").

    Recipe: a small-order key T gets the fixed signature R = identity, S = 0, and the first
    message "message <n>" whose hash k makes k·T the identity (every message for T = identity),
    so a cofactorless verifier accepts it; a mixed-order key A + T8 gets its owner's signature
    over the first message whose k is a multiple of 8; a small-order or non-canonical R gets
    S = k·a (nonce 0), which a lax verifier accepts when R decodes to the identity."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def openssl(public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    cases: list[Case] = []

    def case(desc: str, public_key: bytes, message: bytes, signature: bytes, *, key_ok: bool,
             signature_ok: bool) -> None:
        cofactorless, cofactored = ref.verdicts(public_key, message, signature)
        cases.append({
            "desc": desc, "public_key": public_key.hex(), "message": message.hex(),
            "signature": signature.hex(), "key_ok": key_ok, "signature_ok": signature_ok,
            "valid": key_ok and signature_ok and cofactorless,
            "cofactorless": cofactorless,
            "cofactored": cofactored,
            "openssl": openssl(public_key, message, signature)})

    def message_for(public_key: bytes, signature_of: Any) -> tuple[bytes, bytes]:
        """The first "message <n>" whose signature by ``signature_of`` a cofactorless lax verifier
        accepts under ``public_key``, a key of small or mixed order: one whose hash k kills the
        key's small-order part (k·T = identity; k ≡ 0 mod 8 does for any T)."""
        a = ref.decode_lenient(public_key)
        assert a is not None
        torsion_part = ref.mul(ref.L, a)  # the key's component of order dividing 8
        for n in range(64):
            message = f"message {n}".encode()
            signature = signature_of(message)
            k = ref.h(signature[:32], public_key, message)
            if ref.mul(k % 8, torsion_part) == ref.IDENTITY:
                return message, signature
        raise AssertionError("no message found")

    alice, bob = seed("ed25519 alice"), seed("ed25519 bob")
    a_pub, b_pub = ref.public(alice), ref.public(bob)
    message = b"sunlight ed25519 edge cases"
    good = ref.sign(alice, message)
    case("valid", a_pub, message, good, key_ok=True, signature_ok=True)
    case("valid, another key", b_pub, message, ref.sign(bob, message), key_ok=True, signature_ok=True)
    case("valid signature, message altered", a_pub, message + b"!", good, key_ok=True, signature_ok=True)
    case("valid signature, other key", b_pub, message, good, key_ok=True, signature_ok=True)

    torsion = ref.small_order_points()
    identity = ref.encode(ref.IDENTITY)
    fake = identity + bytes(32)  # R = identity, S = 0
    for point in sorted(torsion, key=ref.encode):
        encoded = ref.encode(point)
        m, sig = message_for(encoded, lambda _m: fake)
        case(f"small-order key of order {ref.order(point)}: {encoded.hex()[:8]}…{encoded.hex()[-2:]}", encoded, m, sig,
             key_ok=False, signature_ok=False)
    for desc, encoded in [
        ("y = p (0 again), sign 0", ref.encode_y(ref.P, 0)),
        ("y = p (0 again), sign 1", ref.encode_y(ref.P, 1)),
        ("y = p + 1 (the identity again), sign 0", ref.encode_y(ref.P + 1, 0)),
        ("y = p + 1 (the identity again), sign 1", ref.encode_y(ref.P + 1, 1)),
        ("the identity with the sign bit set (x = 0)", ref.encode_y(1, 1)),
        ("order 2 with the sign bit set (x = 0)", ref.encode_y(ref.P - 1, 1)),
    ]:
        m, sig = message_for(encoded, lambda _m: fake)
        case(f"non-canonical small-order key: {desc}", encoded, m, sig, key_ok=False, signature_ok=False)

    order8 = next(t for t in torsion if ref.order(t) == 8)
    mixed = ref.encode(ref.add(ref.decode_lenient(a_pub) or ref.IDENTITY, order8))
    m, sig = message_for(mixed, lambda msg: ref.sign(alice, msg, public_key=mixed))
    case("mixed-order key A + T8, signed by A's owner", mixed, m, sig, key_ok=False, signature_ok=True)
    y = next(y for y in range(2, 19) if ref.x_for(y) is not None)
    case(f"non-canonical key: y = p + {y} (a curve point of mixed order)", ref.encode_y(ref.P + y, 0),
         message, good, key_ok=False, signature_ok=True)
    case("key not on the curve", ref.encode_y(next(y for y in range(2, 99) if ref.x_for(y) is None), 0),
         message, good, key_ok=False, signature_ok=True)
    case("key of 31 bytes", a_pub[:31], message, good, key_ok=False, signature_ok=True)

    case("small-order R (the identity) by the key's owner, S = k·a", a_pub, message,
         ref.sign(alice, message, r_bytes=identity), key_ok=True, signature_ok=False)
    for point in sorted(torsion, key=ref.encode):
        if point != ref.IDENTITY:
            r = ref.encode(point)
            case(f"small-order R of order {ref.order(point)}: {r.hex()[:8]}…{r.hex()[-2:]}", a_pub, message,
                 ref.sign(alice, message, r_bytes=r), key_ok=True, signature_ok=False)
    for desc, r in [("y = p + 1 (the identity)", ref.encode_y(ref.P + 1, 0)),
                    ("the identity with the sign bit set", ref.encode_y(1, 1)),
                    (f"y = p + {y}", ref.encode_y(ref.P + y, 0))]:
        case(f"non-canonical R: {desc}", a_pub, message, ref.sign(alice, message, r_bytes=r),
             key_ok=True, signature_ok=False)
    s = int.from_bytes(good[32:], "little")
    case("non-canonical S: S + L", a_pub, message, good[:32] + (s + ref.L).to_bytes(32, "little"),
         key_ok=True, signature_ok=False)
    case("S = L", a_pub, message, good[:32] + ref.L.to_bytes(32, "little"), key_ok=True, signature_ok=False)
    case("S with the top bit set", a_pub, message, good[:63] + bytes([good[63] | 0x80]),
         key_ok=True, signature_ok=False)
    return cases


# --- log entries, version 2 (several signatures) ---------------------------------------------

ENTRY_COMMUNITY = "vectors"


def entry_cases() -> dict[str, Any]:
    """A community's first entries (version 1: the context every case is checked after) and
    entries to append after them: version 1 and 2 entries that must be accepted, and corrupted
    version 2 entries, each with the refusal's code. Checked by
    tests/ledger/test_ledger_cosigned_vectors.py (and the browser's verify.js by
    tests/tlog/test_tlog_browser.py for the entry form)."""
    from datetime import UTC, datetime, timedelta

    from ledger.signing import MemberKey, Statement, encode_signed_entry

    keys = {name: MemberKey.from_seed(seed(f"vector member {name}"))
            for name in ("chair", "treasurer", "supervisor", "member", "retired", "gone", "old",
                         "stranger")}
    keys["new"] = MemberKey.from_seed(seed("vector member old, rotated"))
    clock = [datetime(2025, 3, 1, 2, 0, tzinfo=UTC)]

    def signed(kind: str, body: dict[str, Any], *who: str) -> tuple[bytes, list[tuple[str, bytes]]]:
        clock[0] += timedelta(minutes=1)
        data = Statement(ENTRY_COMMUNITY, kind, clock[0], body).to_bytes()
        return data, [(keys[w].key_id, keys[w].private.sign(data)) for w in who]

    def entry(kind: str, body: dict[str, Any], *who: str) -> str:
        data, sigs = signed(kind, body, *who)
        return encode_signed_entry(data, sigs, clock[0] + timedelta(seconds=5)).decode()

    def admit(member_id: str, role: str, term_end: str = "2027-12-31") -> str:
        return entry("member.admitted", {
            "member_id": member_id, "name": f"{member_id}-name", "role": role,
            "public_key": keys[member_id].public_b64, "term_start": "2024-01-01",
            "term_end": term_end}, "chair")

    context = [
        entry("community.founded", {
            "name": "示例社区", "founder_id": "chair", "founder_name": "王主任",
            "founder_public_key": keys["chair"].public_b64, "term_start": "2024-01-01",
            "term_end": "2027-12-31"}, "chair"),
        admit("treasurer", "treasurer"), admit("supervisor", "supervisor"),
        admit("member", "member"), admit("retired", "member", term_end="2025-03-01"),
        admit("gone", "member"), admit("old", "member"),
        entry("member.revoked", {"member_id": "gone", "reason": "离任"}, "chair"),
        entry("member.key_rotated", {"member_id": "old", "public_key": keys["new"].public_b64,
                                     "reason": "换新手机"}, "chair"),
    ]
    clock[0] = datetime(2025, 3, 2, 2, 0, tzinfo=UTC)  # the next day: "retired"'s term is over
    cases: list[Case] = []

    def fund(n: int) -> dict[str, Any]:
        return {"fund_id": f"f{n}", "name": "微基金", "purpose": "资助小项目", "opened_on": "2025-03-02"}

    def case(desc: str, entry_text: str, code: str | None = None) -> None:
        cases.append({"desc": desc, "entry": entry_text, "valid": code is None}
                     | ({} if code is None else {"code": code}))

    def v2(data: bytes, sigs: list[tuple[str, bytes]], **extra: Any) -> str:
        """A version 2 entry with ``sigs`` exactly as given (in that order, none dropped)."""
        obj = {"accepted_at": format_at_micro(clock[0] + timedelta(seconds=5)),
               "sigs": [{"key_id": k, "sig": base64.b64encode(sig).decode()} for k, sig in sigs],
               "statement": data.decode(), "v": 2} | extra
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    case("version 1, one signature", entry("fund.opened", fund(1), "treasurer"))
    case("version 2, two signatures", entry("fund.opened", fund(2), "treasurer", "chair"))
    case("version 2, three signatures", entry("fund.opened", fund(3), "treasurer", "chair",
                                              "supervisor"))
    data, sigs = signed("fund.opened", fund(4), "treasurer", "chair")
    case("version 2 built by hand agrees with the encoder", v2(data, sorted(sigs)))
    case("a signature dropped (one left in a version 2 entry)", v2(data, sorted(sigs)[:1]),
         "entry-malformed")
    case("a signature duplicated", v2(data, [*sorted(sigs), sorted(sigs)[-1]]), "entry-malformed")
    case("signatures reordered (key IDs descending)", v2(data, sorted(sigs, reverse=True)),
         "entry-malformed")
    (k1, s1), (k2, s2) = sorted(sigs)
    case("signatures swapped between their key IDs", v2(data, [(k1, s2), (k2, s1)]),
         "signature-invalid")
    case("one signature altered", v2(data, [(k1, s1), (k2, flip(s2))]), "signature-invalid")
    case("an unknown field", v2(data, sorted(sigs), note="x"), "entry-malformed")
    case("version 1 form marked version 2", json.dumps(
        {"accepted_at": format_at_micro(clock[0]), "key_id": k1,
         "sig": base64.b64encode(s1).decode(), "statement": data.decode(), "v": 2},
        ensure_ascii=False, separators=(",", ":"), sort_keys=True), "entry-malformed")
    case("the same member twice (old key and new)",
         entry("fund.opened", fund(5), "treasurer", "old", "new"), "same-member-twice")
    case("a co-signer whose term is over", entry("fund.opened", fund(6), "treasurer", "retired"),
         "term-over")
    case("a co-signer whose key was revoked", entry("fund.opened", fund(7), "treasurer", "gone"),
         "key-revoked")
    case("a co-signer with a rotated (old) key", entry("fund.opened", fund(8), "treasurer", "old"),
         "key-rotated")
    case("a co-signer who is not a member", entry("fund.opened", fund(9), "treasurer", "stranger"),
         "unknown-key")
    case("no signer may record the kind", entry("fund.opened", fund(10), "member", "supervisor"),
         "role-not-permitted")
    data, sigs = signed("fund.opened", fund(11), "treasurer", "chair")
    altered = data.replace(b"f11", b"f12")
    case("the statement altered after signing", v2(altered, sorted(sigs)), "signature-invalid")
    return {"community": ENTRY_COMMUNITY, "context": context, "cases": cases}


def format_at_micro(at: Any) -> str:
    from ledger.signing import format_accepted

    return format_accepted(at)


def build() -> dict[str, Any]:
    return {
        "entries-v2.json": entry_cases(),
        "ed25519-edge.json": ed25519_cases(),
        "inclusion-corruptions.json": inclusion_cases(),
        "consistency-corruptions.json": consistency_cases(),
        "note-corruptions.json": note_cases(),
        "tiles-corruptions.json": tiles_cases(),
        "proof-file-corruptions.json": proof_file_cases(),
    }


def render(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    for name, data in build().items():
        (HERE / name).write_text(render(data), encoding="utf-8")


if __name__ == "__main__":
    main()
