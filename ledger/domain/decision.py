"""Meetings and their decisions (决议): attendance, votes, quorum, resolution, authorisations.

A decision's outcome is recomputed from its votes and quorum rule; the recorded outcome must
agree. Only a passed decision authorises anything, and each authorisation has a cap in fen
that grants and spends draw down. A budget authorisation lets one revision of an estate's
budget for one year through, with at most ``cap_fen`` in all its lines together.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.common import (
    AmountFen,
    Body,
    Choice,
    Count,
    Day,
    EstateRef,
    FundRef,
    Info,
    MeetingRef,
    ProjectRef,
    RecordId,
    Sha256Hex,
    Shape,
    ShortText,
    Text,
)
from ledger.domain.dates import Year
from ledger.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation


class MeetingBody(Choice):
    RESIDENTS_ASSEMBLY = "residents_assembly", "居民代表会议"
    RESIDENTS_COMMITTEE = "residents_committee", "居委会会议"
    OWNERS_ASSEMBLY = "owners_assembly", "业主大会"
    OWNERS_COMMITTEE = "owners_committee", "业委会会议"
    CONSULTATION = "consultation", "协商议事会"


MEETING_TITLES = {c: c.label for c in MeetingBody}


class AttendanceRule(Choice):
    HALF = "half", "过半数出席"
    TWO_THIRDS = "two_thirds", "三分之二出席"


class ApprovalRule(Choice):
    MAJORITY_OF_PRESENT = "majority_of_present", "出席者过半数赞成"
    TWO_THIRDS_OF_PRESENT = "two_thirds_of_present", "出席者三分之二赞成"
    MAJORITY_OF_VOTES = "majority_of_votes", "赞成多于反对"


class AuthorisationType(Choice):
    GRANT = "grant", "基金拨款"
    SPEND = "spend", "物业费支出"
    BUDGET = "budget", "修订年度预算"


class Attendance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    eligible: Annotated[Count, Field(gt=0), Info("应到人数", "有权出席的人数", example=30)]
    present: Annotated[Count, Info("实到人数", "实际出席的人数", example=25)]


class Votes(BaseModel):
    for_: Annotated[Count, Info("赞成", "赞成票数", example=20)] = Field(alias="for")
    against: Annotated[Count, Info("反对", "反对票数", example=3)]
    abstain: Annotated[Count, Info("弃权", "弃权票数", example=2)]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              serialize_by_alias=True)


class Quorum(BaseModel):
    """Attendance needed (share of eligible) and approval needed (share of present or votes)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    attendance: Annotated[AttendanceRule, Info(
        "出席要求", "出席多少人会议才有效（不填为过半数）")] = AttendanceRule.HALF
    approval: Annotated[ApprovalRule, Info(
        "通过要求", "多少赞成票才通过（不填为出席者过半数）")] = ApprovalRule.MAJORITY_OF_PRESENT


