"""Stage 2: fold the records into the portal's read models. Pure: records in, views out.

The ledger already enforced every rule when the records were accepted; this fold only arranges
them for reading: what belongs to what, in which order, with links both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.domain.community import Community
from ledger.domain.decision import Decision, Meeting
from ledger.domain.disclosure import Disclosure
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import Fee
from ledger.domain.fund import GENERAL, Fund
from ledger.domain.kinds import BY_BODY, DEFAULT_POLICY, KINDS, policy_lines
from ledger.domain.member import Member, key_id_of
from ledger.domain.oversight import Oversight
from ledger.domain.policy import Founding
from ledger.domain.project import Project
from ledger.domain.roles import Role
from ledger.domain.state import local_day
from publisher.records import Record


@dataclass
class KeyView:
    key_id: str
    public_key: str
    member_id: str
    added_index: int
    retired_index: int | None = None
    retired_reason: str | None = None  # "rotated" | "revoked"


@dataclass
class MemberView:
    member_id: str
    name: str
    role: Role
    term_start: str
    term_end: str | None
    admitted_index: int
    revoked_index: int | None = None
    keys: list[KeyView] = field(default_factory=list)


@dataclass
class DisclosureView:
    record: Record
    published: Disclosure.Published
    corrections: list[Record] = field(default_factory=list)
    retraction: Record | None = None


@dataclass
class FundView:
    record: Record
    opened: Fund.Opened
    donations: list[Record] = field(default_factory=list)
    grants: list[Record] = field(default_factory=list)
    # (day, restriction, balance of that restriction after the record) in log order
    balances: list[tuple[str, str, int]] = field(default_factory=list)
    pools: dict[str, int] = field(default_factory=dict)

    @property
    def balance(self) -> int:
        return sum(self.pools.values())


@dataclass
class EstateView:
    record: Record
    estate: Community.EstateAdded
    budgets: dict[int, Record] = field(default_factory=dict)  # year -> latest budget record
    # year -> every budget of that year in log order: the original, then each revision (which
    # cites the decision that authorised it)
    budget_history: dict[int, list[Record]] = field(default_factory=dict)
    incomes: list[Record] = field(default_factory=list)
    spends: list[Record] = field(default_factory=list)

    def years(self) -> list[int]:
        found = set(self.budgets)
        found |= {int(_day_of(r)[:4]) for r in self.incomes + self.spends}
        return sorted(found)


@dataclass
class MeetingView:
    record: Record
    held: Meeting.Held
    decisions: list[str] = field(default_factory=list)


@dataclass
class DecisionView:
    record: Record
    resolved: Decision.Resolved
    uses: list[Record] = field(default_factory=list)  # grants, spends, designs, consequences


@dataclass
class RoundView:
    record: Record
    opened: Evaluation.Opened
    results: Record | None = None
    consequence: Record | None = None


@dataclass
class ProjectView:
    record: Record
    discovered: Project.Discovered
    steps: dict[str, Record] = field(default_factory=dict)
    grants: list[Record] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)


@dataclass
class ObjectionView:
    record: Record
    raised: Oversight.ObjectionRaised
    answer: Record | None = None


@dataclass
class Portal:
    community_id: str
    name: str = ""
    description: str | None = None
    records: list[Record] = field(default_factory=list)
    members: dict[str, MemberView] = field(default_factory=dict)
    keys: dict[str, KeyView] = field(default_factory=dict)
    estates: dict[str, EstateView] = field(default_factory=dict)
    disclosures: dict[str, DisclosureView] = field(default_factory=dict)
    funds: dict[str, FundView] = field(default_factory=dict)
    meetings: dict[str, MeetingView] = field(default_factory=dict)
    decisions: dict[str, DecisionView] = field(default_factory=dict)
    rounds: dict[str, RoundView] = field(default_factory=dict)
    projects: dict[str, ProjectView] = field(default_factory=dict)
    objections: dict[str, ObjectionView] = field(default_factory=dict)
    # log index -> the objections to that record, in log order
    objections_on: dict[int, list[ObjectionView]] = field(default_factory=dict)
    # log index -> records that point at it (corrections, grants citing a decision, ...)
    backlinks: dict[int, list[Record]] = field(default_factory=dict)
    # log index -> records it points at
    links: dict[int, list[Record]] = field(default_factory=dict)
    # (namespace, id) -> the record that created it and its name (see ledger.domain.kinds)
    named: dict[tuple[str, str], tuple[Record, str]] = field(default_factory=dict)
    # SHA-256 of a published attachment -> its path in the site (publisher.attachments)
    attachments: dict[str, str] = field(default_factory=dict)
    # a fund restriction's id (free ASCII) -> the Chinese name residents see
    restrictions: dict[str, str] = field(default_factory=dict)

    def restriction_zh(self, restriction: str) -> str:
        """``非定向``, or ``定向：`` and the purpose the first donation to it named; a restriction
        no donation named is numbered (``定向：未命名用途 1``), never shown by its id."""
        if restriction == GENERAL:
            return "非定向"
        if restriction not in self.restrictions:
            unnamed = sum(1 for n in self.restrictions.values() if n.startswith("未命名用途"))
            self.restrictions[restriction] = f"未命名用途 {unnamed + 1}"
        return f"定向：{self.restrictions[restriction]}"
    # the signing policy in force, in plain Chinese (empty: none), and the record that set it
    policy: list[str] = field(default_factory=list)
    policy_record: Record | None = None
    catalogue_record: Record | None = None  # the community's own disclosure catalogue, if set

    def link(self, source: Record, target: Record | None) -> None:
        if target is None:
            return
        self.backlinks.setdefault(target.index, []).append(source)
        self.links.setdefault(source.index, []).append(target)


def _day_of(r: Record) -> str:
    """The business day a record is about (YYYY-MM-DD), falling back to its signing day."""
    b = r.body
    for name in ("received_on", "spent_on", "granted_on", "held_on", "opened_on",
                 "closed_on", "discovered_on", "classified_on", "designed_on", "completed_on",
                 "evaluated_on"):
        value = getattr(b, name, None)
        if isinstance(value, str):
            return value
    return local_day(r.at).isoformat()


day_of = _day_of


def fold(community_id: str, records: Iterable[Record]) -> Portal:
    p = Portal(community_id)
    for r in records:
        p.records.append(r)
        _FOLDS[type(r.body)](p, r)
        creates = BY_BODY[type(r.body)].creates
        if creates is not None:
            p.named[(creates.namespace, getattr(r.body, creates.id_field))] = (
                r, getattr(r.body, creates.name_field))
    return p


def _community_founded(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Community.Founded)
    p.name, p.description = b.name, b.description
    if b.policy is Founding.DEFAULT:
        p.policy, p.policy_record = policy_lines(DEFAULT_POLICY), r
    _admit(p, r, Member.Admitted(member_id=b.founder_id, name=b.founder_name, role=Role.CHAIR,
                                 public_key=b.founder_public_key, term_start=b.term_start,
                                 term_end=b.term_end))


def _admit(p: Portal, r: Record, b: Member.Admitted) -> None:
    key = KeyView(key_id_of(b.public_key), b.public_key, b.member_id, r.index)
    p.members[b.member_id] = MemberView(b.member_id, b.name, b.role, b.term_start, b.term_end,
                                        r.index, keys=[key])
    p.keys[key.key_id] = key


def _member_admitted(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Member.Admitted)
    _admit(p, r, r.body)


def _member_change(p: Portal, r: Record) -> MemberView:
    member = p.members[r.body.member_id]  # type: ignore[attr-defined]
    p.link(r, p.records[member.admitted_index])
    return member


def _role_assigned(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Member.RoleAssigned)
    _member_change(p, r).role = r.body.role


def _term_set(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Member.TermSet)
    member = _member_change(p, r)
    member.term_start, member.term_end = b.term_start, b.term_end


def _key_rotated(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Member.KeyRotated)
    member = _member_change(p, r)
    member.keys[-1].retired_index, member.keys[-1].retired_reason = r.index, "rotated"
    key = KeyView(key_id_of(b.public_key), b.public_key, member.member_id, r.index)
    member.keys.append(key)
    p.keys[key.key_id] = key


def _revoked(p: Portal, r: Record) -> None:
    member = _member_change(p, r)
    member.revoked_index = r.index
    member.keys[-1].retired_index, member.keys[-1].retired_reason = r.index, "revoked"


def _policy_set(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Community.PolicySet)
    p.policy, p.policy_record = policy_lines(tuple(r.body.rules)), r


def _disclosure_catalogue_set(p: Portal, r: Record) -> None:
    p.catalogue_record = r


def _estate_added(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Community.EstateAdded)
    p.estates[r.body.estate_id] = EstateView(r, r.body)


def _disclosure_published(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Disclosure.Published)
    p.disclosures[r.body.disclosure_id] = DisclosureView(r, r.body)


def _disclosure_corrected(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Disclosure.Corrected)
    view = p.disclosures[r.body.disclosure_id]
    view.corrections.append(r)
    p.link(r, view.record)


def _disclosure_retracted(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Disclosure.Retracted)
    view = p.disclosures[r.body.disclosure_id]
    view.retraction = r
    p.link(r, view.record)


def _fund_opened(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Fund.Opened)
    p.funds[r.body.fund_id] = FundView(r, r.body)


def _money_moved(fund: FundView, r: Record, restriction: str, delta: int) -> None:
    fund.pools[restriction] = fund.pools.get(restriction, 0) + delta
    fund.balances.append((_day_of(r), restriction, fund.pools[restriction]))


def _donation_recorded(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Fund.DonationRecorded)
    fund = p.funds[b.fund_id]
    fund.donations.append(r)
    if b.restriction != GENERAL and b.restriction not in p.restrictions:
        if b.restriction_name is not None:
            p.restrictions[b.restriction] = b.restriction_name
        else:
            p.restriction_zh(b.restriction)  # numbered in the order first seen
    _money_moved(fund, r, b.restriction, b.amount_fen)
    p.link(r, fund.record)


def _grant_made(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Fund.GrantMade)
    fund = p.funds[b.fund_id]
    fund.grants.append(r)
    _money_moved(fund, r, b.restriction or GENERAL, -b.amount_fen)
    p.link(r, fund.record)
    _use_decision(p, r, b.decision_id)
    if b.project_id is not None and b.project_id in p.projects:
        project = p.projects[b.project_id]
        project.grants.append(r)
        p.link(r, project.record)


def _use_decision(p: Portal, r: Record, decision_id: str | None) -> None:
    if decision_id is not None and decision_id in p.decisions:
        decision = p.decisions[decision_id]
        decision.uses.append(r)
        p.link(r, decision.record)


def _budget_set(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Fee.BudgetSet)
    estate = p.estates[r.body.estate_id]
    estate.budgets[r.body.year] = r
    estate.budget_history.setdefault(r.body.year, []).append(r)
    _use_decision(p, r, r.body.decision_id)


def _income_recorded(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Fee.IncomeRecorded)
    p.estates[r.body.estate_id].incomes.append(r)


def _spend_recorded(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Fee.SpendRecorded)
    p.estates[r.body.estate_id].spends.append(r)
    _use_decision(p, r, r.body.decision_id)


def _meeting_held(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Meeting.Held)
    p.meetings[r.body.meeting_id] = MeetingView(r, r.body)


def _resolved(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Decision.Resolved)
    p.decisions[b.decision_id] = DecisionView(r, b)
    meeting = p.meetings[b.meeting_id]
    meeting.decisions.append(b.decision_id)
    p.link(r, meeting.record)


def _round_opened(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Evaluation.Opened)
    p.rounds[b.round_id] = RoundView(r, b)
    if b.subject_ref is not None and b.subject_ref in p.projects:
        p.projects[b.subject_ref].rounds.append(b.round_id)
        p.link(r, p.projects[b.subject_ref].record)


def _results_recorded(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Evaluation.ResultsRecorded)
    view = p.rounds[r.body.round_id]
    view.results = r
    p.link(r, view.record)


def _consequence_recorded(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Evaluation.ConsequenceRecorded)
    view = p.rounds[r.body.round_id]
    view.consequence = r
    p.link(r, view.record)
    _use_decision(p, r, r.body.decision_id)


def _project_discovered(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Project.Discovered)
    p.projects[r.body.project_id] = ProjectView(r, r.body, {"discovered": r})


def _project_step(p: Portal, r: Record) -> None:
    b = r.body
    project = p.projects[b.project_id]  # type: ignore[attr-defined]
    project.steps[r.kind.split(".", 1)[1]] = r
    p.link(r, project.record)
    if isinstance(b, Project.Designed):
        _use_decision(p, r, b.decision_id)
    if isinstance(b, Project.Evaluated) and b.round_id in p.rounds:
        p.link(r, p.rounds[b.round_id].record)


def _objection_raised(p: Portal, r: Record) -> None:
    b = r.body
    assert isinstance(b, Oversight.ObjectionRaised)
    view = p.objections[b.objection_id] = ObjectionView(r, b)
    if b.log_index is not None and b.log_index < len(p.records):
        p.objections_on.setdefault(b.log_index, []).append(view)
        p.link(r, p.records[b.log_index])


def _objection_answered(p: Portal, r: Record) -> None:
    assert isinstance(r.body, Oversight.ObjectionAnswered)
    view = p.objections[r.body.objection_id]
    view.answer = r
    p.link(r, view.record)


_FOLDS = {kind.body: globals()[f"_{kind.fold}"] for kind in KINDS.values()}
