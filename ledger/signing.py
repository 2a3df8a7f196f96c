"""Signed statements and log entries: the bytes members sign and the bytes the log commits to.

A statement is RFC 8785 canonical JSON::

    {"at":"2025-03-01T02:00:00Z","body":{...},"community":"xingfuli","kind":"fund.opened","v":1}

signed with the member's Ed25519 key over exactly those bytes. The log entry (the Merkle leaf)
is the canonical JSON of the statement bytes as a string, the signature, the signer's key ID and
the acceptance time -- everything needed to re-check it, nothing private::

    {"accepted_at":"…Z","key_id":"<16 hex>","sig":"<base64>","statement":"<statement>","v":1}

A statement signed by several members (two to sign) is a version 2 entry: the same statement
bytes, each signature with its key ID, in ascending key ID order (so one set of signatures gives
one entry), no key twice, at least two::

    {"accepted_at":"…Z","sigs":[{"key_id":"…","sig":"…"},{"key_id":"…","sig":"…"}],
     "statement":"<statement>","v":2}

A statement signed once is always a version 1 entry. Both formats are frozen; a log may mix them.
This module is pure: no database, no web framework.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.crypto.ed25519 import check_public_key, check_signature_encoding
from ledger.crypto.errors import SignatureEncodingError, WeakKeyError
from ledger.domain.errors import InvalidInput, SignatureInvalid
from ledger.domain.member import key_id_of

FORMAT_VERSION = 1  # of the statement; the entry is version 1 (one signature) or 2 (several)
COSIGNED_VERSION = 2
MAX_SIGNATURES = 8  # in one entry
MAX_ENTRY_BYTES = 65_535  # a tlog-tiles entry is prefixed by a uint16 length


def format_at(at: datetime) -> str:
    """Statement time: UTC, whole seconds, ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_accepted(at: datetime) -> str:
    """Acceptance time: UTC, microseconds, ``Z``."""
    u = at.astimezone(UTC)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
            f".{u.microsecond:06d}Z")


_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{6})?Z")


def now() -> datetime:
    """The current time, aware UTC (a statement's ``at``, an entry's ``accepted_at``)."""
    return datetime.now(UTC)


