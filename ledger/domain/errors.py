"""The domain's one error hierarchy.

Every error carries a stable English ``code`` (used in logs, problem ``type`` URIs and tests)
and a Chinese ``message`` for the committee member or resident who caused it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A statement broke a rule. Nothing was recorded."""

    code = "domain-error"
    status = 422
    # True when the statement's signature verified against the signer's key before it was
    # refused: the refusal is the key owner's doing (the service charges that key's rate limit).
    signed = False

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message if self.field is None else f"{self.field}: {self.message}"


class InvalidInput(DomainError):
    """The statement is malformed: a field is missing, of the wrong type or out of range."""

    code = "invalid-input"
    status = 400


class PrivacyViolation(DomainError):
    """Public text would carry personal data (ID number, mobile number, a real name)."""

    code = "personal-data-in-public-text"
    status = 422


class NotAuthorised(DomainError):
    """The signer may not record this statement (role, term, revoked or unknown key)."""

    code = "not-authorised"
    status = 403


class SignatureInvalid(NotAuthorised):
    code = "signature-invalid"


class NotFound(DomainError):
    code = "not-found"
    status = 404


class Conflict(DomainError):
    """An id is already taken, or the record is in a state that forbids this step."""

    code = "conflict"
    status = 409


class RuleViolation(DomainError):
    """A domain rule refuses the statement (balance, budget, quorum, step order, ...)."""

    code = "rule-violation"
    status = 422
