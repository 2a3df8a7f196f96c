"""Credentials never leave the process: every message, log line and response passes
:func:`redact`, which hides the password of every URL (``scheme://user:password@host``) and of
every ``password=…`` pair in free text -- a database URL, a failed command's output, a traceback.
"""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "***"

# The password runs to the last "@" before whitespace: a password with an unencoded "@" or "/"
# is hidden whole (at worst the host is hidden with it).
_URL = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s]*)@")
_PAIR = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*=\s*['\"]?)(?P<password>[^\s&;,'\"]+)",
                   re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every URL's password and every ``password=`` value replaced by ``***``."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL.sub(lambda m: f"{m['head']}{HIDDEN}@", text)
    return _PAIR.sub(lambda m: f"{m['head']}{HIDDEN}", text)


def redact_all(value: Any) -> Any:
    """:func:`redact` applied to every string inside ``value`` (dicts, lists, tuples)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_all(v) for v in value]
    return value