def parse_time(value: object, what: str) -> datetime:
    if type(value) is not str or not _TIME.fullmatch(value):
        raise InvalidInput(f"{what} 应为 UTC 时间，如 2025-03-01T02:00:00Z", code="invalid-time")
    try:
        return datetime.fromisoformat(value)  # Python 3.11 reads the "Z" as UTC
    except ValueError:
        raise InvalidInput(f"{what} 不是有效时间：{value}", code="invalid-time") from None


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON; floats are refused (money is integer fen), and so are integers
    beyond what every JSON reader keeps exactly (I-JSON, RFC 7493: magnitude at most 2**53 - 1)."""
    check_numbers(obj)
    try:
        return bytes(rfc8785.dumps(obj))
    except RecursionError:
        raise InvalidInput("JSON 嵌套过深", code="nesting-too-deep") from None


_SAFE_INT = 2**53
MAX_INTEGER = _SAFE_INT - 1


def is_canonical(obj: Any, data: bytes) -> bool:
    """Whether ``data`` is the RFC 8785 form of ``obj`` (parsed from ``data``).

    Fast path: for JSON of strings, safe integers, booleans, null, lists and objects with ASCII
    keys, orjson's sorted compact output is byte for byte RFC 8785 (a property test checks this
    against ``rfc8785``); anything else is decided by ``rfc8785`` itself.
    """
    try:
        plain = _plain(obj)
    except RecursionError:  # nested too deeply to be canonicalised either
        return False
    if plain:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) == data
    try:
        return canonical(obj) == data
    except (InvalidInput, rfc8785.CanonicalizationError):
        return False


def _plain(obj: Any) -> bool:
    if isinstance(obj, str) or obj is None or isinstance(obj, bool):
        return True
    if isinstance(obj, int):
        return -_SAFE_INT < obj < _SAFE_INT
    if isinstance(obj, dict):
        return all(k.isascii() and _plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_plain(v) for v in obj)
    return False


def check_numbers(obj: Any, path: str = "") -> None:
    """Refuses floats and out-of-range integers anywhere in ``obj``, naming the field (a
    statement's ``body.`` prefix left out): checked before canonicalising, so that a huge amount
    is a clear refusal, never an error from deep inside the canonicaliser. Iterative: however
    deeply nested, ``obj`` costs no recursion."""
    todo: list[tuple[Any, str]] = [(obj, path)]
    while todo:
        value, where = todo.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, float):
            raise InvalidInput(f"{_field(where)}数值必须是整数（金额以分为单位）", code="float-not-allowed")
        if isinstance(value, int):
            if not -MAX_INTEGER <= value <= MAX_INTEGER:
                raise InvalidInput(f"{_field(where)}数值超出范围：整数的绝对值不得超过 {MAX_INTEGER}"
                                   "（金额以分为单位）", code="number-out-of-range")
        elif isinstance(value, dict):
            todo += [(v, f"{where}.{k}" if where else str(k)) for k, v in reversed(value.items())]
        elif isinstance(value, list):
            todo += [(v, f"{where}[{n}]") for n, v in reversed(list(enumerate(value)))]


def _field(path: str) -> str:
    name = path.removeprefix("body.")
    return f"字段 {name}：" if name else ""


_STATEMENT_KEYS = frozenset({"v", "community", "kind", "at", "body"})


class Statement(NamedTuple):
    """What a member signs (immutable; a named tuple because an auditor builds one per entry)."""

    community: str
    kind: str
    at: datetime
    body: dict[str, Any]

    def to_bytes(self) -> bytes:
        return canonical({"v": FORMAT_VERSION, "community": self.community, "kind": self.kind,
                          "at": format_at(self.at), "body": self.body})

    @classmethod
    def from_bytes(cls, data: bytes, *, check_canonical: bool = True) -> Statement:
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            _refuse_huge_integers(data)
            raise InvalidInput("声明不是有效的 JSON", code="statement-malformed") from None
        if not isinstance(obj, dict) or obj.keys() != _STATEMENT_KEYS:
            raise InvalidInput("声明须且只须包含 v、community、kind、at、body 五项",
                               code="statement-malformed")
        if type(obj["v"]) is not int or obj["v"] != FORMAT_VERSION:
            raise InvalidInput(f"不支持的声明版本：{obj['v']!r}", code="statement-version")
        if not isinstance(obj["community"], str) or not isinstance(obj["kind"], str):
            raise InvalidInput("community 和 kind 应为文本", code="statement-malformed")
        if not isinstance(obj["body"], dict):
            raise InvalidInput("body 应为 JSON 对象", code="statement-malformed")
        if check_canonical:
            try:
                check_numbers(obj)
            except InvalidInput:
                _refuse_huge_integers(data)  # orjson reads an integer beyond 64 bits as a float
                raise
        if check_canonical and not is_canonical(obj, data):
            raise InvalidInput("声明不是 RFC 8785 规范 JSON，签名前须规范化", code="not-canonical")
        return cls(obj["community"], obj["kind"], parse_time(obj["at"], "声明时间 at"), obj["body"])


def _refuse_huge_integers(data: bytes) -> None:
    """orjson does not read an integer beyond 64 bits as one; Python's reader does: refuse it as
    what it is, naming the field."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return
    check_numbers(obj)


def statement_hash(statement: bytes) -> bytes:
    return hashlib.sha256(statement).digest()


# --- member keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberKey:
    """A committee member's Ed25519 key pair."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> MemberKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> MemberKey:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_b64(self) -> str:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_b64)

    def sign(self, statement: Statement) -> Submission:
        data = statement.to_bytes()
        return Submission(data, self.private.sign(data), self.key_id)

    def cosign(self, submission: Submission) -> Submission:
        """``submission`` with this key's signature over the same statement bytes added."""
        return submission.with_signature(self.key_id, self.private.sign(submission.statement))

    def to_pem(self) -> bytes:
        return self.private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())

    def save(self, path: Path) -> None:
        """Writes the private key as PKCS#8 PEM, readable by its owner only (0600)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.to_pem())

    @classmethod
    def load(cls, path: Path) -> MemberKey:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"无法读取密钥文件 {path}：{exc}", code="key-file") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInput(f"{path} 不是 Ed25519 私钥", code="key-file")
        return cls(key)


@lru_cache(maxsize=4096)
def _public_key(public_key_b64: str) -> Ed25519PublicKey:
    raw = base64.b64decode(public_key_b64)
    check_public_key(raw)
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(public_key_b64: str, data: bytes, signature: bytes) -> None:
    """Strict Ed25519: the key must be a safe one and the signature canonical with an ``R`` not of
    small order (:mod:`ledger.crypto.ed25519`), then OpenSSL verifies."""
    try:
        key = _public_key(public_key_b64)
    except (WeakKeyError, ValueError, binascii.Error):
        raise SignatureInvalid("签名公钥不安全（小阶点、非规范编码或不在素数阶子群中），任何人都可能冒用它签名，"
                               "不接受用它签名的记录；请主任为该成员更换密钥", code="weak-key") from None
    try:
        check_signature_encoding(signature)
        key.verify(signature, data)
    except (InvalidSignature, SignatureEncodingError):
        raise SignatureInvalid("签名无效：声明被改动过，或不是用该密钥签名的",
                               code="signature-invalid") from None


# --- private data -------------------------------------------------------------------------------


SALT_BYTES = 32
MIN_DISTINCT_SALT_BYTES = 16  # 32 random bytes have ~30 distinct values; fewer than 16: ~never


def new_salt() -> bytes:
    """A fresh salt from the operating system's CSPRNG (the only way a shipped client makes one;
    the demo's salts, derived from public seeds, are the documented exception)."""
    return secrets.token_bytes(SALT_BYTES)


