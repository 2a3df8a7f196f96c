"""A community's whole state, folded from its accepted statements in log order.

This is the only place where statements meet rules. The ledger application folds each new
statement before it is stored; the auditor's verifier folds the published log with the very same
code, so a rule the ledger enforced is a rule the auditor re-checks.
"""

from __future__ import annotations

from array import array
from collections import deque
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, NamedTuple, TypeVar

from pydantic import ValidationError

from ledger.domain import decision as decisions_mod
from ledger.domain.common import Body
from ledger.domain.community import DEFAULT_CATALOGUE, Catalogue, Community
from ledger.domain.dates import check_dates, date_fields, day_not_before, not_before
from ledger.domain.decision import Decision, Meeting
from ledger.domain.disclosure import Disclosure
from ledger.domain.errors import Conflict, InvalidInput, NotAuthorised, NotFound
from ledger.domain.evaluation import Evaluation, Subject
from ledger.domain.fee import Fee
from ledger.domain.fund import Fund
from ledger.domain.ids import Ids, MemoryIds
from ledger.domain.kinds import BODY_TYPES as BODY_TYPES  # re-exported
from ledger.domain.kinds import DEFAULT_POLICY, KINDS, find_field, may_record, policy_lines
from ledger.domain.member import LOGGED, KeyRecord, Member, require_held_at, require_signer
from ledger.domain.oversight import Objection, Oversight
from ledger.domain.policy import (
    DEFAULT_PROPOSAL_DAYS,
    Condition,
    Founding,
    Rule,
    seat_zh,
    unfilled,
)
from ledger.domain.project import Project
from ledger.domain.roles import Role

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

def parse_body(kind: str, body: Any, *, logged: bool = False) -> Body:
    """The typed body of a statement, or :class:`InvalidInput` naming the bad field in Chinese.

    ``logged``: the body of an entry already in this ledger's own log, read again. A key it
    registered is then taken as it stands, so that a log written before weak keys were refused
    still loads (such a key never verifies a signature; ``sunlight verify`` reports the entry)."""
    try:
        cls = BODY_TYPES[kind]
    except KeyError:
        raise InvalidInput(f"未知的记录类型：{kind}", code="unknown-kind") from None
    if not isinstance(body, dict):
        raise InvalidInput("记录内容 body 必须是 JSON 对象", code="invalid-input")
    try:
        validate = cls.__pydantic_validator__.validate_python
        return validate(body, context=LOGGED) if logged else validate(body)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise InvalidInput(explain(exc, kind), code="invalid-input") from None


def explain(exc: ValidationError, kind: str = "") -> str:
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        spec = find_field(kind, tuple(err["loc"]))
        if spec is not None and spec.values and err["type"] in ("enum", "literal_error"):
            given = err.get("input")
            named = [value for value, label in spec.values if label == given]
            hint = (f"“{given}”是标签，签名内容须写取值 {named[0]}" if named
                    else f"“{given}”不是允许的取值")
            message = f"{hint}；{spec.label}的取值：{spec.allowed_zh()}"
            parts.append(f"字段 {where}：{message}")
            continue
        parts.append(f"字段 {where}：{_zh(err['type'], message)}")
    return "；".join(parts)


_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段",
    "int_type": "应为整数（金额以分为单位，不能带小数）",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "string_pattern_mismatch": "格式不正确",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "greater_than": "必须大于 0",
    "greater_than_equal": "不能小于下限",
    "less_than_equal": "超出上限",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "too_short": "条目过少",
    "too_long": "条目过多",
}


def _zh(error_type: str, message: str) -> str:
    zh = _ZH.get(error_type)
    return message if zh is None else f"{zh}（{message}）"


class Signed(NamedTuple):
    """What the fold needs to know about one accepted statement (a named tuple: one is built per
    entry, and an auditor's replay builds a great many)."""

    log_index: int
    kind: str
    body: Body
    key_id: str
    at: datetime  # when the member signed (aware UTC)
    statement_hash: bytes
    cosigners: tuple[str, ...] = ()  # the key IDs of a co-signed entry's other signatures


