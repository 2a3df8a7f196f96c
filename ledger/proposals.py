"""Proposals: statements waiting for a second signature (待共同签署的提案).

A statement signed by fewer members than the signing policy asks for is a *proposal*. It is not
in the log: the service keeps it in a table behind the store (``sunlight_proposals``) with the
signatures so far and any private data (a donor's name), until

- the last required signature arrives: the entry is appended and the proposal marked appended
  (its private data moved to the log's private table) in one database transaction -- two final
  co-signatures at once append once;
- or it expires (the policy's ``proposal_days``, 14 by default): it is marked expired and its
  private data erased (:meth:`Proposals.expire`, run before every proposal command and read, and
  when the service starts), then scrubbed from the database's files as ``sunlight forget`` does.

A proposal's statement is checked against every rule when proposed (all but the missing
signatures) and again when appended. A co-signer signs exactly the stored statement bytes; the
same key twice counts once; a co-signer out of office, or whose role fills no empty seat, is
refused. Whether a fully signed proposal may be appended *now* is decided in one place,
:meth:`Proposals.may_append` (an unanswered objection will hold it there); :meth:`Proposals.release`
appends one that was held once it may be.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError

from ledger.application import BatchRejected, LogState, Receipt, Sunlight, _fresh_salts
from ledger.domain.common import PROPOSAL_ID
from ledger.domain.errors import Conflict, DomainError, InvalidInput, NotAuthorised, NotFound
from ledger.domain.state import CommunityState, local_day, parse_body
from ledger.gcpause import gc_paused
from ledger.signing import (
    Signature,
    Statement,
    Submission,
    format_accepted,
    statement_hash,
    verify_signature,
)
from ledger.statecopy import copy_state
from ledger.store import ProposalRow

if TYPE_CHECKING:
    from ledger.audit.findings import LapsedProposal

MAX_RETRIES = 20

log = logging.getLogger("sunlight.proposals")


@dataclass(frozen=True)
class Proposal:
    """A proposal as members see it: never its private data."""

    row: ProposalRow
    missing: tuple[str, ...]  # who must still sign, in Chinese (empty once appended or expired)
    held: str | None = None  # why it is not appended although fully signed (an objection)

    @property
    def proposal_id(self) -> str:
        return self.row.proposal_id

    @property
    def status(self) -> str:
        return self.row.status

    def to_json(self) -> dict[str, object]:
        r = self.row
        return {
            "id": r.proposal_id, "community": r.community_id, "kind": r.kind,
            "statement": r.statement.decode(), "statement_hash": r.statement_hash,
            "signatures": [{"key_id": k, "signature": base64.b64encode(sig).decode()}
                           for k, sig in r.signatures],
            "status": r.status, "missing": list(self.missing), "held": self.held,
            "has_private_data": bool(r.private),
            "created_at": format_accepted(r.created_at),
            "expires_at": format_accepted(r.expires_at),
            "closed_at": None if r.closed_at is None else format_accepted(r.closed_at),
            "log_index": r.log_index,
        }


def new_proposal_id() -> str:
    return secrets.token_urlsafe(16)


class Proposals:
    """The proposal commands and queries of one :class:`~ledger.application.Sunlight`."""

    def __init__(self, ledger: Sunlight) -> None:
        self.ledger = ledger
        self.store = ledger.store

    # --- commands --------------------------------------------------------------------------

    def propose(self, submission: Submission) -> Receipt | Proposal:
        """Appends a statement whose signatures already satisfy the policy (a receipt), or keeps
        it as a proposal (every other rule checked) and says who must still sign."""
        st = Statement.from_bytes(submission.statement)
        community = st.community
        self.ledger.community(community)  # NotFound for a community this ledger does not host
        self.expire()
        h = statement_hash(submission.statement).hex()
        for row in self.store.proposals(community, "pending"):
            if row.statement_hash == h:  # the same statement proposed again: its signatures join
                merged: Receipt | Proposal = self.get(community, row.proposal_id)
                for key_id, sig in submission.signatures:
                    merged = self.cosign(community, row.proposal_id, key_id, sig)
                return merged
        try:  # signed enough already: simply recorded, at the cost of any submission
            return self.ledger.submit(submission)
        except NotAuthorised as exc:
            if exc.code != "needs-cosign":
                raise
        missing = self._assess(submission, st)
        if not missing:  # the policy changed in between
            return self.ledger.submit(submission)
        now = self.ledger.clock()
        days = self.ledger.state(community).proposal_days
        row = ProposalRow(
            new_proposal_id(), community, st.kind, submission.statement, h,
            tuple(sorted(submission.signatures)), tuple(submission.private), "pending", now,
            now + timedelta(days=days))
        self.store.add_proposal(row)
        log.info("proposal kept", extra={"event": "proposal_kept", "community": community,
                                         "proposal": row.proposal_id, "kind": st.kind})
        return Proposal(row, tuple(missing))

    def cosign(self, community: str, proposal_id: str, key_id: str, signature: bytes
               ) -> Receipt | Proposal:
        """Adds one member's signature over the proposal's statement bytes; appends the statement
        when it is the last one required (and :meth:`may_append` agrees)."""
        if type(key_id) is not str or len(key_id) != 16 or len(signature) != 64:
            raise InvalidInput("签名应为 16 位十六进制的 key_id 和 64 字节 Ed25519 签名",
                               code="submission-malformed")
        for _attempt in range(MAX_RETRIES):
            row = self._pending(community, proposal_id)
            if isinstance(row, Proposal):
                return row  # appended already
            st = Statement.from_bytes(row.statement)
            known = dict(row.signatures)
            with self.ledger._current(community) as state:
                public_key = state.domain.public_key_of(key_id)
                if public_key is None:
                    raise NotAuthorised("签名密钥不属于本社区任何成员", code="unknown-key")
                verify_signature(public_key, row.statement, signature)  # exactly the stored bytes
                if key_id in known:
                    return self._view(row, state)  # the same signature twice counts once
                before = self._missing(state, row.signatures, st, raise_errors=False)
                signatures = tuple(sorted((*row.signatures, (key_id, signature))))
                after = self._missing(state, signatures, st, raise_errors=True)
                if sum(n for _, n in after) >= sum(n for _, n in before):
                    member = state.domain.members[state.domain.keys[key_id].member_id]
                    raise NotAuthorised(
                        f"{member.name}（{member.role.title_zh}）的签名补不上所缺的签名："
                        + "；".join(text for text, _ in before), code="cosigner-not-needed")
            if after:
                if self.store.replace_signatures(row, signatures):
                    return self.get(community, proposal_id)
                continue  # another co-signer came first: read it again
            return self._complete(replace(row, signatures=signatures))
        raise Conflict("同时签署的人过多，请稍后重试", code="write-contention")

    def release(self, community: str, proposal_id: str) -> Receipt | Proposal:
        """Appends a fully signed proposal that :meth:`may_append` held, once it may be (the
        answer to an objection calls this); otherwise the proposal as it stands."""
        row = self._pending(community, proposal_id)
        if isinstance(row, Proposal):
            return row
        with self.ledger._current(community) as state:
            missing = self._missing(state, row.signatures, Statement.from_bytes(row.statement),
                                    raise_errors=False)
        if missing:
            return self.get(community, proposal_id)
        return self._complete(row)

    def may_append(self, proposal: ProposalRow, state: CommunityState) -> DomainError | None:
        """Whether a proposal that has every signature it needs may be appended now: ``None``,
        or why it is held (it then stays pending with its signatures, and :meth:`release`
        appends it later): an unanswered objection (``oversight.objection_raised``) concerning
        it holds it until the objection is answered."""
        if state.objection_holds(proposal.proposal_id):
            return Conflict("有人对这份提案提出了异议，尚未答复：答复之前不记入账本",
                            code="held-by-objection")
        return None

    def after_append(self, community: str, statement: Statement) -> Receipt | Proposal | None:
        """What an accepted record means for the proposals: the answer to an objection that held
        a proposal releases it (appended now if it has every signature it needs)."""
        if statement.kind != "oversight.objection_answered":
            return None
        with self.ledger._current(community) as state:
            objection = state.domain.objections.get(str(statement.body.get("objection_id")))
            proposal_id = None if objection is None else objection.raised.proposal_id
        if proposal_id is None or self.store.proposal(community, proposal_id) is None:
            return None
        try:
            return self.release(community, proposal_id)
        except DomainError as exc:  # expired meanwhile, say: the answer itself stands
            log.info("held proposal not released", extra={
                "event": "proposal_not_released", "proposal": proposal_id, "code": exc.code})
            return None

    def expire(self) -> int:
        """Marks every proposal past its expiry expired and erases its private data, then scrubs
        the database's files of it; returns how many expired. A scrub that a long reader holds up
        is finished by the next expiry or ``sunlight forget``."""
        if self.store.read_only:  # a hot standby: its primary expires them
            return 0
        expired = self.store.expire_proposals(self.ledger.clock())
        if expired:
            log.info("proposals expired", extra={"event": "proposals_expired", "count": expired})
            if not self.store.scrub():
                log.warning("scrub after expiry held up by a reader",
                            extra={"event": "scrub_busy"})
        return expired

    # --- queries ---------------------------------------------------------------------------

    def get(self, community: str, proposal_id: str) -> Proposal:
        self.ledger.community(community)
        self.expire()
        row = self._row(community, proposal_id)
        if row.status != "pending":
            return Proposal(row, ())
        with self.ledger._current(community) as state:
            return self._view(row, state)

    def listing(self, community: str, status: str | None = None) -> list[Proposal]:
        """The community's proposals, oldest first: pending, appended and expired (without their
        private data, which expired ones no longer have)."""
        self.ledger.community(community)
        self.expire()
        rows = self.store.proposals(community, status)
        if not any(r.status == "pending" for r in rows):
            return [Proposal(r, ()) for r in rows]
        with self.ledger._current(community) as state:
            return [self._view(r, state) if r.status == "pending" else Proposal(r, ())
                    for r in rows]

    # --- inside ----------------------------------------------------------------------------

    def _row(self, community: str, proposal_id: str) -> ProposalRow:
        row = None
        if type(proposal_id) is str and re.fullmatch(PROPOSAL_ID, proposal_id):
            row = self.store.proposal(community, proposal_id)
        if row is None:
            raise NotFound(f"社区 {community} 没有编号为 {str(proposal_id)[:40]} 的提案",
                           code="proposal-not-found")
        return row

    def _pending(self, community: str, proposal_id: str) -> ProposalRow | Proposal:
        """The pending proposal; the proposal itself if appended; refused if expired."""
        self.ledger.community(community)
        self.expire()
        row = self._row(community, proposal_id)
        if row.status == "expired":
            raise Conflict(f"提案 {proposal_id} 已于 {_local(row.expires_at)} 过期，不能再签署；"
                           "如仍需登记，请重新发起", code="proposal-expired")
        if row.status == "appended":
            return Proposal(row, ())
        return row

    def _view(self, row: ProposalRow, state: LogState) -> Proposal:
        st = Statement.from_bytes(row.statement)
        try:
            missing = self._missing(state, row.signatures, st, raise_errors=True)
        except DomainError as exc:  # a signer left office meanwhile, say
            return Proposal(row, (str(exc),))
        held = None
        if not missing:
            reason = self.may_append(row, state.domain)
            held = None if reason is None else str(reason)
        return Proposal(row, tuple(text for text, _ in missing), held)

    def _missing(self, state: LogState, signatures: Sequence[Signature], st: Statement, *,
                 raise_errors: bool) -> list[tuple[str, int]]:
        """The policy's empty seats for ``signatures`` (every signer's standing checked, nothing
        folded): ``[]`` when they suffice. A refusal other than a missing signature is raised,
        or with ``raise_errors=False`` counted as one seat missing."""
        domain = state.domain
        (first, _), *rest = signatures
        domain.missing = []
        try:
            body = parse_body(st.kind, st.body)
            domain.authorise(st.kind, body, first, domain.public_key_of(first), st.at,
                             self.ledger.clock(), tuple(k for k, _ in rest))
            return domain.missing
        except DomainError:
            if raise_errors:
                raise
            return [("", 1)]
        finally:
            domain.missing = None

    def _assess(self, submission: Submission, st: Statement) -> list[str]:
        """Every rule checked as for an append, except that missing co-signatures are listed
        rather than refused; nothing is written."""
        community = st.community
        with self.ledger._current(community) as state:
            if statement_hash(submission.statement) in state.domain.statements:
                return []  # recorded already: submitting it answers its receipt
            _fresh_salts(submission, self.ledger._salts_seen([submission]))
            now = self.ledger.clock()
            if state.last_accepted is not None and now < state.last_accepted:
                now = state.last_accepted
            # The check folds the statement in: into a copy, so that the writers' state is kept.
            with gc_paused(freeze=False):  # many objects, all soon garbage: see ledger.gcpause
                checked = replace(state, domain=copy_state(state.domain))
            checked.domain.missing = []
            self.ledger._check(checked, submission, st, now, 0)
            missing = checked.domain.missing or []
        return [text for text, _ in missing]

    def _complete(self, row: ProposalRow) -> Receipt | Proposal:
        """Appends the fully signed proposal and marks it appended, in one transaction."""
        ledger = self.ledger
        community = row.community_id
        (key_id, signature), *rest = row.signatures
        sub = Submission(row.statement, signature, key_id, row.private or (), tuple(rest))
        st = Statement.from_bytes(row.statement)
        for _attempt in range(MAX_RETRIES):
            state = ledger._state(community)
            with state.lock:
                if state is not ledger._states.get(community):
                    continue
                ledger._catch_up(state)
                held = self.may_append(row, state.domain)
                if held is not None:  # kept with its signatures, pending until released
                    stored = self.store.proposal(community, row.proposal_id) or row
                    if stored.status != "pending" or self.store.replace_signatures(
                            stored, row.signatures):
                        break
                    continue
                try:
                    with self.store.transaction() as tx:
                        tx.lock_log(community)
                        try:
                            (receipt,) = ledger._append_locked(state, [sub], [st], False, tx)
                        except DomainError as exc:
                            if isinstance(exc, BatchRejected):
                                raise exc.errors[0].error from None
                            raise
                        if not tx.close_proposal(row.proposal_id, row.signatures, receipt.index,
                                                 ledger.clock()):
                            raise _Lost
                except _Lost:
                    ledger._drop(community)
                    break
                except IntegrityError:
                    ledger._drop(community)
                    continue
                except BaseException:
                    ledger._drop(community)
                    raise
            log.info("proposal appended", extra={"event": "proposal_appended",
                                                 "community": community,
                                                 "proposal": row.proposal_id,
                                                 "index": receipt.index})
            assert isinstance(receipt, Receipt)
            return receipt
        else:
            raise Conflict("写入冲突过多，请稍后重试", code="write-contention")
        # held, or closed by another co-signer first (answered here: the state lock is not
        # re-entrant)
        return self.get(community, row.proposal_id)


class _Lost(Exception):
    """Another co-signer's append (or the expiry) closed the proposal first."""


def _local(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def lapsed_proposals(ledger: Sunlight, community: str) -> list[LapsedProposal]:
    """The community's expired proposals, as the audit views take them (they are not in the
    log). Reads only: a hot standby's or a publisher's view of what the service expired."""
    from ledger.audit.findings import LapsedProposal  # here: the service starts without it

    return [LapsedProposal(r.proposal_id, r.kind, local_day(r.created_at), local_day(r.expires_at))
            for r in ledger.store.proposals(community, "expired")]
