"""Evaluation (评议): rounds, aggregate results, consequences.

Only aggregates are ever recorded, never a ballot, and no group smaller than five respondents:
a group that small could reveal how one person voted.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.common import Body, Count, Day, RecordId, ShortText, Text
from ledger.domain.errors import Conflict, InvalidInput, RuleViolation

MIN_GROUP = 5


class Subject(StrEnum):
    RESIDENTS_COMMITTEE = "residents_committee"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_COMPANY = "property_company"
    PROJECT = "project"


SUBJECT_TITLES = {
    Subject.RESIDENTS_COMMITTEE: "居委会",
    Subject.OWNERS_COMMITTEE: "业委会",
    Subject.PROPERTY_COMPANY: "物业公司",
    Subject.PROJECT: "民需项目",
}


class Method(StrEnum):
    QUESTIONNAIRE = "questionnaire"
    ASSEMBLY = "assembly"
    ONLINE = "online"


METHOD_TITLES = {Method.QUESTIONNAIRE: "问卷", Method.ASSEMBLY: "会议评议", Method.ONLINE: "线上评议"}


class GroupResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    group: ShortText  # e.g. 全体, 一期, 60 岁以上
    satisfied: Count  # 满意
    basically_satisfied: Count  # 基本满意
    dissatisfied: Count  # 不满意
    score_centi: Annotated[int, Field(ge=0, le=10_000, strict=True)] | None = None  # 0–100.00

    @property
    def respondents(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied


class EvaluationRound:
    class Opened(Body):
        kind: ClassVar[str] = "evaluation.opened"
        title_zh: ClassVar[str] = "发起评议"

        round_id: RecordId
        subject: Subject
        subject_ref: RecordId | None = None  # a project id when the subject is a project
        title: ShortText
        criteria: Annotated[list[ShortText], Field(min_length=1, max_length=20)]
        method: Method
        opened_on: Day

    class ResultsRecorded(Body):
        kind: ClassVar[str] = "evaluation.results_recorded"
        title_zh: ClassVar[str] = "登记评议结果"

        round_id: RecordId
        eligible: Annotated[Count, Field(gt=0)]
        groups: Annotated[list[GroupResult], Field(min_length=1, max_length=50)]
        closed_on: Day

    class ConsequenceRecorded(Body):
        kind: ClassVar[str] = "evaluation.consequence_recorded"
        title_zh: ClassVar[str] = "登记评议结果运用"

        round_id: RecordId
        consequence: Text
        decision_id: RecordId | None = None

    def __init__(self, event: Opened, index: int) -> None:
        if event.subject == Subject.PROJECT and event.subject_ref is None:
            raise InvalidInput("评议民需项目须填写项目编号 subject_ref", code="subject-ref-missing")
        self.id = event.round_id
        self.opened = event
        self.index = index
        self.results: EvaluationRound.ResultsRecorded | None = None
        self.consequence: EvaluationRound.ConsequenceRecorded | None = None

    def record_results(self, event: ResultsRecorded) -> None:
        if self.results is not None:
            raise Conflict(f"评议 {self.id} 的结果已登记", code="results-exist")
        for group in event.groups:
            if group.respondents < MIN_GROUP:
                raise RuleViolation(
                    f"分组“{group.group}”只有 {group.respondents} 人，少于 {MIN_GROUP} 人的分组"
                    "可能暴露个人意见，不能公开", code="group-too-small")
        names = [g.group for g in event.groups]
        if len(set(names)) != len(names):
            raise InvalidInput("分组名称重复", code="group-duplicate")
        if any(g.respondents > event.eligible for g in event.groups):
            raise InvalidInput("参评人数超过应参评人数", code="turnout-invalid")
        self.results = event

    def record_consequence(self, event: ConsequenceRecorded) -> None:
        if self.results is None:
            raise RuleViolation("须先登记评议结果，再登记结果运用", code="results-missing")
        if self.consequence is not None:
            raise Conflict(f"评议 {self.id} 的结果运用已登记", code="consequence-exists")
        self.consequence = event


def satisfaction_share(group: GroupResult) -> tuple[int, int]:
    """(满意 + 基本满意, 参评) as integers, for display as a percentage."""
    return group.satisfied + group.basically_satisfied, group.respondents