class CommunityState:
    """Everything the rules need to know about one community, and nothing private."""

    def __init__(self, community_id: str, *, keep_records: bool = True, ids: Ids | None = None,
                 forget_statements: bool = False) -> None:
        """``keep_records=False``: keep only what the rules need (ids, balances, budgets,
        membership), not every donation, grant, income and spend -- for an auditor's replay.
        ``ids``: where the used record ids are kept (in memory unless given).
        ``forget_statements``: allow :meth:`forget_statements_signed_before` (the ledger keeps
        every statement hash to answer a re-submission with its receipt; an auditor need not)."""
        self.community_id = community_id
        self.keep_records = keep_records
        self.ids: Ids = MemoryIds() if ids is None else ids
        self._signed: deque[tuple[datetime, bytes]] | None = deque() if forget_statements else None
        self.community: Community | None = None
        self.members: dict[str, Member] = {}
        self.keys: dict[str, KeyRecord] = {}
        self.disclosures: dict[str, Disclosure] = {}
        self.funds: dict[str, Fund] = {}
        self.fees: dict[str, Fee] = {}
        self.meetings: dict[str, Meeting] = {}
        self.decisions: dict[str, Decision] = {}
        self.rounds: dict[str, Evaluation] = {}
        self.projects: dict[str, Project] = {}
        self.statements: dict[bytes, int] = {}  # statement hash -> log index
        self.size = 0
        self.objections: dict[str, Objection] = {}
        # Who recorded each entry (its first signer), by log index: a number per member, 4 bytes
        # an entry, so that an objection knows whom it may be answered by.
        self._recorders = array("I")
        self._member_numbers: dict[str, int] = {}
        self._member_ids: list[str] = []
        # The signing policy in force (None: none, one signature suffices) and the log index of
        # the entry that set it (the founding, or a community.policy_set).
        self.policy: tuple[Rule, ...] | None = None
        self.policy_from: int | None = None
        # What must be disclosed by when (the default until a community.disclosure_catalogue_set)
        self.catalogue = DEFAULT_CATALOGUE
        # How long a proposal waits for its co-signatures under the policy in force, and the
        # longest any policy of this log allowed (how long an auditor remembers statement hashes).
        self.proposal_days = DEFAULT_PROPOSAL_DAYS
        self.longest_proposal_days = DEFAULT_PROPOSAL_DAYS
        # Set while a proposal is checked (``ledger.proposals``): the seats the policy leaves
        # empty are listed here, ``(why, how many seats)``, instead of refused (needs-cosign).
        self.missing: list[tuple[str, int]] | None = None

    # --- the signer ---------------------------------------------------------------------

    def authorise(self, kind: str, body: Body, key_id: str, public_key: str | None,
                  at: datetime, accepted_at: datetime | None = None,
                  cosigners: tuple[str, ...] = ()) -> Member | None:
        """Checks that ``key_id`` (with ``cosigners``, the key IDs of further signatures over the
        same statement) may sign ``kind`` at ``at`` and, if given, still at ``accepted_at`` (when
        the log accepts it); returns the (first) signer.

        Every signer must be a member in office with a current key, each member at most once,
        and at least one of them in a role that may record ``kind``.
        The founding statement is signed by the key it names, before any member exists.
        """
        if self.community is None:
            if kind != _FOUNDED:
                raise NotFound(f"社区 {self.community_id} 尚未建账", code="community-not-found")
            assert isinstance(body, Community.Founded)
            if public_key is not None and public_key != body.founder_public_key:
                raise NotAuthorised("建账声明须由创始成员本人的密钥签名", code="founder-key-mismatch")
            if cosigners:
                raise NotAuthorised("建账声明只由创始成员一人签名", code="founder-key-mismatch")
            return None
        if kind == _FOUNDED:
            raise Conflict(f"社区 {self.community_id} 已经建账", code="community-exists")
        if cosigners:
            holders = [self.keys[k].member_id for k in (key_id, *cosigners) if k in self.keys]
            if len(set(holders)) != len(holders):  # e.g. with an old key and the new one
                raise NotAuthorised("同一成员签了两次：共同签署须由不同的成员各签一次",
                                    code="same-member-twice")
            signers = [self._standing(k, at, accepted_at) for k in (key_id, *cosigners)]
        else:  # one signature, nearly every entry: the same checks without the loops
            signer = self._standing(key_id, at, accepted_at)
            if self.policy is None and may_record(signer.role, kind):
                return signer
            signers = [signer]
        if self.policy is not None and self._recovers(kind, body, signers, _day(at)):
            return signers[0]
        if not any(may_record(m.role, kind) for m in signers):
            if len(signers) == 1:
                raise NotAuthorised(f"{signers[0].role.title_zh}无权登记“{BODY_TYPES[kind].title_zh}”",
                                    code="role-not-permitted")
            allowed = "或".join(r.title_zh for r in Role if may_record(r, kind))
            raise NotAuthorised(f"“{BODY_TYPES[kind].title_zh}”须有一位{allowed}签名",
                                code="role-not-permitted")
        if self.policy is not None:
            self._require_policy(kind, body, signers, _day(at))
        return signers[0]

    def _require_policy(self, kind: str, body: Body, signers: list[Member], day: date) -> None:
        """Every rule of the policy in force that applies to this statement has its seats filled."""
        assert self.policy is not None
        for rule in self.policy:
            if rule.kind != kind or rule.when is Condition.RECOVERY or not self._applies(rule, body, day):
                continue
            empty = unfilled(rule.seats, KINDS[kind].signers, [m.role for m in signers])
            if empty:
                (text,) = policy_lines((rule,))
                if self.missing is not None:
                    self.missing.append((f"{text}：还须{'和'.join(seat_zh(e) for e in empty)}签名",
                                         len(empty)))
                    continue
                named = "、".join(f"{m.name}（{m.role.title_zh}）" for m in signers)
                raise NotAuthorised(f"{text}：已有 {named} 签名，还须{'和'.join(seat_zh(e) for e in empty)}"
                                    "签名（各一位不同的成员）", code="needs-cosign")

    def _applies(self, rule: Rule, body: Body, day: date) -> bool:
        if rule.min_amount_fen is not None and getattr(body, "amount_fen", 0) < rule.min_amount_fen:
            return False
        if rule.when is Condition.REVISION:
            if not isinstance(body, Fee.BudgetSet) or body.estate_id not in self.fees:
                return False
            return bool(self.fees[body.estate_id].budget_history.get(body.year))
        if rule.when is Condition.COMMITTEE_OF_THREE:
            return sum(m.active and m.covers(day) for m in self.members.values()) >= 3
        return True

    def _recovers(self, kind: str, body: Body, signers: list[Member], day: date) -> bool:
        """A key rotation of a 主任 whom the signers do not include (the key is lost), signed as
        the policy's recovery rule asks; False when that is not the case at all."""
        if not isinstance(body, Member.KeyRotated):
            return False
        target = self.members.get(body.member_id)
        if target is None or target.role != Role.CHAIR or any(m.id == target.id for m in signers):
            return False
        if any(may_record(m.role, kind) for m in signers):
            return False  # another 主任 rotates it, as any rotation
        rules = [r for r in self.policy or () if r.kind == kind and r.when is Condition.RECOVERY]
        for rule in rules:
            if not unfilled(rule.seats, KINDS[kind].signers, [m.role for m in signers]):
                return True
        if rules:
            (text,) = policy_lines(tuple(rules[:1]))
            if self.missing is not None:
                self.missing.append((text, min(len(unfilled(r.seats, KINDS[kind].signers,
                                                             [m.role for m in signers]))
                                               for r in rules)))
                return True
            raise NotAuthorised(f"{text}；本条签名不足", code="needs-cosign")
        return False

    def _standing(self, key_id: str, at: datetime, accepted_at: datetime | None) -> Member:
        """The member whose current key ``key_id`` is, in office at ``at`` (and ``accepted_at``)."""
        key = self.keys.get(key_id)
        member = self.members.get(key.member_id) if key else None
        day = _day(at)
        signer = require_signer(member, key, day)
        assert key is not None
        require_held_at(signer, key, at)
        if accepted_at is not None:
            # A term that ended between signing and acceptance does not let the record in: the
            # role and key are the log's current ones, the term must cover both days.
            accepted_day = _day(accepted_at)
            if accepted_day != day:
                require_signer(member, key, accepted_day, accepting=True)
        return signer

    def public_key_of(self, key_id: str) -> str | None:
        key = self.keys.get(key_id)
        return key.public_key if key else None

    # --- the fold -----------------------------------------------------------------------

    def apply(self, s: Signed) -> None:
        """Checks every rule for ``s`` and folds it in; on error nothing has changed."""
        log_index, kind, body, key_id, at, statement_hash, _ = s
        if log_index != self.size:
            raise AssertionError(f"statement at {log_index} folded into a state of size {self.size}")
        if statement_hash in self.statements:
            raise Conflict("同一份签名声明已登记过", code="duplicate-statement")
        if date_fields(type(body)):
            check_dates(body, _iso_day(at))
        _HANDLERS[kind](self, s)
        self._recorders.append(self._member_number(key_id))
        self.statements[statement_hash] = log_index
        if self._signed is not None:
            self._signed.append((at, statement_hash))
        self.size += 1

    def _member_number(self, key_id: str) -> int:
        key = self.keys.get(key_id)
        member_id = key.member_id if key is not None else ""
        number = self._member_numbers.get(member_id)
        if number is None:
            number = self._member_numbers[member_id] = len(self._member_ids)
            self._member_ids.append(member_id)
        return number

    def recorder(self, log_index: int) -> str | None:
        """The member who recorded (first signed) the entry at ``log_index``, if any."""
        if not 0 <= log_index < len(self._recorders):
            return None
        return self._member_ids[self._recorders[log_index]] or None

    # --- objections -----------------------------------------------------------------------

    def open_objections(self) -> list[Objection]:
        """Every objection not yet answered, in log order."""
        return [o for o in self.objections.values() if o.open]

    def objection_holds(self, proposal_id: str) -> bool:
        """Whether an unanswered objection concerns the proposal ``proposal_id``: a proposal so
        held is not appended to the log, whatever signatures it has, until the objection is
        answered (``oversight.objection_answered``)."""
        return any(o.open and o.raised.proposal_id == proposal_id
                   for o in self.objections.values())

    def overdue_objections(self, today: date) -> list[Objection]:
        """The unanswered objections more than 15 working days old on ``today`` (for auditors)."""
        return [o for o in self.objections.values() if o.overdue(today)]

    def forget_statements_signed_before(self, cutoff: datetime) -> None:
        """Drops the hashes of statements signed before ``cutoff`` from the duplicate check.

        Sound for a replay that also applies the acceptance time window: a statement signed at
        ``at`` is only acceptable while the log's acceptance time is at most ``at + MAX_PAST``,
        and acceptance times never decrease; so once the log's time passes ``cutoff + MAX_PAST``
        a statement signed before ``cutoff`` can never again be accepted, duplicate or not. This
        keeps the check's memory to about one window of entries however long the log.
        Hashes leave in log order, so one signed unusually late waits for those before it.
        """
        signed = self._signed
        if signed is None:
            raise RuntimeError("this state keeps every statement hash (forget_statements=False)")
        while signed and signed[0][0] < cutoff:
            _, statement_hash = signed.popleft()
            del self.statements[statement_hash]

    # handlers: validate fully, then mutate

    def _community_founded(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Community.Founded)
        community = Community(self.community_id, b)
        founder = Member(Member.Admitted(member_id=b.founder_id, name=b.founder_name,
                                         role=Role.CHAIR, public_key=b.founder_public_key,
                                         term_start=b.term_start, term_end=b.term_end), s.log_index,
                         s.at)
        self.community = community
        self._add_member(founder)
        if b.policy is Founding.DEFAULT:
            self.policy, self.policy_from = DEFAULT_POLICY, s.log_index

    def _policy_set(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Community.PolicySet)
        for rule in b.rules:
            if rule.kind not in KINDS:
                raise InvalidInput(f"签署规则中的记录类型 {rule.kind} 不存在", code="unknown-kind")
        self.policy, self.policy_from = tuple(b.rules), s.log_index
        self.proposal_days = b.proposal_days
        self.longest_proposal_days = max(self.longest_proposal_days, b.proposal_days)

    def _disclosure_catalogue_set(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Community.CatalogueSet)
        self.catalogue = Catalogue(b, s.log_index)

    def _estate_added(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Community.EstateAdded) and self.community is not None
        start = b.added_on or _iso_day(s.at)
        self.community.add_estate(b)
        self.fees[b.estate_id] = Fee(b.estate_id, self.keep_records, self.ids, start)

    def _member_admitted(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Member.Admitted)
        decisions_mod.require_new(self.members, b.member_id, "成员")  # type: ignore[arg-type]
        member = Member(b, s.log_index, s.at)
        if member.current_key.key_id in self.keys:
            raise Conflict("该公钥已属于其他成员", code="key-reused")
        self._add_member(member)

    def _add_member(self, member: Member) -> None:
        self.members[member.id] = member
        self.keys[member.current_key.key_id] = member.current_key

    def _member(self, member_id: str) -> Member:
        return find(self.members, member_id, "成员", "member-not-found")

    def _role_assigned(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Member.RoleAssigned)
        self._member(b.member_id).assign_role(b, s.at)

    def _key_rotated(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Member.KeyRotated)
        record = self._member(b.member_id).rotate_key(b, s.log_index, set(self.keys), s.at)
        self.keys[record.key_id] = record

    def _revoked(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Member.Revoked)
        member = self._member(b.member_id)
        if member.role == Role.CHAIR and sum(
                m.active and m.role == Role.CHAIR for m in self.members.values()) == 1:
            raise Conflict("不能撤销唯一的主任；请先任命新的主任", code="last-chair")
        member.revoke(b, s.log_index)

    def _term_set(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Member.TermSet)
        self._member(b.member_id).set_term(b)

    def _disclosure_published(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Disclosure.Published)
        decisions_mod.require_new(self.disclosures, b.disclosure_id, "公开事项")  # type: ignore[arg-type]
        self.disclosures[b.disclosure_id] = Disclosure(b, s.log_index)

    def _disclosure(self, disclosure_id: str) -> Disclosure:
        return find(self.disclosures, disclosure_id, "公开事项", "disclosure-not-found")

    def _disclosure_corrected(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Disclosure.Corrected)
        original = self._disclosure(b.disclosure_id)
        correction = ("correction", "", b.correction_id)
        if self.ids.taken(correction):
            raise Conflict(f"更正编号 {b.correction_id} 已存在", code="id-exists")
        original.correct(b, s.log_index)
        self.ids.add(correction)

    def _disclosure_retracted(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Disclosure.Retracted)
        self._disclosure(b.disclosure_id).retract(b, s.log_index)

    def _fund(self, fund_id: str) -> Fund:
        return find(self.funds, fund_id, "基金", "fund-not-found")

    def _fund_opened(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Fund.Opened)
        decisions_mod.require_new(self.funds, b.fund_id, "基金")  # type: ignore[arg-type]
        self.funds[b.fund_id] = Fund(b, s.log_index, self.keep_records, self.ids)

    def _donation_recorded(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Fund.DonationRecorded)
        fund = self._fund(b.fund_id)
        not_before(b.received_on, "received_on", fund.opened.opened_on, f"基金 {fund.id} 的设立日期")
        fund.record_donation(b)

    def _grant_made(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Fund.GrantMade)
        fund = self._fund(b.fund_id)
        decision = decisions_mod.require(self.decisions, b.decision_id)
        project = self.projects.get(b.project_id) if b.project_id else None
        project_ok = b.project_id is None or (project is not None and project.accepts_grants)
        not_before(b.granted_on, "granted_on", fund.opened.opened_on, f"基金 {fund.id} 的设立日期")
        not_before(b.granted_on, "granted_on", decision.meeting.held.held_on,
                   f"决议 {decision.id} 的会议日期")
        if project is not None and project_ok:
            not_before(b.granted_on, "granted_on", project.day("designed"),
                       f"民需项目 {project.id} 的设计日期")
        fund.make_grant(b, decision, project_ok)
        if project is not None:
            project.grants.append(b.grant_id)

    def _estate_fees(self, estate_id: str) -> Fee:
        assert self.community is not None
        self.community.require_estate(estate_id)
        return self.fees[estate_id]

    def _budget_set(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Fee.BudgetSet)
        fees = self._estate_fees(b.estate_id)
        decision = decisions_mod.require(self.decisions, b.decision_id) if b.decision_id else None
        fees.set_budget(b, decision, s.log_index, _iso_day(s.at))

    def _income_recorded(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Fee.IncomeRecorded)
        self._estate_fees(b.estate_id).record_income(b)

    def _spend_recorded(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Fee.SpendRecorded)
        fees = self._estate_fees(b.estate_id)
        decision = decisions_mod.require(self.decisions, b.decision_id) if b.decision_id else None
        fees.record_spend(b, decision)

    def _meeting_held(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Meeting.Held)
        decisions_mod.require_new(self.meetings, b.meeting_id, "会议")  # type: ignore[arg-type]
        self.meetings[b.meeting_id] = Meeting(b, s.log_index)

    def _resolved(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Decision.Resolved)
        decisions_mod.require_new(self.decisions, b.decision_id, "决议")  # type: ignore[arg-type]
        try:
            meeting = self.meetings[b.meeting_id]
        except KeyError:
            raise NotFound(f"没有编号为 {b.meeting_id} 的会议", code="meeting-not-found") from None
        day_not_before(_iso_day(s.at), meeting.held.held_on,
                       f"会议 {meeting.id} 的日期", "决议")
        for item in b.authorises:
            if item.fund_id is not None:
                self._fund(item.fund_id)
            if item.estate_id is not None:
                self._estate_fees(item.estate_id)
        decision = Decision(b, meeting, s.log_index)
        self.decisions[b.decision_id] = decision
        meeting.decisions.append(b.decision_id)

    def _round(self, round_id: str) -> Evaluation:
        return find(self.rounds, round_id, "评议", "round-not-found")

    def _round_opened(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Evaluation.Opened)
        decisions_mod.require_new(self.rounds, b.round_id, "评议")  # type: ignore[arg-type]
        if b.subject == Subject.PROJECT:
            if b.subject_ref not in self.projects:
                raise NotFound(f"没有编号为 {b.subject_ref} 的民需项目", code="project-not-found")
            not_before(b.opened_on, "opened_on", self.projects[b.subject_ref].day("discovered"),
                       f"民需项目 {b.subject_ref} 的发现日期")
        self.rounds[b.round_id] = Evaluation(b, s.log_index)

    def _results_recorded(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Evaluation.ResultsRecorded)
        evaluation = self._round(b.round_id)
        not_before(b.closed_on, "closed_on", evaluation.opened.opened_on,
                   f"评议 {evaluation.id} 的开始日期")
        evaluation.record_results(b)

    def _consequence_recorded(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Evaluation.ConsequenceRecorded)
        evaluation = self._round(b.round_id)
        if b.decision_id is not None:
            decisions_mod.require(self.decisions, b.decision_id)
        if evaluation.results is not None:
            day_not_before(_iso_day(s.at), evaluation.results.closed_on,
                           f"评议 {evaluation.id} 的结束日期", "评议结果运用")
        evaluation.record_consequence(b)

    def _project(self, project_id: str) -> Project:
        return find(self.projects, project_id, "民需项目", "project-not-found")

    def _project_discovered(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Project.Discovered)
        decisions_mod.require_new(self.projects, b.project_id, "民需项目")  # type: ignore[arg-type]
        if b.estate_id is not None:
            self._estate_fees(b.estate_id)
        self.projects[b.project_id] = Project(b, s.log_index)

    def _project_step(self, s: Signed) -> None:
        b = s.body
        project = self._project(b.project_id)  # type: ignore[attr-defined]
        if isinstance(b, Project.Designed) and b.decision_id is not None:
            decisions_mod.require(self.decisions, b.decision_id)
        if isinstance(b, Project.Evaluated) and b.round_id is not None:
            self._round(b.round_id)
        project.advance(s.kind.split(".", 1)[1], b, s.log_index)

    def _signers(self, s: Signed) -> list[Member]:
        return [self.members[self.keys[k].member_id] for k in (s.key_id, *s.cosigners)
                if k in self.keys]

    def _objection_raised(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Oversight.ObjectionRaised)
        if b.objection_id in self.objections:
            raise Conflict(f"异议编号 {b.objection_id} 已存在", code="id-exists")
        recorder = None
        if b.log_index is not None:
            if b.log_index >= s.log_index:
                raise NotFound(f"账本中还没有第 {b.log_index} 条记录（现有 {s.log_index} 条，"
                               f"序号 0 至 {s.log_index - 1}）", code="record-not-found")
            recorder = self.recorder(b.log_index)
        signers = self._signers(s)
        raised_by = signers[0].id if signers else ""
        self.objections[b.objection_id] = Objection(b, s.log_index, raised_by, recorder)

    def _objection_answered(self, s: Signed) -> None:
        b = s.body
        assert isinstance(b, Oversight.ObjectionAnswered)
        objection = find(self.objections, b.objection_id, "异议", "objection-not-found")
        signers = self._signers(s)
        answerer = next((m for m in signers if m.role == Role.CHAIR or m.id == objection.recorder),
                        signers[0] if signers else None)
        member_id, role = (answerer.id, answerer.role) if answerer else ("", Role.MEMBER)
        objection.answer(b, s.log_index, member_id, role)


