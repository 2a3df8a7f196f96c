"""Evaluation (评议): rounds, aggregate results, consequences.

Only aggregates are ever recorded, never a ballot, and no group smaller than five respondents:
a group that small could reveal how one person voted.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.common import (
    Body,
    Choice,
    Count,
    Day,
    DecisionRef,
    Info,
    ProjectRef,
    RecordId,
    RoundRef,
    Shape,
    ShortText,
    Text,
)
from ledger.domain.errors import Conflict, InvalidInput, RuleViolation

MIN_GROUP = 5


class Subject(Choice):
    RESIDENTS_COMMITTEE = "residents_committee", "居委会"
    OWNERS_COMMITTEE = "owners_committee", "业委会"
    PROPERTY_COMPANY = "property_company", "物业公司"
    PROJECT = "project", "民需项目"


SUBJECT_TITLES = {c: c.label for c in Subject}


class Method(Choice):
    QUESTIONNAIRE = "questionnaire", "问卷"
    ASSEMBLY = "assembly", "会议评议"
    ONLINE = "online", "线上评议"


METHOD_TITLES = {c: c.label for c in Method}


class Grouping(Choice):
    """How a result's groups relate to its respondents: only a partition may be totalled."""

    PARTITION = "partition", "互不重叠（如按小区分期），可以合计"
    OVERLAPPING = "overlapping", "有交叉（如按年龄段和按小区同时分组），不能合计"


class GroupResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    group: Annotated[ShortText, Info("分组", "如 全体、一期、60 岁以上", example="全体")]
    satisfied: Annotated[Count, Info("满意", "该组评“满意”的人数", example=60)]
    basically_satisfied: Annotated[Count, Info("基本满意", "该组评“基本满意”的人数", example=25)]
    dissatisfied: Annotated[Count, Info("不满意", "该组评“不满意”的人数", example=15)]
    score_centi: Annotated[Annotated[int, Field(ge=0, le=10_000, strict=True)] | None, Info(
        "得分", "百分制得分乘以 100 的整数：87.50 分写 8750（可不填）", shape=Shape.INTEGER,
        example=8750)] = None

    @property
    def respondents(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied


class Evaluation:
    class Opened(Body):
        kind: ClassVar[str] = "evaluation.opened"
        title_zh: ClassVar[str] = "发起评议"

        round_id: Annotated[RecordId, Info("评议编号", "本社区内唯一的评议编号",
                                           example="py-2025-01")]
        subject: Annotated[Subject, Info("评议对象", "评议谁：居委会、业委会、物业公司或民需项目")]
        subject_ref: Annotated[ProjectRef | None, Info(
            "评议项目", "评议对象为民需项目时必填：项目编号")] = None
        title: Annotated[ShortText, Info("评议名称", "评议的公开名称", example="2025 年度物业服务评议")]
        criteria: Annotated[list[ShortText], Field(min_length=1, max_length=20),
                            Info("评议内容", "评议的各项内容，如 服务态度、办事效率")]
        method: Annotated[Method, Info("评议方式", "如何收集意见")]
        opened_on: Annotated[Day, Info("开始日期")]

    class ResultsRecorded(Body):
        kind: ClassVar[str] = "evaluation.results_recorded"
        title_zh: ClassVar[str] = "登记评议结果"

        round_id: RoundRef
        eligible: Annotated[Count, Field(gt=0), Info("应参评人数", "有权参加评议的人数", example=120)]
        groups: Annotated[list[GroupResult], Field(min_length=1, max_length=50), Info(
            "结果（分组汇总）", "各分组的满意、基本满意、不满意人数；每组至少 5 人")]
        closed_on: Annotated[Day, Info("结束日期")]
        grouping: Annotated[Grouping | None, Info(
            "分组方式", "各分组是否互不重叠、合起来正好是全部参评人；不填则页面不合计各组")] = None

    class ConsequenceRecorded(Body):
        kind: ClassVar[str] = "evaluation.consequence_recorded"
        title_zh: ClassVar[str] = "登记评议结果运用"

        round_id: RoundRef
        consequence: Annotated[Text, Info("结果运用", "评议结果如何运用，如 与物业费挂钩")]
        decision_id: Annotated[DecisionRef | None, Info("决议", "据此作出的决议（可不填）")] = None

    def __init__(self, event: Opened, index: int) -> None:
        if event.subject == Subject.PROJECT and event.subject_ref is None:
            raise InvalidInput("评议民需项目须填写项目编号 subject_ref", code="subject-ref-missing")
        self.id = event.round_id
        self.opened = event
        self.index = index
        self.results: Evaluation.ResultsRecorded | None = None
        self.consequence: Evaluation.ConsequenceRecorded | None = None

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
        if (event.grouping == Grouping.PARTITION
                and sum(g.respondents for g in event.groups) > event.eligible):
            raise InvalidInput("各分组互不重叠时，参评人数合计不能超过应参评人数",
                               code="turnout-invalid")
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