def check_salt(salt: bytes) -> None:
    """Refuses a salt that cannot have come from a CSPRNG: another length than 32 bytes, or so
    few distinct byte values (all zero, a counter, a repeated pattern) that it is guessable."""
    if len(salt) != SALT_BYTES:
        raise InvalidInput(f"私密资料的盐应为 {SALT_BYTES} 字节的随机数，收到 {len(salt)} 字节；"
                           "请用本系统的客户端重新生成", code="salt-length")
    if len(set(salt)) < MIN_DISTINCT_SALT_BYTES:
        raise InvalidInput("私密资料的盐不是随机生成的（如全零或有规律），他人可据此推出个人信息；"
                           "请用操作系统的安全随机数重新生成", code="salt-not-random")


def salt_hash(salt: bytes) -> bytes:
    """What the ledger keeps of every salt it has seen (never the salt itself)."""
    return hashlib.sha256(salt).digest()


@dataclass(frozen=True)
class PrivateRecord:
    """Personal data kept outside the log; the statement carries only ``commitment``."""

    commitment: str  # hex SHA-256(salt || canonical(data))
    salt: bytes
    data: dict[str, str]

    @classmethod
    def commit(cls, data: dict[str, str], salt: bytes | None = None) -> PrivateRecord:
        """Commits to ``data`` under a fresh random salt (``salt`` only for the demo and tests)."""
        salt = new_salt() if salt is None else salt
        return cls(commitment_of(salt, data), salt, dict(data))

    def to_json(self) -> dict[str, Any]:
        return {"commitment": self.commitment, "salt": self.salt.hex(), "data": self.data}

    @classmethod
    def from_json(cls, obj: Any) -> PrivateRecord:
        """As :meth:`to_json` wrote it (a client's submission, a kept proposal); a malformed
        one raises ``KeyError``, ``TypeError``, ``AttributeError`` or ``ValueError``."""
        return cls(obj["commitment"], bytes.fromhex(obj["salt"]),
                   {str(k): str(v) for k, v in obj["data"].items()})

    def check(self) -> None:
        if commitment_of(self.salt, self.data) != self.commitment:
            raise InvalidInput("私密资料与声明中的承诺值不符", code="commitment-mismatch")


def commitment_of(salt: bytes, data: dict[str, str]) -> str:
    return hashlib.sha256(salt + canonical(data)).hexdigest()


