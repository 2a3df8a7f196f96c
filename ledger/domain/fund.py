"""Community micro-funds (社区微基金): donations in, grants out, balances per restriction.

A donation is general or restricted to a purpose; a grant draws on one of those pools, needs a
passed decision that authorises it, and never exceeds what that pool holds. Donors are private:
the public record carries a salted commitment to who they are, and shows them anonymously unless
they consented to a masked name (张*). Organisations may be named.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import model_validator

from ledger.domain.common import (
    AmountFen,
    Body,
    Choice,
    Commitment,
    Day,
    DecisionRef,
    FundRef,
    Info,
    ProjectRef,
    RecordId,
    Sha256Hex,
    Shape,
    ShortText,
    Text,
)
from ledger.domain.decision import Decision, fmt_yuan
from ledger.domain.errors import Conflict, InvalidInput, RuleViolation
from ledger.domain.ids import Ids, MemoryIds
from ledger.domain.kept import Kept

GENERAL = "general"


class Channel(Choice):
    CASH = "cash", "现金"
    BANK_TRANSFER = "bank_transfer", "银行转账"
    WECHAT = "wechat", "微信"
    ALIPAY = "alipay", "支付宝"
    GOODS = "goods", "实物折价"  # in-kind, valued


CHANNEL_TITLES = {c: c.label for c in Channel}


class DonorType(Choice):
    PERSON = "person", "个人"
    ORGANISATION = "organisation", "单位"


class Display(Choice):
    ANONYMOUS = "anonymous", "匿名"
    MASKED = "masked", "遮蔽姓名（经本人同意）"
    NAMED = "named", "公开单位名称"

Restriction = Annotated[RecordId, Info(
    "资金性质", "general 为非定向；定向捐赠填捐赠人指定的用途名，如 elderly-care", shape=Shape.TEXT,
    example=GENERAL)]

_MASKED = re.compile(r"^[\u3400-\u9fffA-Za-z]\*{1,3}$")


class Fund:
    class Opened(Body):
        kind: ClassVar[str] = "fund.opened"
        title_zh: ClassVar[str] = "设立基金"

        fund_id: Annotated[RecordId, Info("基金编号", "本社区内唯一的基金编号", example="mf-1")]
        name: Annotated[ShortText, Info("基金名称", "基金的公开名称", example="幸福里社区微基金")]
        purpose: Annotated[Text, Info("宗旨", "基金的用途")]
        opened_on: Annotated[Day, Info("设立日期")]

    class DonationRecorded(Body):
        kind: ClassVar[str] = "fund.donation_recorded"
        title_zh: ClassVar[str] = "登记捐赠"

        fund_id: FundRef
        donation_id: Annotated[RecordId, Info("捐赠编号", "本基金内唯一的捐赠编号")]
        amount_fen: Annotated[AmountFen, Info("捐赠金额")]
        restriction: Restriction = GENERAL  # a purpose the donor restricted the gift to
        restriction_name: Annotated[ShortText | None, Info(
            "定向用途", "定向捐赠的用途，用中文写给居民看，如 儿童游乐区维护（非定向不填）",
            example="儿童游乐区维护")] = None
        channel: Annotated[Channel, Info("方式", "捐赠的收款方式")]
        receipt_no: Annotated[RecordId, Info("收据号", "开给捐赠人的收据编号，同一收据只能登记一次",
                                             example="SJ-0001")]
        received_on: Annotated[Day, Info("收款日期")]
        donor_type: Annotated[DonorType, Info("捐赠人类型", "个人或单位：个人不能公开全名")] = DonorType.PERSON
        # SHA-256(salt || canonical private donor data)
        donor_commitment: Annotated[Commitment, Info("捐赠人承诺值")]
        display: Annotated[Display, Info(
            "显示方式", "个人只能匿名或经书面同意后遮蔽姓名；单位可公开名称")] = Display.ANONYMOUS
        display_name: Annotated[ShortText | None, Info(
            "显示名称", "遮蔽姓名如 张*；公开单位填单位名称；匿名不填")] = None
        consent_sha256: Annotated[Sha256Hex | None, Info(
            "同意书哈希", "捐赠人签字同意遮蔽显示的同意书扫描件的 SHA-256")] = None
        note: Annotated[ShortText | None, Info("备注", "公开的补充说明（可不填），不要写个人信息")] = None

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

        fund_id: FundRef
        grant_id: Annotated[RecordId, Info("拨款编号", "本基金内唯一的拨款编号")]
        amount_fen: Annotated[AmountFen, Info("拨付金额")]
        restriction: Annotated[Restriction, Info(help="从哪部分资金拨付：general 为非定向，"
                                                      "或定向捐赠的用途名")] = GENERAL
        project_id: Annotated[ProjectRef | None, Info(help="资助的民需项目（可不填）")] = None
        purpose: Annotated[ShortText, Info("用途", "这笔拨款做什么，居民可见", example="楼道灯更换")]
        decision_id: DecisionRef
        granted_on: Annotated[Day, Info("拨付日期")]

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
        self.donations: Kept[Fund.DonationRecorded] = Kept(Fund.DonationRecorded.kind)
        self.grants: Kept[Fund.GrantMade] = Kept(Fund.GrantMade.kind)

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
