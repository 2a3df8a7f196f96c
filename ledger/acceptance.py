"""Whether a signed statement is accepted into a community's log: the one function that both the
ledger (before storing) and the auditor's verifier (replaying the published log) call.

Pure: no database, no clock of its own. The verifier passes ``verify=False`` and checks the
returned public key's signatures in a process pool instead, since that is nearly all its work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ledger.domain.common import Body
from ledger.domain.community import Community
from ledger.domain.errors import DomainError, InvalidInput, NotAuthorised, NotFound
from ledger.domain.member import key_id_of
from ledger.domain.state import CommunityState, Signed, parse_body
from ledger.signing import Signature, Statement, check_signatures, statement_hash, verify_signature

MAX_PAST = timedelta(hours=24)
MAX_FUTURE = timedelta(minutes=5)


def check_time(at: datetime, now: datetime, max_past: timedelta = MAX_PAST,
               max_future: timedelta = MAX_FUTURE) -> None:
    if at < now - max_past or at > now + max_future:
        raise InvalidInput(
            f"声明时间 {at.isoformat()} 超出允许范围（过去 {max_past}，未来 {max_future}）；"
            "请用准确的时钟重新签名", code="stale-statement")


def max_past_for(domain: CommunityState, signatures: int, max_past: timedelta = MAX_PAST
                 ) -> timedelta:
    """How long after its signing time a statement may be accepted: ``max_past`` (a day), or, for
    a statement signed by two or more members in a community with a signing policy, the policy's
    ``proposal_days`` -- it may have waited that long as a proposal for its co-signatures."""
    if signatures > 1 and domain.policy is not None:
        return max(max_past, timedelta(days=domain.proposal_days))
    return max_past


def remembered(domain: CommunityState) -> timedelta:
    """How long before the latest acceptance time a statement could still have been signed and be
    accepted: how long an auditor's duplicate check must remember statement hashes."""
    if domain.policy is None:
        return MAX_PAST
    return max(MAX_PAST, timedelta(days=domain.longest_proposal_days))


def accept(domain: CommunityState, statement_bytes: bytes, statement: Statement,
           signature: bytes, key_id: str, *, cosignatures: Sequence[Signature] = (),
           verify: bool = True, body: Body | None = None,
           accepted_at: datetime | None = None) -> tuple[tuple[str, ...], Signed]:
    """Checks the signers and every rule, then folds the statement into ``domain``.

    ``cosignatures``: further ``(key ID, signature)`` pairs over the same statement bytes (a
    version 2 entry). ``accepted_at``: when the log accepts the statement (the ledger's clock; the
    entry's ``accepted_at`` for a verifier): every signer's authority must hold then as well as
    at the statement's own time. Returns the public key of each signature, in order (the first,
    then ``cosignatures``), and what was folded. On any error ``domain`` is unchanged.
    """
    if statement.community != domain.community_id:
        raise InvalidInput("声明中的社区与目标社区不一致", code="community-mismatch")
    if cosignatures:
        check_signatures([(key_id, signature), *cosignatures])
    if body is None:
        body = parse_body(statement.kind, statement.body)
    if domain.community is None and not isinstance(body, Community.Founded):
        raise NotFound(f"社区 {domain.community_id} 尚未建账", code="community-not-found")
    key = domain.keys.get(key_id)  # a member's key is filed under its own key ID
    public_key = None if key is None else key.public_key
    if public_key is None:
        if not (isinstance(body, Community.Founded) and domain.community is None):
            raise NotAuthorised("签名密钥不属于本社区任何成员", code="unknown-key")
        public_key = body.founder_public_key
        if key_id_of(public_key) != key_id:
            raise NotAuthorised("key_id 与签名公钥不符", code="key-id-mismatch")
    public_keys = [public_key]
    for other, _ in cosignatures:
        other_key = domain.public_key_of(other)
        if other_key is None:
            raise NotAuthorised("共同签名的密钥不属于本社区任何成员", code="unknown-key")
        public_keys.append(other_key)
    if verify:
        verify_signature(public_key, statement_bytes, signature)
        for other_key, (_, other_signature) in zip(public_keys[1:], cosignatures, strict=True):
            verify_signature(other_key, statement_bytes, other_signature)
    cosigners = tuple(k for k, _ in cosignatures) if cosignatures else ()
    try:
        domain.authorise(statement.kind, body, key_id, public_key, statement.at, accepted_at,
                         cosigners)
        signed = Signed(domain.size, statement.kind, body, key_id, statement.at,
                        statement_hash(statement_bytes), cosigners)
        domain.apply(signed)
    except DomainError as exc:
        exc.signed = verify
        raise
    return tuple(public_keys), signed