_HANDLERS = {name: getattr(CommunityState, f"_{kind.fold}") for name, kind in KINDS.items()}
_FOUNDED = Community.Founded.kind


T = TypeVar("T")


def find(items: dict[str, T], key: str, what: str, code: str) -> T:
    """``items[key]``, or a :class:`NotFound` naming the missing record in Chinese."""
    try:
        return items[key]
    except KeyError:
        raise NotFound(f"没有编号为 {key} 的{what}", code=code) from None


def local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


# The day of a statement is asked for by the signer check and the date checks, of its acceptance
# by the signer check, and a log's times run in order: the last day's bounds answer nearly all.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_window: tuple[datetime, datetime, date, str] = (_EPOCH, _EPOCH, date(1970, 1, 1), "1970-01-01")


def _day_window(at: datetime) -> tuple[datetime, datetime, date, str]:
    """``(start, end, day, ISO day)`` of the Asia/Shanghai day that holds ``at``."""
    global _window
    window = _window  # one tuple, read and replaced whole: safe across threads
    if not window[0] <= at < window[1]:
        day = at.astimezone(SHANGHAI).date()
        start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)
        window = _window = (start, start + timedelta(days=1), day, day.isoformat())
    return window


def _day(at: datetime) -> date:
    window = _window  # the last day's bounds answer nearly every call: no second call for them
    return window[2] if window[0] <= at < window[1] else _day_window(at)[2]


def _iso_day(at: datetime) -> str:
    window = _window
    return window[3] if window[0] <= at < window[1] else _day_window(at)[3]
