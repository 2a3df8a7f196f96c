"""Residents' needs projects (民需项目): five steps, strictly in order, none dated before the
step before it.

精准发现 discover → 分类汇总 classify → 统筹设计 design → 联动实施 implement → 双向评估 evaluate.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ledger.domain.common import (
    AmountFen,
    Body,
    Commitment,
    Day,
    DecisionRef,
    EstateRef,
    Info,
    ProjectRef,
    RecordId,
    RoundRef,
    Shape,
    ShortText,
    Text,
)
from ledger.domain.dates import not_before
from ledger.domain.errors import RuleViolation

STEPS = ("discovered", "classified", "designed", "implemented", "evaluated")
STEP_DAYS = {
    "discovered": "discovered_on",
    "classified": "classified_on",
    "designed": "designed_on",
    "implemented": "completed_on",
    "evaluated": "evaluated_on",
}
STEP_TITLES = {
    "discovered": "精准发现",
    "classified": "分类汇总",
    "designed": "统筹设计",
    "implemented": "联动实施",
    "evaluated": "双向评估",
}


class Project:
    class Discovered(Body):
        kind: ClassVar[str] = "project.discovered"
        title_zh: ClassVar[str] = "精准发现"

        project_id: Annotated[RecordId, Info("项目编号", "本社区内唯一的项目编号",
                                             example="mx-2025-01")]
        title: Annotated[ShortText, Info("项目名称", "项目的公开名称", example="加装楼道扶手")]
        description: Annotated[Text, Info("需求描述", "居民反映的需求，不要写个人信息")]
        estate_id: Annotated[EstateRef | None, Info(help="需求所在的小区（可不填）")] = None
        source: Annotated[ShortText, Info("来源", "如 走访、议事会、热线", example="走访")]
        # private: who reported it
        reporter_commitment: Annotated[Commitment | None, Info("反映人承诺值")] = None
        discovered_on: Annotated[Day, Info("发现日期")]

    class Classified(Body):
        kind: ClassVar[str] = "project.classified"
        title_zh: ClassVar[str] = "分类汇总"

        project_id: ProjectRef
        category: Annotated[ShortText, Info("分类", "需求的类别，如 适老化改造", example="适老化改造")]
        priority: Annotated[int, Field(ge=1, le=3, strict=True), Info(
            "优先级", "1 紧急、2 一般、3 常规（不填为一般）", shape=Shape.INTEGER,
            values=((1, "紧急"), (2, "一般"), (3, "常规")))] = 2
        note: Annotated[Text | None, Info("备注", "分类说明（可不填）")] = None
        classified_on: Annotated[Day, Info("分类日期")]

    class Designed(Body):
        kind: ClassVar[str] = "project.designed"
        title_zh: ClassVar[str] = "统筹设计"

        project_id: ProjectRef
        plan: Annotated[Text, Info("方案", "实施方案：做什么、谁来做、何时完成")]
        budget_fen: Annotated[AmountFen, Info("预算")]
        decision_id: Annotated[DecisionRef | None, Info("决议", "批准方案的决议（可不填）")] = None
        designed_on: Annotated[Day, Info("设计日期")]

    class Implemented(Body):
        kind: ClassVar[str] = "project.implemented"
        title_zh: ClassVar[str] = "联动实施"

        project_id: ProjectRef
        summary: Annotated[Text, Info("实施小结", "做了什么，结果如何")]
        completed_on: Annotated[Day, Info("完成日期")]

    class Evaluated(Body):
        kind: ClassVar[str] = "project.evaluated"
        title_zh: ClassVar[str] = "双向评估"

        project_id: ProjectRef
        summary: Annotated[Text, Info("评估小结", "居民和实施方双向评估的结论")]
        round_id: Annotated[RoundRef | None, Info(help="相关的评议（可不填）")] = None
        evaluated_on: Annotated[Day, Info("评估日期")]

    def __init__(self, event: Discovered, index: int) -> None:
        self.id = event.project_id
        self.discovered = event
        self.steps: dict[str, tuple[int, Body]] = {"discovered": (index, event)}
        self.grants: list[str] = []

    @property
    def step(self) -> str:
        return STEPS[len(self.steps) - 1]

    def advance(self, step: str, event: Body, index: int) -> None:
        expected = STEPS[len(self.steps)] if len(self.steps) < len(STEPS) else None
        if step != expected:
            if expected is None:
                raise RuleViolation(f"项目 {self.id} 五个步骤均已完成", code="project-complete")
            raise RuleViolation(
                f"项目 {self.id} 当前处于“{STEP_TITLES[self.step]}”，下一步应为"
                f"“{STEP_TITLES[expected]}”，不能跳到“{STEP_TITLES[step]}”",
                code="step-out-of-order")
        previous = self.step
        not_before(getattr(event, STEP_DAYS[step]), STEP_DAYS[step], self.day(previous),
                   f"上一步“{STEP_TITLES[previous]}”的日期")
        self.steps[step] = (index, event)

    def day(self, step: str) -> str:
        """The date of a step taken (YYYY-MM-DD)."""
        day: str = getattr(self.steps[step][1], STEP_DAYS[step])
        return day

    @property
    def accepts_grants(self) -> bool:
        return self.step in ("designed", "implemented")
