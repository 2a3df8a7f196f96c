"""Oversight (监督): an objection to a record or to a proposal, and its answer.

Any member in office (the 监督 first of all) may object to a record already in the log (named by
its log index) or to a proposal still waiting for signatures (named by its proposal id: the
service keeps proposals outside the log, so the ledger takes the id as given). The reason is
public text. An objection is answered once, by the 主任 or by the member who recorded the
record it concerns; both stay public. An objection to a proposal holds it until answered; an
objection left unanswered for more than :data:`ANSWER_WITHIN` working days is listed for the
auditors (working days on the mainland calendar, :mod:`ledger.domain.workdays`; a year that
calendar does not cover yet is refused, never guessed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from ledger.domain.common import Body, Day, Info, ProposalId, RecordId, Shape, Text, ref
from ledger.domain.dates import not_before
from ledger.domain.errors import Conflict, NotAuthorised
from ledger.domain.roles import Role
from ledger.domain.workdays import add_workdays, workdays_between

ANSWER_WITHIN = 15
"""Working days within which an objection is to be answered."""


class Oversight:
    """The objections of a community, raised and answered."""

    class ObjectionRaised(Body):
        kind: ClassVar[str] = "oversight.objection_raised"
        title_zh: ClassVar[str] = "提出异议"

        objection_id: Annotated[RecordId, Info("异议编号", "本社区内唯一的异议编号",
                                               example="YY-2025-01")]
        log_index: Annotated[Annotated[int, Field(ge=0, le=2**53 - 1, strict=True)] | None, Info(
            "所涉记录", "提出异议的记录在账本中的序号（记录页上的“日志第几条”）；"
                        "对待签提议提出异议时不填", shape=Shape.REF, ref="entry", example=0)] = None
        proposal_id: Annotated[ProposalId | None, Info(
            "所涉待签提议", "尚待共同签署的提议的编号；对已入账的记录提出异议时不填")] = None
        reason: Annotated[Text, Info("异议理由", "公开的理由，居民可见；不得含身份证号、手机号等个人信息")]
        raised_on: Annotated[Day, Info("提出日期")]

        @model_validator(mode="after")
        def _one_target(self) -> Self:
            if (self.log_index is None) == (self.proposal_id is None):
                raise ValueError("异议须指明所涉的一条记录（log_index）或一项待签提议（proposal_id），"
                                 "且只能指明其一")
            return self

    class ObjectionAnswered(Body):
        kind: ClassVar[str] = "oversight.objection_answered"
        title_zh: ClassVar[str] = "答复异议"

        objection_id: Annotated[RecordId, ref("objection", "异议", "所答复的异议的编号")]
        answer: Annotated[Text, Info("答复", "对异议的答复，居民可见")]
        answered_on: Annotated[Day, Info("答复日期")]


@dataclass
class Objection:
    """One objection and, once given, its answer."""

    raised: Oversight.ObjectionRaised
    index: int  # the log index of the objection
    raised_by: str  # the member who raised it
    recorder: str | None  # who recorded the record it concerns (None: a proposal)
    answered_index: int | None = None
    answered: Oversight.ObjectionAnswered | None = None

    @property
    def id(self) -> str:
        return self.raised.objection_id

    @property
    def open(self) -> bool:
        return self.answered is None

    def answer(self, event: Oversight.ObjectionAnswered, index: int, member_id: str,
               role: Role) -> None:
        """Records the answer given by ``member_id`` in ``role`` (the 主任, or the recorder of
        the concerned record); refuses a second answer."""
        if self.answered is not None:
            raise Conflict(f"异议 {self.id} 已于 {self.answered.answered_on} 答复（第 "
                           f"{self.answered_index} 条），不能再次答复", code="objection-answered")
        if role != Role.CHAIR and member_id != self.recorder:
            who = "主任或所涉记录的登记人" if self.recorder is not None else "主任"
            raise NotAuthorised(f"异议 {self.id} 须由{who}答复", code="not-the-answerer")
        not_before(event.answered_on, "answered_on", self.raised.raised_on, f"异议 {self.id} 的提出日期")
        self.answered, self.answered_index = event, index

    def due(self) -> date:
        """The last working day on which the answer is on time."""
        return add_workdays(date.fromisoformat(self.raised.raised_on), ANSWER_WITHIN)

    def overdue(self, today: date) -> bool:
        """Unanswered, and more than :data:`ANSWER_WITHIN` working days old on ``today``."""
        return self.open and overdue(self.raised.raised_on, today)


def overdue(raised_on: str, today: date) -> bool:
    """Whether an objection raised on ``raised_on`` (YYYY-MM-DD) and not answered is more than
    :data:`ANSWER_WITHIN` working days old on ``today``. Raises
    :class:`~ledger.domain.workdays.CalendarNotCovered` for a year whose holidays are not known."""
    return workdays_between(date.fromisoformat(raised_on), today) > ANSWER_WITHIN
