"""Community micro-funds (社区微基金): donations in, grants out, balances per restriction.

A donation is general or restricted to a purpose; a grant draws on one of those pools, needs a
passed decision that authorises it, and never exceeds what that pool holds. Donors are private:
the public record carries a salted commitment to who they are, and shows them anonymously unless
they consented to a masked name (张*). Organisations may be named.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import model_validator

from ledger.domain.common import AmountFen, Body, Day, RecordId, Sha256Hex, ShortText, Text
from ledger.domain.decision import Decision, fmt_yuan
from ledger.domain.errors import Conflict, InvalidInput, RuleViolation
from ledger.domain.ids import Ids, MemoryIds

GENERAL = "general"


class Channel(StrEnum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    GOODS = "goods"  # in-kind, valued


CHANNEL_TITLES = {
    Channel.CASH: "现金",
    Channel.BANK_TRANSFER: "银行转账",
    Channel.WECHAT: "微信",
    Channel.ALIPAY: "支付宝",
    Channel.GOODS: "实物折价",
}

_MASKED = re.compile(r"^[\u3400-\u9fffA-Za-z]\*{1,3}$")


class Fund:
    class Opened(Body):
        kind: ClassVar[str] = "fund.opened"
        title_zh: ClassVar[str] = "设立基金"

        fund_id: RecordId
        name: ShortText
        purpose: Text
        opened_on: Day

    class DonationRecorded(Body):
        kind: ClassVar[str] = "fund.donation_recorded"
        title_zh: ClassVar[str] = "登记捐赠"

        fund_id: RecordId
        donation_id: RecordId
        amount_fen: AmountFen
        restriction: RecordId = GENERAL  # a purpose the donor restricted the gift to
        channel: Channel
        receipt_no: RecordId
        received_on: Day
        donor_type: Literal["person", "organisation"] = "person"
        donor_commitment: Sha256Hex  # SHA-256(salt || canonical private donor data)
        display: Literal["anonymous", "masked", "named"] = "anonymous"
        display_name: ShortText | None = None
        consent_sha256: Sha256Hex | None = None  # hash of the donor's signed consent
        note: ShortText | None = None

        @model_validator(mode="after")
        def _display_rules(self) -> Fund.DonationRecorded:
            if self.display == "anonymous" and self.display_name is not None:
                raise ValueError("匿名捐赠不能填写显示名称")
            if self.display == "masked":
                if self.consent_sha256 is None:
                    raise ValueError("显示遮蔽姓名须有捐赠人同意书（consent_sha256）")
                if self.display_name is None or not _MASKED.match(self.display_name):
                    raise ValueError("遮蔽姓名应为姓加星号，如“张*”")
            if self.display == "named":
                if self.donor_type != "organisation":
                    raise ValueError("个人捐赠人不能公开全名，只能匿名或经同意后遮蔽显示")
                if self.display_name is None:
                    raise ValueError("公开单位名称须填写 display_name")
            return self

    class GrantMade(Body):
        kind: ClassVar[str] = "fund.grant_made"
        title_zh: ClassVar[str] = "拨付资助"

        fund_id: RecordId
        grant_id: RecordId
        amount_fen: AmountFen
        restriction: RecordId = GENERAL  # the pool the grant draws on
        project_id: RecordId | None = None
        purpose: ShortText
        decision_id: RecordId
        granted_on: Day

    def __init__(self, event: Opened, index: int, keep: bool = True, ids: Ids | None = None) -> None:
        """``keep``: keep every donation and grant for reading; the rules themselves need only
        their ids, kept in ``ids`` (an auditor's replay keeps memory small with ``keep=False``
        and an :class:`Ids` store of bounded memory)."""
        self.keep = keep
        self.ids: Ids = MemoryIds() if ids is None else ids
        self.id = event.fund_id
        self.opened = event
        self.index = index
        self.donated: dict[str, int] = {}
        self.granted: dict[str, int] = {}
        self.donations: dict[str, Fund.DonationRecorded] = {}
        self.grants: dict[str, Fund.GrantMade] = {}

    def available(self, restriction: str = GENERAL) -> int:
        return self.donated.get(restriction, 0) - self.granted.get(restriction, 0)

    @property
    def balance(self) -> int:
        return sum(self.donated.values()) - sum(self.granted.values())

    def record_donation(self, event: DonationRecorded) -> None:
        donation = ("donation", self.id, event.donation_id)
        taken = self.ids.claim(donation, ("receipt", self.id, event.receipt_no))
        if taken is donation:
            raise Conflict(f"捐赠编号 {event.donation_id} 已存在", code="id-exists")
        if taken is not None:
            raise Conflict(f"收据号 {event.receipt_no} 已登记过", code="receipt-reused")
        if self.keep:
            self.donations[event.donation_id] = event
        self.donated[event.restriction] = self.donated.get(event.restriction, 0) + event.amount_fen

    def make_grant(self, event: GrantMade, decision: Decision, project_ok: bool) -> None:
        grant = ("grant", self.id, event.grant_id)
        if self.ids.taken(grant):
            raise Conflict(f"拨款编号 {event.grant_id} 已存在", code="id-exists")
        if not project_ok:
            raise InvalidInput(f"民需项目 {event.project_id} 不存在或尚未完成设计",
                               code="project-not-ready")
        available = self.available(event.restriction)
        if event.amount_fen > available:
            pool = "非定向资金" if event.restriction == GENERAL else f"定向用途“{event.restriction}”"
            raise RuleViolation(
                f"{pool}余额不足：可用 {fmt_yuan(available)}，拟拨 {fmt_yuan(event.amount_fen)}",
                code="insufficient-balance")
        record = ("fund.grant_made", event.grant_id)
        position = decision.draw(type="grant", amount_fen=event.amount_fen, record=record,
                                 fund_id=self.id, project_id=event.project_id)
        decision.commit_draw(position, event.amount_fen, record)
        self.ids.add(grant)
        if self.keep:
            self.grants[event.grant_id] = event
        self.granted[event.restriction] = self.granted.get(event.restriction, 0) + event.amount_fen


def donor_display(donation: Fund.DonationRecorded) -> str:
    """The donor as the record allows the public to see them (the API and the portal both show
    this): anonymous unless they consented to a masked name, or an organisation chose to be named."""
    if donation.display == "anonymous" or donation.display_name is None:
        return "匿名捐赠人" if donation.donor_type == "person" else "匿名单位"
    return donation.display_name