# --- submissions and entries --------------------------------------------------------------------


Signature = tuple[str, bytes]
"""One member's signature in an entry: ``(key ID, 64-byte Ed25519 signature)``."""


@dataclass(frozen=True)
class Submission:
    """What members send: the statement bytes, the first signature, any further signatures over
    the same bytes (``cosignatures``), and private data if any."""

    statement: bytes
    signature: bytes
    key_id: str
    private: tuple[PrivateRecord, ...] = field(default=())
    cosignatures: tuple[Signature, ...] = field(default=())

    @property
    def signatures(self) -> tuple[Signature, ...]:
        """Every signature, in ascending key ID order (the order of a version 2 entry)."""
        return tuple(sorted(((self.key_id, self.signature), *self.cosignatures)))

    def with_signature(self, key_id: str, signature: bytes) -> Submission:
        return replace(self, cosignatures=(*self.cosignatures, (key_id, signature)))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"statement": self.statement.decode()}
        if self.cosignatures:
            out["signatures"] = [{"key_id": k, "signature": base64.b64encode(sig).decode()}
                                 for k, sig in self.signatures]
        else:
            out |= {"signature": base64.b64encode(self.signature).decode(), "key_id": self.key_id}
        if self.private:
            out["private"] = [p.to_json() for p in self.private]
        return out

    @classmethod
    def from_json(cls, obj: Any) -> Submission:
        """One signature (``signature``, ``key_id``) or several (``signatures``: a list of
        ``{"key_id", "signature"}``)."""
        if not isinstance(obj, dict):
            raise InvalidInput("提交内容应为 JSON 对象", code="submission-malformed")
        try:
            statement = obj["statement"].encode()
            if "signatures" in obj and not ("signature" in obj or "key_id" in obj):
                listed = obj["signatures"]
                if type(listed) is not list or not 1 <= len(listed) <= MAX_SIGNATURES:
                    raise ValueError("signatures")
                sigs = [(s["key_id"], base64.b64decode(s["signature"], validate=True))
                        for s in listed]
            else:
                sigs = [(obj["key_id"], base64.b64decode(obj["signature"], validate=True))]
            private = tuple(PrivateRecord.from_json(p) for p in obj.get("private", ()))
        except (KeyError, TypeError, AttributeError, ValueError, binascii.Error):
            raise InvalidInput("提交内容须包含 statement（文本），以及 signature（base64）和 key_id，"
                               f"或 signatures（1 至 {MAX_SIGNATURES} 个 key_id 与 signature）",
                               code="submission-malformed") from None
        if any(not isinstance(k, str) or len(sig) != 64 for k, sig in sigs):
            raise InvalidInput("签名应为 64 字节 Ed25519 签名", code="submission-malformed")
        (key_id, signature), *rest = sigs
        return cls(statement, signature, key_id, private, tuple(rest))


def encode_entry(statement: bytes, signature: bytes, key_id: str, accepted_at: datetime) -> bytes:
    """The version 1 log entry (one signature). Every value is a string, so orjson's sorted
    output is RFC 8785 exactly (tested against ``rfc8785``)."""
    return _checked_size(orjson.dumps(
        {"accepted_at": format_accepted(accepted_at), "key_id": key_id,
         "sig": base64.b64encode(signature).decode(), "statement": statement.decode(),
         "v": FORMAT_VERSION},
        option=orjson.OPT_SORT_KEYS))


def encode_signed_entry(statement: bytes, signatures: Sequence[Signature],
                        accepted_at: datetime) -> bytes:
    """The log entry of a statement with ``signatures``: version 1 for one, version 2 for
    several (in ascending key ID order whatever order they come in; a key twice is refused).
    RFC 8785 exactly: strings and a list of objects of strings, sorted by orjson."""
    check_signatures(signatures)
    if len(signatures) == 1:
        (key_id, signature), = signatures
        return encode_entry(statement, signature, key_id, accepted_at)
    return _checked_size(orjson.dumps(
        {"accepted_at": format_accepted(accepted_at),
         "sigs": [{"key_id": k, "sig": base64.b64encode(sig).decode()}
                  for k, sig in sorted(signatures)],
         "statement": statement.decode(), "v": COSIGNED_VERSION},
        option=orjson.OPT_SORT_KEYS))


