"""The error hierarchy of ``ledger.crypto`` (one per package, each in its ``errors.py``:
``ledger.domain.errors`` is the domain's).

Every failure to parse or verify bytes handed to this package is a :class:`VerificationError`
subclass; a raw ``ValueError``, ``binascii.Error`` or ``IndexError`` never escapes a parser.
"""

from __future__ import annotations


class VerificationError(Exception):
    """Base class: the input did not verify or could not be parsed."""


class MalformedError(VerificationError):
    """The input does not follow the byte format of its specification."""


class InvalidProofError(VerificationError):
    """A Merkle inclusion or consistency proof does not verify."""


class InconsistentTreeError(VerificationError):
    """Two views of the tree (sizes, roots, stored nodes) contradict each other."""


class NoteError(VerificationError):
    """A signed note was rejected."""


class MalformedNoteError(NoteError, MalformedError):
    """A signed note (or a key string) is not well-formed."""


class InvalidSignatureError(NoteError):
    """A signature by a known key failed to verify."""


class UnverifiedNoteError(NoteError):
    """No signature by a known key is present on the note."""


class InsufficientCosignaturesError(NoteError):
    """Fewer distinct trusted witnesses cosigned the checkpoint than the policy requires."""


class WeakKeyError(MalformedError):
    """An Ed25519 public key that must not be registered or trusted: not 32 bytes, not canonically
    encoded, not a curve point, of small order, or outside the prime-order subgroup."""

    code = "weak-key"


class SignatureEncodingError(MalformedError):
    """An Ed25519 signature that no strict verifier accepts: ``S >= L``, or ``R`` of small order or
    not canonically encoded."""

    code = "signature-invalid"


class OutOfRangeError(VerificationError, ValueError):
    """An index or tree size lies outside the tree it refers to."""
