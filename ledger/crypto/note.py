"""C2SP signed-note: Ed25519 note signatures, verifier keys, and strict note parsing.

A note is ``<text ending in \\n>`` + ``\\n`` + one or more lines ``— <name> <base64>\\n``
where the base64 holds the 4-byte key ID and the signature. Verifiers here understand
signature types 0x01 (Ed25519 over the text) and 0x04 (c2sp.org/tlog-cosignature Ed25519
cosignatures: 8-byte timestamp || signature over ``cosignature/v1\\ntime <t>\\n`` + text).
Keys and signatures are checked strictly (:mod:`ledger.crypto.ed25519`): a verifier key of small
order or not canonically encoded is refused, and so is a non-canonical signature.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.crypto._encoding import b64decode, b64encode
from ledger.crypto.ed25519 import check_public_key, signature_encoding_ok
from ledger.crypto.errors import (
    InvalidSignatureError,
    MalformedNoteError,
    UnverifiedNoteError,
)

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_SIGNATURES = 100
MAX_TIMESTAMP = 2**63 - 1


def check_key_name(name: str) -> None:
    """Key names are non-empty, without Unicode spaces, ``+`` or control characters."""
    if not name or any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name):
        raise MalformedNoteError(f"invalid key name {name!r}")


def compute_key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def cosignature_v1_message(text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 (type 0x04) cosignature signs (c2sp.org/tlog-cosignature)."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedNoteError(f"cosignature timestamp {timestamp} out of range")
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the ID."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """``— <name> <base64(key ID || signature)>\\n``."""
        return f"{EM_DASH} {self.name} {b64encode(self.key_id + self.signature)}\n"

    @classmethod
    def parse_line(cls, line: str) -> Signature:
        """Parse one signature line, without its final newline."""
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise MalformedNoteError("signature line does not start with '— '")
        name, sep, blob = line[len(prefix) :].partition(" ")
        if not sep:
            raise MalformedNoteError("signature line has no signature")
        check_key_name(name)
        raw = b64decode(blob, "signature", MalformedNoteError)
        if len(raw) < 5:
            raise MalformedNoteError("signature is too short")
        return cls(name, raw[:4], raw[4:])


class Signer:
    """An Ed25519 (type 0x01) note signer."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_key_name(name)
        self.name = name
        self._key = private_key
        self.public_key = _raw_public(private_key.public_key())
        self.key_id = compute_key_id(name, SIG_ED25519, self.public_key)

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        if len(seed) != 32:
            raise MalformedNoteError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_private_key_string(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`` (Go sumdb/note form)."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise MalformedNoteError("not a PRIVATE+KEY string")
        raw = b64decode(parts[4], "private key", MalformedNoteError)
        if len(raw) != 33 or raw[0] != SIG_ED25519:
            raise MalformedNoteError("not an Ed25519 private key")
        signer = cls.from_seed(parts[2], raw[1:])
        if parts[3] != signer.key_id.hex():
            raise MalformedNoteError("private key ID does not match the key")
        return signer

    def verifier_key(self) -> str:
        """``<name>+<8 hex key ID>+<base64(0x01 || public key)>``."""
        raw = bytes([SIG_ED25519]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{b64encode(raw)}"

    def verifier(self) -> Verifier:
        return Verifier(self.name, SIG_ED25519, self.public_key)

    def sign(self, text: str) -> Signature:
        return Signature(self.name, self.key_id, self._key.sign(text.encode()))


class Verifier:
    """A trusted key: name, signature type (0x01 or 0x04) and Ed25519 public key."""

    def __init__(self, name: str, sig_type: int, public_key: bytes) -> None:
        check_key_name(name)
        if sig_type not in (SIG_ED25519, SIG_COSIGNATURE_V1):
            raise MalformedNoteError(f"unsupported signature type 0x{sig_type:02x}")
        if len(public_key) != 32:
            raise MalformedNoteError("an Ed25519 public key is 32 bytes")
        check_public_key(public_key)  # WeakKeyError: small order, non-canonical, mixed order
        self.name = name
        self.sig_type = sig_type
        self.public_key = public_key
        self.key_id = compute_key_id(name, sig_type, public_key)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(public_key)
        except ValueError:
            raise MalformedNoteError("invalid Ed25519 public key") from None

    @classmethod
    def from_key_string(cls, vkey: str) -> Verifier:
        """Parse a vkey ``<name>+<hex key ID>+<base64(type || public key)>``."""
        parts = vkey.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise MalformedNoteError("a verifier key is <name>+<8 hex digits>+<base64>")
        name, id_hex, blob = parts
        raw = b64decode(blob, "verifier key", MalformedNoteError)
        if len(raw) < 1:
            raise MalformedNoteError("verifier key is empty")
        verifier = cls(name, raw[0], raw[1:])
        if id_hex != verifier.key_id.hex():
            raise MalformedNoteError("verifier key ID does not match the key")
        return verifier

    def key_string(self) -> str:
        raw = bytes([self.sig_type]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{b64encode(raw)}"

    def matches(self, signature: Signature) -> bool:
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, text: str, signature: Signature) -> bool:
        """Whether ``signature`` (already matched by name and key ID) is valid over ``text``."""
        sig = signature.signature
        if self.sig_type == SIG_ED25519:
            message = text.encode()
        else:
            if len(sig) != 72:
                return False
            timestamp = int.from_bytes(sig[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                return False
            message, sig = cosignature_v1_message(text, timestamp), sig[8:]
        if not signature_encoding_ok(sig):
            return False
        try:
            self._key.verify(sig, message)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"Verifier({self.key_string()!r})"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, the verified signatures, and those by unknown keys."""

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...] = ()

    def signed_by(self, verifier: Verifier) -> bool:
        return any(verifier.matches(s) for s in self.signatures)


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise MalformedNoteError("note contains a control character")


def split_note(note: str | bytes) -> tuple[str, list[Signature]]:
    """Parse a note's syntax: its text and its signature lines (nothing verified)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("note is not valid UTF-8") from None
    _check_text(note)
    cut = note.rfind("\n\n")
    if cut < 0:
        raise MalformedNoteError("note has no empty line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        raise MalformedNoteError("note has no signatures")
    if len(lines) - 1 > MAX_SIGNATURES:
        raise MalformedNoteError("note has too many signatures")
    return text, [Signature.parse_line(line) for line in lines[:-1]]


def _index(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for v in verifiers:
        other = known.setdefault((v.name, v.key_id), v)
        if other.public_key != v.public_key or other.sig_type != v.sig_type:
            raise MalformedNoteError(f"ambiguous verifiers for {v.name}+{v.key_id.hex()}")
    return known


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse and verify a note.

    Signatures by unknown keys are ignored (kept in ``Note.unverified``); a signature by a known
    key that fails to verify rejects the note; a note with no verified signature is rejected.
    """
    text, sigs = split_note(note)
    known = _index(verifiers)
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for sig in sigs:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            unverified.append(sig)
        elif not verifier.verify(text, sig):
            raise InvalidSignatureError(f"invalid signature by {sig.name}+{sig.key_id.hex()}")
        elif not any(verifier.matches(s) for s in verified):
            verified.append(sig)
    if not verified:
        raise UnverifiedNoteError("note has no valid signature by a known key")
    return Note(text, tuple(verified), tuple(unverified))


def sign_note(text: str, *signers: Signer) -> str:
    """Sign ``text`` (which must end in a newline) with each signer, in order."""
    _check_text(text)
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    return text + "\n" + "".join(s.sign(text).line() for s in signers)


def add_signatures(note: str, signatures: Sequence[Signature | str]) -> str:
    """Append signature lines (parsed objects or ``— name base64`` lines) to a signed note.

    Nothing is verified here; lines already present are not repeated.
    """
    _text, existing = split_note(note)
    result = note
    seen = {s.line() for s in existing}
    for item in signatures:
        sig = item if isinstance(item, Signature) else Signature.parse_line(item.rstrip("\n"))
        line = sig.line()
        if line not in seen:
            seen.add(line)
            result += line
    split_note(result)
    return result