class Authorisation(BaseModel):
    """What a decision authorises: a grant from a fund, a spend in an estate's fee category, or
    a revision of an estate's budget for a year (``cap_fen``: the revised budget's total)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: Annotated[AuthorisationType, Info("授权类型", "授权基金拨款、物业费支出或修订预算")]
    fund_id: Annotated[FundRef | None, Info(help="拨款授权：从哪个基金拨款")] = None
    project_id: Annotated[ProjectRef | None, Info(help="拨款授权：限于哪个民需项目（可不填）")] = None
    estate_id: Annotated[EstateRef | None, Info(help="支出或预算授权：哪个小区")] = None
    category: Annotated[RecordId | None, Info(
        "支出类别", "支出授权：物业费支出类别的取值，如 repairs（维修）", shape=Shape.TEXT,
        example="repairs")] = None
    year: Annotated[Year | None, Info("年度", "预算授权：哪一年的预算")] = None
    cap_fen: Annotated[AmountFen, Info("上限", "授权的最高金额（分）")]


class Meeting:
    class Held(Body):
        kind: ClassVar[str] = "decision.meeting_held"
        title_zh: ClassVar[str] = "召开会议"

        meeting_id: Annotated[RecordId, Info("会议编号", "本社区内唯一的会议编号",
                                             example="hy-2025-01")]
        body: Annotated[MeetingBody, Info("会议类型", "由哪个议事机构召开")]
        title: Annotated[ShortText, Info("会议名称", "会议的公开名称", example="2025 年第一次居民代表会议")]
        held_on: Annotated[Day, Info("召开日期")]
        attendance: Annotated[Attendance, Info("出席", "应到和实到人数")]
        minutes_sha256: Annotated[Sha256Hex | None, Info(
            "会议记录哈希", "会议记录扫描件的 SHA-256（可不填）")] = None

    def __init__(self, event: Held, index: int) -> None:
        if event.attendance.present > event.attendance.eligible:
            raise InvalidInput("出席人数不能多于应到人数", code="attendance-invalid")
        self.id = event.meeting_id
        self.held = event
        self.index = index
        self.decisions: list[str] = []


class Decision:
    class Resolved(Body):
        kind: ClassVar[str] = "decision.resolved"
        title_zh: ClassVar[str] = "形成决议"

        decision_id: Annotated[RecordId, Info("决议编号", "本社区内唯一的决议编号",
                                              example="jy-2025-01")]
        meeting_id: MeetingRef
        agenda_item: Annotated[ShortText, Info("议题", "表决的事项", example="更换 3 号楼电梯")]
        votes: Annotated[Votes, Info("表决", "赞成、反对、弃权的票数")]
        quorum: Annotated[Quorum, Info("议事规则", "出席和通过的要求")] = Quorum()
        passed: Annotated[bool, Info("结果", "按票数和议事规则是否通过（须与计算结果一致）",
                                     values=((True, "通过"), (False, "未通过")))]
        resolution: Annotated[Text, Info("决议内容", "决议的全文")]
        authorises: Annotated[list[Authorisation], Field(max_length=20, default_factory=list),
                              Info("授权事项", "决议授权的拨款、支出或预算修订，各有上限")]

    def __init__(self, event: Resolved, meeting: Meeting, index: int) -> None:
        votes, present = event.votes, meeting.held.attendance.present
        if votes.for_ + votes.against + votes.abstain > present:
            raise InvalidInput("表决票数之和超过出席人数", code="votes-exceed-attendance")
        passed = outcome(event.quorum, meeting.held.attendance, votes)
        if passed != event.passed:
            word = "通过" if passed else "未通过"
            raise RuleViolation(f"按表决结果和议事规则，该决议应为“{word}”", code="outcome-mismatch")
        if event.authorises and not passed:
            raise RuleViolation("未通过的决议不能授权任何支出", code="failed-decision-authorises")
        for item in event.authorises:
            if item.type == "grant" and item.fund_id is None:
                raise InvalidInput("拨款授权须写明基金编号 fund_id", code="authorisation-invalid")
            if item.type == "spend" and (item.estate_id is None or item.category is None):
                raise InvalidInput("支出授权须写明小区 estate_id 和类别 category",
                                   code="authorisation-invalid")
            if item.type == "budget" and (item.estate_id is None or item.year is None):
                raise InvalidInput("预算授权须写明小区 estate_id 和年度 year",
                                   code="authorisation-invalid")
        self.id = event.decision_id
        self.resolved = event
        self.meeting = meeting
        self.index = index
        self.used_fen = [0] * len(event.authorises)
        self.uses: list[tuple[str, str]] = []  # (kind, record id) drawn on this decision

    @property
    def passed(self) -> bool:
        return self.resolved.passed

    def draw(self, *, type: str, amount_fen: int, record: tuple[str, str], fund_id: str | None = None,
             project_id: str | None = None, estate_id: str | None = None,
             category: str | None = None) -> int:
        """Finds an authorisation that covers ``amount_fen`` and returns its position; the caller
        commits the draw with :meth:`commit_draw` once every other rule has passed."""
        if not self.passed:
            raise RuleViolation(f"决议 {self.id} 未通过，不能作为授权依据", code="decision-not-passed")
        for i, item in enumerate(self.resolved.authorises):
            if item.type != type:
                continue
            if type == "grant" and (item.fund_id != fund_id or
                                    item.project_id not in (None, project_id)):
                continue
            if type == "spend" and (item.estate_id != estate_id or item.category != category):
                continue
            if self.used_fen[i] + amount_fen <= item.cap_fen:
                return i
            raise RuleViolation(
                f"决议 {self.id} 授权额度不足：尚余 {fmt_yuan(item.cap_fen - self.used_fen[i])}",
                code="authorisation-exceeded")
        raise RuleViolation(f"决议 {self.id} 没有授权这项{'拨款' if type == 'grant' else '支出'}",
                            code="not-authorised-by-decision")

    def draw_budget(self, *, estate_id: str, year: int, total_fen: int) -> int:
        """Finds an unused budget authorisation for the estate's year that covers a budget of
        ``total_fen`` in all; the caller commits it with :meth:`commit_draw`. Each budget
        authorisation lets one budget through."""
        if not self.passed:
            raise RuleViolation(f"决议 {self.id} 未通过，不能作为授权依据", code="decision-not-passed")
        found = False
        for i, item in enumerate(self.resolved.authorises):
            if item.type != "budget" or item.estate_id != estate_id or item.year != year:
                continue
            found = True
            if self.used_fen[i] == 0 and total_fen <= item.cap_fen:
                return i
        if not found:
            raise RuleViolation(f"决议 {self.id} 没有授权修订小区 {estate_id} 的 {year} 年预算",
                                code="not-authorised-by-decision")
        caps = [item.cap_fen for i, item in enumerate(self.resolved.authorises)
                if item.type == "budget" and item.estate_id == estate_id and item.year == year
                and self.used_fen[i] == 0]
        if not caps:
            raise RuleViolation(f"决议 {self.id} 对小区 {estate_id} {year} 年预算的授权已经用过",
                                code="authorisation-used")
        raise RuleViolation(
            f"决议 {self.id} 授权的预算总额至多 {fmt_yuan(max(caps))}，本次预算合计 {fmt_yuan(total_fen)}",
            code="authorisation-exceeded")

    def commit_draw(self, position: int, amount_fen: int, record: tuple[str, str]) -> None:
        self.used_fen[position] += amount_fen
        self.uses.append(record)


def outcome(quorum: Quorum, attendance: Attendance, votes: Votes) -> bool:
    present, eligible = attendance.present, attendance.eligible
    if quorum.attendance == "half" and present * 2 <= eligible:
        return False
    if quorum.attendance == "two_thirds" and present * 3 < eligible * 2:
        return False
    if quorum.approval == "majority_of_present":
        return votes.for_ * 2 > present
    if quorum.approval == "two_thirds_of_present":
        return votes.for_ * 3 >= present * 2
    return votes.for_ > votes.against


def fmt_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"


def require(decisions: dict[str, Decision], decision_id: str) -> Decision:
    if decision_id not in decisions:
        raise NotFound(f"没有编号为 {decision_id} 的决议", code="decision-not-found")
    return decisions[decision_id]


def require_new(existing: dict[str, object], key: str, what: str) -> None:
    if key in existing:
        raise Conflict(f"{what}编号 {key} 已存在", code="id-exists")
