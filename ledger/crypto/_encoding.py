"""Strict text encodings shared by the C2SP formats (private helpers)."""

from __future__ import annotations

import base64
import binascii
import re

from ledger.crypto.errors import MalformedError

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
MAX_UINT64 = 2**64 - 1


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str, error: type[MalformedError] = MalformedError) -> bytes:
    """Decode standard, padded, canonical base64 (RFC 4648 §4) or raise ``error``."""
    if not _BASE64.fullmatch(text) or len(text) % 4 != 0:
        raise error(f"{what}: not padded standard base64")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{what}: not padded standard base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise error(f"{what}: non-canonical base64")
    return data


def parse_decimal(text: str, what: str, error: type[MalformedError] = MalformedError) -> int:
    """Parse an ASCII decimal with no leading zeroes (``0`` itself allowed), at most 2^64-1."""
    if not _DECIMAL.fullmatch(text):
        raise error(f"{what}: {text!r} is not a decimal without leading zeroes")
    value = int(text)
    if value > MAX_UINT64:
        raise error(f"{what}: {value} does not fit in 64 bits")
    return value
