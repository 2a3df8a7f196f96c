"""The community (社区) and its estates (小区). The founding statement also admits the first
member, whose key founds the community."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from ledger.domain.catalogue import DEFAULT_ITEMS, CatalogueItem, Days
from ledger.domain.common import AmountFen, Body, Day, Info, RecordId, Shape, ShortText, Text
from ledger.domain.errors import Conflict, InvalidInput
from ledger.domain.member import PublicKey
from ledger.domain.policy import DEFAULT_PROPOSAL_DAYS, MAX_PROPOSAL_DAYS, Founding, Rule
from ledger.domain.roles import Role


class Community:
    """A community with its estates."""

    class Founded(Body):
        kind: ClassVar[str] = "community.founded"
        title_zh: ClassVar[str] = "社区建账"

        name: Annotated[ShortText, Info("社区名称", "如 幸福里社区", example="幸福里社区")]
        description: Annotated[Text | None, Info("说明", "社区简介（可不填）")] = None
        founder_id: Annotated[RecordId, Info("创始成员编号", "创始成员（主任）的成员编号",
                                             example="wang")]
        founder_name: Annotated[ShortText, Info("创始成员", "创始成员的公开称呼，如 王主任",
                                                example="王主任")]
        founder_public_key: Annotated[PublicKey, Info("创始成员公钥")]
        term_start: Annotated[Day, Info("任期开始")]
        term_end: Annotated[Day | None, Info("任期结束", "不填表示未定")] = None
        # What must be signed together from the founding on: "default" (the default policy of
        # the kinds registry). Absent in logs older than the policy: then one signature suffices
        # until the community's first community.policy_set.
        policy: Annotated[Founding | None, Info(
            "签署规则", "default：采用默认签署规则（拨付资助等须两人共同签署）")] = None

    class EstateAdded(Body):
        kind: ClassVar[str] = "community.estate_added"
        title_zh: ClassVar[str] = "登记小区"

        estate_id: Annotated[RecordId, Info("小区编号", "本社区内唯一的小区编号", example="xfl-1")]
        name: Annotated[ShortText, Info("小区名称", "小区的公开名称", example="幸福里一期")]
        households: Annotated[Annotated[int, Field(ge=0, le=1_000_000, strict=True)] | None,
                              Info("户数", "小区的住户数（可不填）", shape=Shape.INTEGER, example=800)] = None
        # the estate's first day in the ledger: its fee records may not be dated earlier
        # (default: the day of this statement; set it earlier to import older paper ledgers)
        added_on: Annotated[Day | None, Info(
            "建账日期", "该小区物业费记录的最早日期；不填为登记当天，导入旧台账时可提前")] = None

    class PolicySet(Body):
        """The community's signing policy from the next entry on (the whole list of rules)."""

        kind: ClassVar[str] = "community.policy_set"
        title_zh: ClassVar[str] = "设定签署规则"

        rules: Annotated[list[Rule], Field(max_length=64), Info("规则", "须共同签署的记录及签名人")]
        proposal_days: Annotated[int, Field(ge=1, le=MAX_PROPOSAL_DAYS, strict=True), Info(
            "待签期限（天）", f"签名不足的提案等待共同签署的天数，过期作废（默认 {DEFAULT_PROPOSAL_DAYS}）",
            shape=Shape.INTEGER, example=DEFAULT_PROPOSAL_DAYS)] = DEFAULT_PROPOSAL_DAYS
        note: Annotated[Text | None, Info("说明", "为何调整（可不填）")] = None

    class CatalogueSet(Body):
        """The community's disclosure catalogue (公开目录) and the audit views' thresholds from
        the next entry on (the whole list; see :mod:`ledger.domain.catalogue`)."""

        kind: ClassVar[str] = "community.disclosure_catalogue_set"
        title_zh: ClassVar[str] = "设定公开目录"

        items: Annotated[list[CatalogueItem], Field(min_length=1, max_length=30),
                         Info("公开目录", "须公开的事项及期限，每项一行")]
        recording_lag_days: Annotated[Days, Info(
            "补登期限（天）", "业务发生后超过多少天才登记的记录列入审计视图（不填为 30）")] = 30
        consequence_days: Annotated[Days, Info(
            "结果运用期限（天）", "评议结束后多少天内应登记结果运用（不填为 30）")] = 30
        project_step_days: Annotated[Days, Info(
            "项目每步期限（天）", "民需项目停留在同一步骤超过多少天视为停滞（不填为 60）")] = 60
        authorisation_days: Annotated[Days, Info(
            "授权有效期（天）", "决议的授权自会议之日起多少天内有效（不填为 90）")] = 90
        decision_threshold_fen: Annotated[AmountFen | None, Info(
            "集体决策金额", "单笔支出达到此金额应经会议决议，用于查找贴近或拆分的支出（不填为 2 万元）")] = 2_000_000
        note: Annotated[Text | None, Info("说明", "为何调整（可不填）")] = None

    def __init__(self, community_id: str, event: Founded) -> None:
        self.id = community_id
        self.name = event.name
        self.description = event.description
        self.estates: dict[str, Community.EstateAdded] = {}
        self.founder_role = Role.CHAIR

    def add_estate(self, event: EstateAdded) -> None:
        if event.estate_id in self.estates:
            raise Conflict(f"小区编号 {event.estate_id} 已存在", code="estate-exists")
        self.estates[event.estate_id] = event

    def require_estate(self, estate_id: str) -> EstateAdded:
        try:
            return self.estates[estate_id]
        except KeyError:
            raise InvalidInput(f"没有编号为 {estate_id} 的小区", code="estate-not-found") from None


class Catalogue:
    """The disclosure catalogue in force: the one a ``community.disclosure_catalogue_set`` set
    (``index``: that entry), or the default (``index`` None)."""

    def __init__(self, event: Community.CatalogueSet, index: int | None) -> None:
        ids = [item.item_id for item in event.items]
        if len(set(ids)) != len(ids):
            raise InvalidInput("公开目录中有重复的事项编号", code="catalogue-duplicate-item")
        self.set = event
        self.index = index


DEFAULT_CATALOGUE = Catalogue(Community.CatalogueSet(items=list(DEFAULT_ITEMS)), None)
"""In force until a community sets its own: finances monthly and quarterly by the 10th of the
next month, each decision within 20 working days of its meeting, each evaluation's results
within 20 working days of its closing; records entered more than 30 days late are listed; 30
days for an evaluation's consequence, 60 for a needs project's step, a decision's authorisations
valid 90 days from its meeting, and a single spend of 20,000 元 meant for a meeting's decision."""
