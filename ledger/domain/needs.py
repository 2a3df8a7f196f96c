"""Residents' needs projects (民需项目): five steps, strictly in order, none dated before the
step before it.

精准发现 discover → 分类汇总 classify → 统筹设计 design → 联动实施 implement → 双向评估 evaluate.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ledger.domain.common import AmountFen, Body, Day, RecordId, Sha256Hex, ShortText, Text
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


class NeedsProject:
    class Discovered(Body):
        kind: ClassVar[str] = "project.discovered"
        title_zh: ClassVar[str] = "精准发现"

        project_id: RecordId
        title: ShortText
        description: Text
        estate_id: RecordId | None = None
        source: ShortText  # 走访、议事会、热线 …
        reporter_commitment: Sha256Hex | None = None  # private: who reported it
        discovered_on: Day

    class Classified(Body):
        kind: ClassVar[str] = "project.classified"
        title_zh: ClassVar[str] = "分类汇总"

        project_id: RecordId
        category: ShortText
        priority: Annotated[int, Field(ge=1, le=3, strict=True)] = 2  # 1 urgent … 3 routine
        note: Text | None = None
        classified_on: Day

    class Designed(Body):
        kind: ClassVar[str] = "project.designed"
        title_zh: ClassVar[str] = "统筹设计"

        project_id: RecordId
        plan: Text
        budget_fen: AmountFen
        decision_id: RecordId | None = None
        designed_on: Day

    class Implemented(Body):
        kind: ClassVar[str] = "project.implemented"
        title_zh: ClassVar[str] = "联动实施"

        project_id: RecordId
        summary: Text
        completed_on: Day

    class Evaluated(Body):
        kind: ClassVar[str] = "project.evaluated"
        title_zh: ClassVar[str] = "双向评估"

        project_id: RecordId
        summary: Text
        round_id: RecordId | None = None
        evaluated_on: Day

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