def check_signatures(signatures: Sequence[Signature]) -> None:
    """Refuses no signature, too many, or one key twice."""
    if not 1 <= len(signatures) <= MAX_SIGNATURES:
        raise InvalidInput(f"一条记录须有 1 至 {MAX_SIGNATURES} 个签名", code="signature-count")
    if len({k for k, _ in signatures}) != len(signatures):
        raise InvalidInput("同一把密钥签了两次：每个签名须来自不同的密钥", code="duplicate-signature")


def _checked_size(entry: bytes) -> bytes:
    if len(entry) > MAX_ENTRY_BYTES:
        raise InvalidInput(f"记录过大（{len(entry)} 字节），单条不得超过 64 KiB；附件请只登记哈希",
                           code="entry-too-large")
    return entry


_ENTRY_KEYS = frozenset({"accepted_at", "key_id", "sig", "statement", "v"})
_COSIGNED_KEYS = frozenset({"accepted_at", "sigs", "statement", "v"})
_SIG_KEYS = frozenset({"key_id", "sig"})
_last_accepted: tuple[object, datetime | None] = ("", None)


def _accepted_at(value: object) -> datetime:
    """:func:`parse_time`, remembering the last answer: the entries of one batch share their
    acceptance time, and a reader of the log decodes them one after another."""
    global _last_accepted
    text, at = _last_accepted  # one tuple, read and replaced whole: safe across threads
    if at is None or value != text:
        at = parse_time(value, "accepted_at")
        _last_accepted = (value, at)
    return at


class Entry(NamedTuple):
    """One log entry (immutable; a named tuple because an auditor builds one per entry).

    ``signature`` and ``key_id`` are the first signature (the only one of a version 1 entry);
    ``cosignatures`` the others of a version 2 entry, in the entry's order."""

    statement: bytes
    signature: bytes
    key_id: str
    accepted_at: datetime
    cosignatures: tuple[Signature, ...] = ()

    @property
    def signatures(self) -> tuple[Signature, ...]:
        return ((self.key_id, self.signature), *self.cosignatures)

    @property
    def version(self) -> int:
        return COSIGNED_VERSION if self.cosignatures else FORMAT_VERSION

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        """The entry, or ``entry-malformed`` (as strict for the ledger re-reading its own log
        as for an auditor reading someone else's). A version 2 entry must list at least two
        signatures, in strictly ascending key ID order (so none twice)."""
        try:
            obj = orjson.loads(data)
            if type(obj) is not dict:
                raise ValueError("entry")
            if obj.keys() == _ENTRY_KEYS and obj["v"] == 1:  # exactly as version 1 always was
                key_id = obj["key_id"]
                if type(key_id) is not str:
                    raise ValueError("key_id")
                return cls(obj["statement"].encode(),
                           binascii.a2b_base64(obj["sig"], strict_mode=True),
                           key_id, _accepted_at(obj["accepted_at"]))
            if obj.keys() != _COSIGNED_KEYS or obj["v"] != 2 or type(obj["v"]) is not int:
                raise ValueError("fields")
            listed = obj["sigs"]
            if type(listed) is not list or not 2 <= len(listed) <= MAX_SIGNATURES:
                raise ValueError("sigs")
            sigs: list[Signature] = []
            for item in listed:
                if type(item) is not dict or item.keys() != _SIG_KEYS or type(item["key_id"]) is not str:
                    raise ValueError("sig")
                if sigs and item["key_id"] <= sigs[-1][0]:
                    raise ValueError("order")
                sigs.append((item["key_id"], binascii.a2b_base64(item["sig"], strict_mode=True)))
            (key_id, signature), *rest = sigs
            return cls(obj["statement"].encode(), signature, key_id,
                       _accepted_at(obj["accepted_at"]), tuple(rest))
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError, binascii.Error,
                InvalidInput):
            raise InvalidInput("日志条目格式错误", code="entry-malformed") from None
