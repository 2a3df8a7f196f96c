"""The browser library the portal ships is the pinned npm release, unmodified, with its licence."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "site" / "docs" / "assets" / "vendor"


def test_vendored_noble_ed25519_is_the_pinned_release() -> None:
    script = (ROOT / "scripts" / "vendor-js").read_text()
    pinned = re.search(r"^NOBLE_SHA256=([0-9a-f]{64})$", script, re.MULTILINE)
    assert pinned is not None, "scripts/vendor-js pins @noble/ed25519 by SHA-256"
    shipped = (VENDOR / "noble-ed25519.js").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == pinned.group(1)
    assert shipped.startswith(b"/*! noble-ed25519 - MIT License")
    assert "MIT License" in (VENDOR / "noble-ed25519.LICENSE.txt").read_text()


def test_vendored_axe_core_is_the_pinned_release() -> None:
    script = (ROOT / "scripts" / "vendor-js").read_text()
    pinned = re.search(r"^AXE_SHA256=([0-9a-f]{64})$", script, re.MULTILINE)
    assert pinned is not None, "scripts/vendor-js pins axe-core by SHA-256"
    shipped = (ROOT / "tests" / "vendor" / "axe.min.js").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == pinned.group(1)
    assert "Mozilla Public License" in (ROOT / "tests" / "vendor" / "axe-core.LICENSE.txt").read_text()
