"""幸福里社区: a realistic, fictional community with a year of every record kind.

Everything goes through the same signed path as real use: each member has an Ed25519 key,
signs canonical statements, and the ledger checks and logs them. The clock is simulated so the
year 2025 is recorded as it would have been, day by day. Deterministic: the same log, byte for
byte, on every run (keys and salts are derived from fixed seeds; no randomness from the OS).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledger.application import Sunlight
from ledger.domain.catalogue import DEFAULT_ITEMS
from ledger.domain.errors import DomainError
from ledger.domain.kinds import DEFAULT_POLICY
from ledger.domain.roles import Role
from ledger.proposals import Proposal, Proposals
from ledger.replay import read_entry
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission

# Said wherever the demo prints: its keys and salts are derived from seeds anyone can read here.
NOTICE = ("演示数据：成员密钥、日志密钥与盐值均由公开种子生成，任何人都能算出，切勿用于真实社区"
          "（demo data: keys and salts come from public seeds; never use them for a real community）")

COMMUNITY = "xingfuli"
ORIGIN = "sunlight.example/xingfuli"
YEAR = 2025
ESTATES = {"xfl-1": ("幸福里一期", 620), "xfl-2": ("幸福里二期", 480)}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "明", "敏", "强", "桂兰", "志强", "丽", "海燕", "伟", "芳", "军", "静",
         "磊", "洋", "娟", "涛", "玉梅", "德华", "淑珍"]


def demo_seed(label: str) -> bytes:
    return hashlib.sha256(f"sunlight-demo/{label}".encode()).digest()


def demo_key(member_id: str) -> MemberKey:
    return MemberKey.from_seed(demo_seed(f"member/{member_id}"))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


class DemoWriter:
    """Signs and submits statements as the demo's members, on a simulated clock."""

    def __init__(self, app: Sunlight, community_id: str, origin: str, name: str = "幸福里社区"
                 ) -> None:
        self.app = app
        self.community_id = community_id
        self.origin = origin
        self.name = name
        self.clock = _Clock(datetime(YEAR - 1, 12, 20, 1, 0, tzinfo=UTC))
        self.keys: dict[str, MemberKey] = {}
        self.rng = random.Random(20250101)
        # 幸福里 is the same to the byte on every run; another community of the same database
        # (a district: bench/district.py, the district portal's tests) gets its own figures
        # (:meth:`varied`) and its own salts (a salt any community of the database has used is
        # refused).
        self.own = community_id == COMMUNITY
        self.vary = random.Random(f"demo/{community_id}")
        self.salt_prefix = "salt/" if self.own else f"salt/{community_id}/"
        self.salt_counter = 0
        self.pending: list[tuple[datetime, int, str | tuple[str, ...], str, dict[str, Any],
                                 tuple[PrivateRecord, ...], Callable[[], None] | None]] = []
        self.proposed: set[int] = set()  # the queue positions that are proposals

    def at(self, day: date, hour: int = 10) -> None:
        # Asia/Shanghai office hours -> UTC
        self.clock.now = datetime(day.year, day.month, day.day, hour - 8, self.rng.randrange(60),
                                  tzinfo=UTC)

    def record(self, member: str | tuple[str, ...], kind: str, body: dict[str, Any],
               private: tuple[PrivateRecord, ...] = (),
               then: Callable[[], None] | None = None) -> None:
        """Queues a statement at the current simulated time; :meth:`flush` records the queue
        in time order, as the committee would have over the month. ``member``: the signer, or
        the members who sign it together (where the signing policy asks for two)."""
        self.clock.now += timedelta(seconds=37)
        self.pending.append((self.clock.now, len(self.pending), member, kind, body, private,
                             then))

    def propose(self, member: str, kind: str, body: dict[str, Any]) -> None:
        """Queues a statement signed by fewer members than the policy asks for: kept as a
        proposal (``ledger.proposals``), not in the log."""
        self.proposed.add(len(self.pending))
        self.record(member, kind, body)

    def flush(self) -> None:
        for at, n, member, kind, body, private, then in sorted(
                self.pending, key=lambda p: (p[0], p[1])):
            self.clock.now = at
            first, *others = (member,) if isinstance(member, str) else member
            signed = self.keys[first].sign(Statement(self.community_id, kind, at, body))
            submission = Submission(signed.statement, signed.signature, signed.key_id, private)
            for other in others:
                submission = self.keys[other].cosign(submission)
            if n in self.proposed:
                kept = Proposals(self.app).propose(submission)
                assert isinstance(kept, Proposal), kept
            elif kind == "community.founded":
                # The demo's log key comes from a public seed, kept in the database: demo only.
                self.app.found([submission], origin=self.origin,
                               key_seed=demo_seed(f"log/{self.community_id}"))
            else:
                self.app.submit(submission)
            if then is not None:
                then()
        self.pending.clear()
        self.proposed.clear()
        # As the service does before every proposal command and read: proposals past their
        # time expire (by the demo's clock), their private data erased.
        Proposals(self.app).expire()

    def index_of(self, kind: str, **fields: Any) -> int:
        """The log index of the recorded ``kind`` whose body has ``fields``."""
        for index, data in self.app.entries(self.community_id):
            _, st = read_entry(data)
            if st.kind == kind and all(st.body.get(k) == v for k, v in fields.items()):
                return index
        raise LookupError(f"no {kind} with {fields}")

    def varied(self, n: int, other: range | None = None) -> int:
        """A draw from the demo's sequence, ``randrange(n)``: exactly it for 幸福里; another
        community takes its own draw from ``other`` (default ``range(n)``) and still consumes
        the sequence, so every later record is the one that keeps the rules."""
        drawn = self.rng.randrange(n)
        return drawn if self.own else self.vary.choice(other or range(n))

    def private(self, data: dict[str, str]) -> PrivateRecord:
        self.salt_counter += 1
        return PrivateRecord.commit(data, demo_seed(f"{self.salt_prefix}{self.salt_counter}"))

    def person(self) -> tuple[str, str]:
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        phone = "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789")
                                                      for _ in range(9))
        return name, phone


def build_demo(app: Sunlight, community_id: str = COMMUNITY, origin: str | None = None,
               name: str | None = None) -> None:
    """Records the year 2025 of 幸福里社区 into ``app`` (which must not hold the community yet).

    Under another ``community_id`` (and ``name``) the same year is recorded with that
    community's own figures (amounts, turnout, satisfaction) and salts, so that many
    communities can share one database."""
    w = DemoWriter(app, community_id, origin or (ORIGIN if community_id == COMMUNITY
                                                 else f"sunlight.example/{community_id}"),
                   name or "幸福里社区")
    saved_clock = app.clock
    app.clock = w.clock
    try:
        _committee(w)
        w.flush()
        months: list[Callable[[DemoWriter, int], None]] = [_fees, _funds, _meetings, _disclosures]
        _january(w)
        w.flush()
        for month in range(1, 13):
            for step in months:
                step(w, month)
            _projects(w, month)
            _stalled_project(w, month)
            _evaluations(w, month)
            _membership_changes(w, month)
            _oversight(w, month)
            w.flush()
    finally:
        app.clock = saved_clock


def members_in_office(app: Sunlight, community_id: str = COMMUNITY) -> list[dict[str, str]]:
    """The demo members in office now, each with the public seed of their current key: the
    demo's console imports one into the browser to act as that member."""
    out = []
    for member_id, (name, role) in MEMBERS.items():
        for label in (f"member/{member_id}/2", f"member/{member_id}"):
            seed = demo_seed(label)
            try:
                app.member_in_office(community_id, MemberKey.from_seed(seed).key_id)
            except DomainError:
                continue
            out.append({"member_id": member_id, "name": name, "role": role,
                        "role_zh": Role(role).label, "seed": seed.hex()})
            break
    return out


# --- the committee --------------------------------------------------------------------------

MEMBERS = {
    "wang": ("王建国", "chair"),
    "li": ("李秀英", "member"),
    "chen": ("陈明", "treasurer"),
    "zhao": ("赵敏", "supervisor"),
    "liu": ("刘强", "member"),
}


def _committee(w: DemoWriter) -> None:
    w.at(date(YEAR - 1, 12, 20))
    for member_id in MEMBERS:
        w.keys[member_id] = demo_key(member_id)
    wang = w.keys["wang"]
    w.record("wang", "community.founded", {
        "name": w.name,
        "description": f"{w.name}居民委员会辖两个小区，共约一千一百户。本门户公开居务、微基金、物业费、"
                       "决议与评议的全部记录，每一条都由登记人签名，任何人都可以核验。"
                       "演示数据：本社区为虚构，成员密钥、日志密钥与盐值均由公开种子生成，"
                       "切勿用于真实社区。",  # the portal's home page shows it
        "founder_id": "wang", "founder_name": MEMBERS["wang"][0],
        "founder_public_key": wang.public_b64, "term_start": "2024-01-01",
        "term_end": "2028-12-31", "policy": "default"})
    for estate_id, (name, households) in ESTATES.items():
        w.record("wang", "community.estate_added",
                 {"estate_id": estate_id, "name": name, "households": households})
    cosigner = {"zhao": "li", "liu": "zhao"}  # from three members in office on, two sign
    for member_id, (name, role) in MEMBERS.items():
        if member_id == "wang":
            continue
        w.record(("wang", cosigner[member_id]) if member_id in cosigner else "wang", "member.admitted", {
            "member_id": member_id, "name": name, "role": role,
            "public_key": w.keys[member_id].public_b64, "term_start": "2024-01-01",
            "term_end": "2028-12-31"})


def _membership_changes(w: DemoWriter, month: int) -> None:
    if month == 6:
        # The treasurer's phone was replaced: a new key, the old one retired.
        w.at(date(YEAR, 6, 3))
        new_key = MemberKey.from_seed(demo_seed("member/chen/2"))
        w.record("wang", "member.key_rotated",
                 {"member_id": "chen", "public_key": new_key.public_b64,
                  "reason": "更换手机，旧密钥停用"},
                 then=lambda: w.keys.__setitem__("chen", new_key))
    if month == 9:
        w.at(date(YEAR, 9, 1))
        w.record(("wang", "zhao"), "member.role_assigned", {"member_id": "li", "role": "treasurer"})
        w.record(("wang", "zhao"), "member.role_assigned", {"member_id": "li", "role": "member"})
    if month == 10:
        w.at(date(YEAR, 10, 8))
        w.record(("wang", "zhao"), "member.revoked", {"member_id": "liu",
                                            "reason": "因工作调动辞去委员职务，经居民代表会议同意。"})
    if month == 12:
        w.at(date(YEAR, 12, 29))
        w.record("wang", "member.term_set", {"member_id": "zhao", "term_start": "2024-01-01",
                                             "term_end": "2026-12-31"})
        # The year's last record: retracting a disclosure now needs the 主任 and the 监督 too.
        w.at(date(YEAR, 12, 30))
        rules = [r.model_dump(mode="json", exclude_none=True) for r in DEFAULT_POLICY]
        w.record(("wang", "zhao"), "community.policy_set", {
            "rules": [*rules, {"kind": "disclosure.retracted", "seats": [["chair"], ["supervisor"]]}],
            "note": "经 12 月居民代表会议同意：撤回已公开的事项须主任和监督共同签署。"})


def _oversight(w: DemoWriter, month: int) -> None:
    """The 监督 objects to the over-budget elevator repair and the 主任 answers seven working days
    later; a member's objection to an October spend is still unanswered at the year's end (the
    审计 page lists it as overdue). The times are set without the random minutes of
    :meth:`DemoWriter.at`, so that the rest of the year stays as it was."""
    if month == 9:
        spend = w.index_of("fee.spend_recorded", spend_id=f"xfl-1-elevators-{YEAR}08-major")
        w.clock.now = datetime(YEAR, 9, 3, 2, 5, tzinfo=UTC)  # 10:05 Beijing time
        w.record("zhao", "oversight.objection_raised", {
            "objection_id": f"YY{YEAR}-01", "log_index": spend,
            "reason": "3 号楼电梯曳引机更换超出年度预算，先支出、后修订预算。请公开三家比价材料和"
                      "验收报告，并说明为何未等预算修订后再支出。",
            "raised_on": f"{YEAR}-09-03"})
        w.clock.now = datetime(YEAR, 9, 12, 8, 20, tzinfo=UTC)  # 16:20 Beijing time
        w.record("wang", "oversight.objection_answered", {
            "objection_id": f"YY{YEAR}-01",
            "answer": "曳引机故障导致停梯，须立即抢修；8 月业主大会已先行决议授权这笔支出，9 月按同一决议"
                      "修订了预算。三家比价材料和验收报告已放在居委会，居民可随时查阅，并将随 9 月收支"
                      "公示一并公开。",
            "answered_on": f"{YEAR}-09-12"})
    if month == 11:
        spend = w.index_of("fee.spend_recorded", spend_id=f"xfl-2-greening-{YEAR}10")
        w.clock.now = datetime(YEAR, 11, 27, 1, 40, tzinfo=UTC)  # 09:40 Beijing time
        w.record("li", "oversight.objection_raised", {
            "objection_id": f"YY{YEAR}-02", "log_index": spend,
            "reason": "10 月二期绿化服务费未附作业记录，请说明当月修剪、补植的范围和验收情况。",
            "raised_on": f"{YEAR}-11-27"})


# --- January: budgets, work-item list, funds ---------------------------------------------------

BUDGET = {  # yuan per year, per estate
    "xfl-1": {"cleaning": 360_000, "security": 420_000, "greening": 120_000, "repairs": 150_000,
              "elevators": 96_000, "utilities": 80_000},
    "xfl-2": {"cleaning": 280_000, "security": 330_000, "greening": 90_000, "repairs": 120_000,
              "elevators": 72_000, "utilities": 60_000},
}


def _january(w: DemoWriter) -> None:
    w.at(date(YEAR, 1, 2))
    for estate_id, lines in BUDGET.items():
        w.record("chen", "fee.budget_set", {
            "estate_id": estate_id, "year": YEAR,
            "lines": [{"category": c, "amount_fen": yuan * 100} for c, yuan in lines.items()],
            "note": f"{YEAR} 年度物业服务预算，经业主大会审议通过。"})
    w.record("li", "disclosure.published", {
        "disclosure_id": f"D{YEAR}-WORK", "category": "work_items", "period": str(YEAR),
        "title": f"{YEAR} 年社区工作事项准入清单",
        "body": "依据区民政局下发的准入清单，本年度社区承接工作事项共 38 项，其中：\n"
                "1. 居民服务类 16 项（养老、助残、托育等）；\n2. 基层治理类 12 项；\n"
                "3. 协助政府工作类 10 项。\n未列入清单的事项，社区有权拒绝承接。",
        "attachments": [{"name": "准入清单.pdf", "sha256": sha("work-items-2025"),
                         "media_type": "application/pdf"}]})
    # What must be disclosed by when: the default catalogue, adopted as the community's own.
    w.record("wang", "community.disclosure_catalogue_set", {
        "items": [i.model_dump(mode="json", exclude_none=True) for i in DEFAULT_ITEMS],
        "note": "经 1 月居民代表会议讨论，按街道要求确定本年度公开目录和期限。"})
    w.record("chen", "fund.opened", {
        "fund_id": "xfl-fund", "name": "幸福里社区微基金",
        "purpose": "接受企业、单位、爱心人士和居民捐赠，资助社区小微项目，补充预算不足。",
        "opened_on": f"{YEAR}-01-02"})
    w.record("chen", "fund.opened", {
        "fund_id": "elder-meals", "name": "长者助餐基金",
        "purpose": "专门用于社区长者食堂的餐费补贴。", "opened_on": f"{YEAR}-01-02"})


# --- monthly records -------------------------------------------------------------------------

VENDORS = {
    "cleaning": "洁雅保洁服务有限公司", "security": "安盾物业秩序维护有限公司",
    "greening": "绿源园林绿化工程有限公司", "repairs": "邻里维修服务部",
    "elevators": "迅达电梯维保分公司", "utilities": "国网供电公司",
}


def _fees(w: DemoWriter, month: int) -> None:
    if month == 9:
        # The August assembly's elevator repair is added to the year's budget.
        w.at(date(YEAR, 9, 2))
        lines = dict(BUDGET["xfl-1"], elevators=BUDGET["xfl-1"]["elevators"] + 130_000)
        w.record(("chen", "wang", "zhao"), "fee.budget_set", {  # a revision: 主任 and 监督 sign
            "estate_id": "xfl-1", "year": YEAR,
            "lines": [{"category": c, "amount_fen": yuan * 100} for c, yuan in lines.items()],
            "note": "调整预算：电梯类追加 13 万元，依据 8 月业主大会决议 R2025-08-1。",
            "decision_id": f"R{YEAR}-08-1"})
    w.at(date(YEAR, month, 5))
    for estate_id, (_name, households) in ESTATES.items():
        w.record("chen", "fee.income_recorded", {
            "estate_id": estate_id, "income_id": f"{estate_id}-fee-{YEAR}{month:02d}",
            "source": "property_fee", "period": f"{YEAR}-{month:02d}",
            "amount_fen": households * 21_000 * (96 + w.varied(4, range(-6, 4))) // 100,
            "received_on": f"{YEAR}-{month:02d}-05"})
        w.record("chen", "fee.income_recorded", {
            "estate_id": estate_id, "income_id": f"{estate_id}-park-{YEAR}{month:02d}",
            "source": "parking", "period": f"{YEAR}-{month:02d}",
            "amount_fen": (1_800_000 if estate_id == "xfl-1" else 1_200_000)
            + w.varied(90_000, range(-600_000, 400_000)),
            "received_on": f"{YEAR}-{month:02d}-05", "note": "地面临时停车收益"})
        if month % 3 == 0:
            w.record("chen", "fee.income_recorded", {
                "estate_id": estate_id, "income_id": f"{estate_id}-ad-{YEAR}Q{month // 3}",
                "source": "advertising", "period": f"{YEAR}-Q{month // 3}",
                "amount_fen": 900_000, "received_on": f"{YEAR}-{month:02d}-05",
                "note": "电梯轿厢广告位租赁"})
        w.at(date(YEAR, month, 25))
        for category, yuan in BUDGET[estate_id].items():
            if category == "elevators" and month == 8 and estate_id == "xfl-1":
                continue  # the big repair below
            monthly = yuan * 100 // 12
            amount = monthly * (90 + w.varied(10, range(-18, 10))) // 100
            big = amount >= SPEND_COSIGNED_FROM
            w.record(("chen", "wang") if big else "chen", "fee.spend_recorded", {
                "estate_id": estate_id, "spend_id": f"{estate_id}-{category}-{YEAR}{month:02d}",
                "category": category, "vendor": VENDORS[category], "amount_fen": amount,
                "invoice_sha256": sha(f"invoice/{estate_id}/{category}/{month}"),
                "spent_on": f"{YEAR}-{month:02d}-25",
                "description": f"{month} 月{_CATEGORY_ZH[category]}服务费"})
    if month == 10:
        # Two small elevator repairs in one week, each under the co-signing threshold, and a
        # disinfection bill entered twice on two scans (the audit views list both).
        for day, amount, what in ((9, 260_000, "电梯门机维修"), (13, 250_000, "电梯光幕更换")):
            w.at(date(YEAR, 10, day))
            w.record("chen", "fee.spend_recorded", {
                "estate_id": "xfl-1", "spend_id": f"xfl-1-elevators-{YEAR}10{day:02d}",
                "category": "elevators", "vendor": VENDORS["elevators"], "amount_fen": amount,
                "invoice_sha256": sha(f"invoice/xfl-1/elevators/10-{day}"),
                "spent_on": f"{YEAR}-10-{day:02d}", "description": f"3 号楼{what}"})
        for day in (14, 17):
            w.at(date(YEAR, 10, day))
            w.record("chen", "fee.spend_recorded", {
                "estate_id": "xfl-1", "spend_id": f"xfl-1-cleaning-{YEAR}10{day:02d}",
                "category": "cleaning", "vendor": VENDORS["cleaning"], "amount_fen": 128_000,
                "invoice_sha256": sha(f"invoice/xfl-1/disinfection/10-{day}"),
                "spent_on": f"{YEAR}-10-{day:02d}", "description": "秋季楼道消杀"})
    if month == 12:
        # The elevator repair's last payment, on the August decision after its 90 days.
        w.at(date(YEAR, 12, 10))
        w.record("chen", "fee.spend_recorded", {
            "estate_id": "xfl-1", "spend_id": f"xfl-1-elevators-{YEAR}12-final",
            "category": "elevators", "vendor": VENDORS["elevators"], "amount_fen": 150_000,
            "invoice_sha256": sha("invoice/xfl-1/elevator-major/final"),
            "spent_on": f"{YEAR}-12-10", "decision_id": f"R{YEAR}-08-1",
            "description": "3 号楼电梯曳引机更换尾款"})
    if month == 8:
        w.at(date(YEAR, 8, 28))
        w.record(("chen", "zhao"), "fee.spend_recorded", {
            "estate_id": "xfl-1", "spend_id": f"xfl-1-elevators-{YEAR}08-major",
            "category": "elevators", "vendor": VENDORS["elevators"], "amount_fen": 12_800_000,
            "invoice_sha256": sha("invoice/xfl-1/elevator-major"),
            "spent_on": f"{YEAR}-08-28", "decision_id": f"R{YEAR}-08-1",
            "description": "3 号楼电梯曳引机更换（超出年度预算，经业主大会决议授权）"})


SPEND_COSIGNED_FROM = 5_000_00  # fen: the default policy's threshold for a second signature

_CATEGORY_ZH = {"cleaning": "保洁", "security": "秩序维护", "greening": "绿化", "repairs": "维修",
                "elevators": "电梯维保", "utilities": "公共能耗"}

ORG_DONORS = ["幸福里便民超市", "城南社区卫生服务中心", "安居房地产经纪公司", "晨光幼儿园"]


def _funds(w: DemoWriter, month: int) -> None:
    for n in range(5):
        day = date(YEAR, month, 3 + n * 5)
        w.at(day, 15)
        name, phone = w.person()
        fund, restriction = ("elder-meals", "general") if n == 4 else (
            "xfl-fund", "playground" if n == 2 and month <= 6 else "general")
        donation_id = f"DN{YEAR}{month:02d}{n + 1:02d}"
        body: dict[str, Any] = {
            "fund_id": fund, "donation_id": donation_id,
            "amount_fen": w.rng.choice([5_000, 10_000, 20_000, 50_000, 100_000, 200_000])
            + (0 if w.own else w.vary.choice([0, 0, 5_000, 10_000, 30_000])),  # more: grants hold
            "restriction": restriction, "channel": w.rng.choice(["wechat", "cash", "bank_transfer"]),
            "receipt_no": f"SJ{YEAR}{month:02d}{n + 1:03d}", "received_on": day.isoformat()}
        if restriction == "playground":
            body["restriction_name"] = "儿童游乐区改造"
        if n == 0:
            org = ORG_DONORS[month % len(ORG_DONORS)]
            record = w.private({"name": org, "contact": "对公账户"})
            body |= {"donor_type": "organisation", "display": "named", "display_name": org,
                     "amount_fen": 500_000}
        else:
            record = w.private({"name": name, "phone": phone})
            if n % 2 == 1:
                body |= {"display": "masked", "display_name": name[0] + "*",
                         "consent_sha256": sha(f"consent/{donation_id}")}
        body["donor_commitment"] = record.commitment
        w.record("chen", "fund.donation_recorded", body, (record,))
    if month == 9:
        # 陈明 proposed the quarter's grant a day early with a wrong amount; 王建国 did not
        # co-sign it, the corrected grant was recorded the next day, and the proposal expired.
        # 16:10 in Shanghai, set without a draw from the demo's random numbers: every other
        # record stays as it was.
        w.clock.now = datetime(YEAR, 9, 25, 8, 10, tzinfo=UTC)
        w.propose("chen", "fund.grant_made", {
            "fund_id": "xfl-fund", "grant_id": f"G{YEAR}Q3-draft", "amount_fen": 280_000,
            "restriction": "general", "project_id": "P03",
            "purpose": PROJECTS["P03"][0] + "（项目资助，金额待核）", "decision_id": f"R{YEAR}-09-1",
            "granted_on": f"{YEAR}-09-25"})
    if month % 3 == 0:
        w.at(date(YEAR, month, 26), 14)
        q = month // 3
        project = {1: "P01", 2: "P02", 3: "P03", 4: "P04"}[q]
        w.record(("chen", "wang"), "fund.grant_made", {
            "fund_id": "xfl-fund", "grant_id": f"G{YEAR}Q{q}", "amount_fen": 300_000,
            "restriction": "general", "project_id": project,
            "purpose": PROJECTS[project][0] + "（项目资助）", "decision_id": f"R{YEAR}-{month:02d}-1",
            "granted_on": f"{YEAR}-{month:02d}-26"})
        w.record(("chen", "wang"), "fund.grant_made", {
            "fund_id": "elder-meals", "grant_id": f"G{YEAR}Q{q}-meals", "amount_fen": 150_000,
            "purpose": f"第 {q} 季度长者食堂餐费补贴", "decision_id": f"R{YEAR}-{month:02d}-1",
            "granted_on": f"{YEAR}-{month:02d}-26"})
    if month == 5:
        # A paper receipt from March, found in May and entered then.
        w.at(date(YEAR, 5, 13), 15)
        record = w.private({"name": "幸福里退休教师合唱团", "contact": "现金"})
        w.record("chen", "fund.donation_recorded", {
            "fund_id": "xfl-fund", "donation_id": f"DN{YEAR}03-paper", "amount_fen": 80_000,
            "channel": "cash", "receipt_no": f"SJ{YEAR}03-P01", "received_on": f"{YEAR}-03-08",
            "donor_type": "organisation", "display": "named", "display_name": "幸福里退休教师合唱团",
            "donor_commitment": record.commitment, "note": "三八节义演捐款，纸质收据补登"}, (record,))
    if month == 9:
        # Paid from the playground gift for another purpose (the audit views list it).
        w.record(("chen", "wang"), "fund.grant_made", {
            "fund_id": "xfl-fund", "grant_id": f"G{YEAR}-mid-autumn", "amount_fen": 200_000,
            "restriction": "playground", "purpose": "中秋游园活动物料",
            "decision_id": f"R{YEAR}-09-1", "granted_on": f"{YEAR}-09-26"})
    if month == 6:
        w.record(("chen", "wang"), "fund.grant_made", {
            "fund_id": "xfl-fund", "grant_id": f"G{YEAR}-playground", "amount_fen": 30_000,
            "restriction": "playground", "purpose": "儿童游乐区地垫更换（定向捐赠）",
            "decision_id": f"R{YEAR}-06-1", "granted_on": f"{YEAR}-06-26"})


def _meetings(w: DemoWriter, month: int) -> None:
    day = date(YEAR, month, 20)
    w.at(day, 19)
    assembly = month % 3 == 0 or month == 8
    meeting_id = f"M{YEAR}-{month:02d}"
    eligible = 45 if assembly else 5
    present = eligible - w.rng.randrange(3 if assembly else 1) - (4 if assembly else 0)
    w.record("li", "decision.meeting_held", {
        "meeting_id": meeting_id,
        "body": "owners_assembly" if month == 8 else "residents_assembly" if assembly
        else "residents_committee",
        "title": f"{YEAR} 年 {month} 月{'居民代表会议' if assembly else '居委会例会'}",
        "held_on": day.isoformat(), "attendance": {"eligible": eligible, "present": present},
        "minutes_sha256": sha(f"minutes/{meeting_id}")})
    votes_for = present - 2 if present > 4 else present
    authorises: list[dict[str, Any]] = []
    resolution = "同意本月居务公开内容及财务收支情况。"
    agenda = "审议本月居务与财务公开"
    if month % 3 == 0:
        q = month // 3
        project = {1: "P01", 2: "P02", 3: "P03", 4: "P04"}[q]
        agenda = f"审议第 {q} 季度微基金资助方案"
        resolution = (f"同意从社区微基金拨付 3,000 元资助“{PROJECTS[project][0]}”，"
                      f"从长者助餐基金拨付 1,500 元补贴长者食堂。")
        authorises = [{"type": "grant", "fund_id": "xfl-fund", "project_id": project,
                       "cap_fen": 300_000},
                      {"type": "grant", "fund_id": "elder-meals", "cap_fen": 150_000}]
        if month == 6:
            authorises.append({"type": "grant", "fund_id": "xfl-fund", "cap_fen": 30_000})
            resolution += "同意使用定向捐赠 300 元更换儿童游乐区地垫。"
        if month == 9:
            authorises.append({"type": "grant", "fund_id": "xfl-fund", "cap_fen": 200_000})
            resolution += "同意从微基金拨付 2,000 元购置中秋游园活动物料。"
    if month == 8:
        agenda = "审议 3 号楼电梯曳引机更换"
        resolution = ("同意动用公共收益更换一期 3 号楼电梯曳引机，费用不超过 13 万元；"
                      "一期本年度预算的电梯类相应追加 13 万元。")
        budget = sum(BUDGET["xfl-1"].values()) + 130_000
        authorises = [{"type": "spend", "estate_id": "xfl-1", "category": "elevators",
                       "cap_fen": 13_000_000},
                      {"type": "budget", "estate_id": "xfl-1", "year": YEAR,
                       "cap_fen": budget * 100}]
        votes_for = present - 3
    w.record("li", "decision.resolved", {
        "decision_id": f"R{YEAR}-{month:02d}-1", "meeting_id": meeting_id, "agenda_item": agenda,
        "votes": {"for": votes_for, "against": 1 if present > 4 else 0,
                  "abstain": present - votes_for - (1 if present > 4 else 0)},
        "quorum": {"attendance": "two_thirds" if month == 8 else "half",
                   "approval": "two_thirds_of_present" if month == 8 else "majority_of_present"},
        "passed": True, "resolution": resolution, "authorises": authorises})
    if month == 12:
        w.record("li", "decision.resolved", {
            "decision_id": f"R{YEAR}-12-2", "meeting_id": meeting_id,
            "agenda_item": "审议在中心绿地增设收费停车位",
            "votes": {"for": 12, "against": 22, "abstain": present - 34},
            "passed": False, "resolution": "多数代表反对占用绿地，方案未获通过，保留现状。"})


def _disclosures(w: DemoWriter, month: int) -> None:
    w.at(date(YEAR, month, 28), 16)
    disclosure_id = f"D{YEAR}-{month:02d}-FUND"
    w.record("chen", "disclosure.published", {
        "disclosure_id": disclosure_id, "category": "fund_use", "period": f"{YEAR}-{month:02d}",
        "title": f"{YEAR} 年 {month} 月社区微基金及物业费收支公示",
        "body": f"现将 {YEAR} 年 {month} 月社区微基金捐赠与拨付、两个小区物业费及公共收益收支情况"
                "予以公示，明细见本门户“微基金”和“物业费”栏目。公示期七天，如有疑问请向居务监督"
                "委员会反映。",
        "attachments": [{"name": f"{month}月收支明细.pdf", "sha256": sha(f"ledger/{month}"),
                         "media_type": "application/pdf"}]})
    if month == 3:
        w.record("chen", "disclosure.corrected", {
            "disclosure_id": disclosure_id, "correction_id": f"{disclosure_id}-C1",
            "body": "更正：原公示中“两个小区”的停车收益合计数字有误，以本门户“物业费”栏目逐笔记录"
                    "为准；其余内容不变。",
            "reason": "汇总表格公式错误"})
    if month in (4, 7, 10):
        q = month // 3
        w.at(date(YEAR, month, 15 if month == 10 else 8), 16)  # the third quarter's is late
        w.record("chen", "disclosure.published", {
            "disclosure_id": f"D{YEAR}-Q{q}-FUND", "category": "fund_use", "period": f"{YEAR}-Q{q}",
            "title": f"{YEAR} 年第 {q} 季度财务收支公开",
            "body": f"第 {q} 季度社区微基金和两个小区物业费、公共收益的收支汇总，逐笔明细见本门户。"})
    if month != 7:  # July's decisions were never disclosed (the audit views list them)
        w.at(date(YEAR, month, 22), 10)
        w.record("li", "disclosure.published", {
            "disclosure_id": f"D{YEAR}-{month:02d}-DEC", "category": "decision",
            "period": f"{YEAR}-{month:02d}",
            "title": f"{month} 月居委会重大事项决策及执行情况",
            "body": "本月居委会例会审议通过的事项已全部进入执行，执行情况如下：\n"
                    "- 楼道堆物清理：已完成 12 个单元；\n- 夏季防汛排查：已完成。"})
    if month in (4, 10):
        w.record("li", "disclosure.published", {
            "disclosure_id": f"D{YEAR}-{month:02d}-CON", "category": "consultation",
            "period": f"{YEAR}-{month:02d}",
            "title": "楼组协商议事结果" if month == 4 else "加装电梯协商结果",
            "body": "经楼组长、居民代表、物业公司三方协商，形成一致意见，具体见会议纪要。"})
    if month == 5:
        w.record("li", "disclosure.published", {
            "disclosure_id": f"D{YEAR}-05-OTHER", "category": "other", "period": f"{YEAR}-05",
            "title": "端午节社区活动安排（草稿）", "body": "活动安排待定。"})
        w.record("li", "disclosure.retracted", {
            "disclosure_id": f"D{YEAR}-05-OTHER",
            "reason": "误将草稿发布；正式安排以 5 月居委会例会决议为准。"})


PROJECTS = {
    "P01": ("老旧楼道照明改造", "xfl-1", "夜间走访发现一期 7 个单元楼道灯损坏，老人夜间出行不便。"),
    "P02": ("儿童游乐区地面修缮", "xfl-2", "议事会上家长反映游乐区地面破损，存在摔倒隐患。"),
    "P03": ("长者食堂增设助餐点", None, "问卷显示八十岁以上独居老人就餐困难。"),
    "P04": ("非机动车充电棚", "xfl-2", "热线多次接到电动车楼道充电的投诉，存在火灾隐患。"),
}


def _projects(w: DemoWriter, month: int) -> None:
    # Each project runs its five steps across the months before and after its grant.
    for n, (project_id, (title, estate_id, description)) in enumerate(PROJECTS.items()):
        start = 1 + n * 3  # grant month is start + 2
        step = month - start
        if step < 0 or step > 4:
            continue
        w.at(date(YEAR, month, 12), 9)
        on = f"{YEAR}-{month:02d}-12"
        if step == 0:
            name, phone = w.person()
            reporter = w.private({"name": name, "phone": phone})
            body: dict[str, Any] = {"project_id": project_id, "title": title,
                                    "description": description,
                                    "source": ["夜间走访", "协商议事会", "问卷调查", "12345 热线"][n],
                                    "reporter_commitment": reporter.commitment,
                                    "discovered_on": on}
            if estate_id:
                body["estate_id"] = estate_id
            w.record("li", "project.discovered", body, (reporter,))
        elif step == 1:
            w.record("li", "project.classified", {
                "project_id": project_id, "category": "安全隐患" if n != 2 else "养老服务",
                "priority": 1 if n == 3 else 2, "classified_on": on})
        elif step == 2:
            w.at(date(YEAR, month, 2), 9)
            w.record("li", "project.designed", {
                "project_id": project_id, "plan": f"{title}：由社区牵头、物业配合、居民志愿者参与，"
                                                  "分两期实施，预计一个月完成。",
                "budget_fen": 300_000, "designed_on": f"{YEAR}-{month:02d}-02"})
        elif step == 3:
            w.record("li", "project.implemented", {
                "project_id": project_id, "summary": f"{title}已完工，经居民代表现场验收。",
                "completed_on": on})
        elif step == 4 and month < 12:
            w.record("li", "project.evaluated", {
                "project_id": project_id, "summary": "受益居民满意度高，后续由物业纳入日常维护。",
                "round_id": f"E{YEAR}-{project_id}", "evaluated_on": on})


def _stalled_project(w: DemoWriter, month: int) -> None:
    """A need found in August and classified in September that went no further."""
    if month in (8, 9):
        w.at(date(YEAR, month, 12), 9)
        on = f"{YEAR}-{month:02d}-12"
        if month == 8:
            w.record("li", "project.discovered", {
                "project_id": "P05", "title": "南门无障碍坡道", "estate_id": "xfl-1",
                "description": "坐轮椅的居民反映南门台阶没有坡道，进出要人抬。", "source": "居民来信",
                "discovered_on": on})
        else:
            w.record("li", "project.classified", {"project_id": "P05", "category": "适老化改造",
                                                  "priority": 2, "classified_on": on})


def _evaluations(w: DemoWriter, month: int) -> None:
    if month in (6, 12):
        half = "上半年" if month == 6 else "下半年"
        for subject, title in (("residents_committee", "居委会"), ("owners_committee", "业委会"),
                               ("property_company", "物业公司")):
            w.at(date(YEAR, month, 10), 9)
            round_id = f"E{YEAR}-{month:02d}-{subject}"
            w.record("zhao", "evaluation.opened", {
                "round_id": round_id, "subject": subject, "title": f"{YEAR} 年{half}{title}评议",
                "criteria": ["服务态度", "办事效率", "公开透明"], "method": "questionnaire",
                "opened_on": f"{YEAR}-{month:02d}-10"})
            w.at(date(YEAR, month, 18), 17)
            groups = []
            for group in ("一期", "二期"):
                base = 180 if group == "一期" else 140
                sat = base * (50 + w.varied(15, range(-20, 15)) + (5 if month == 12 else 0)) // 100
                basic = base * (15 + w.varied(10)) // 100
                groups.append({"group": group, "satisfied": sat, "basically_satisfied": basic,
                               "dissatisfied": base - sat - basic,
                               "score_centi": 7_000 + w.varied(2_000, range(-1_500, 2_000))})
            w.record("zhao", "evaluation.results_recorded", {
                "round_id": round_id, "eligible": 420, "groups": groups,
                "closed_on": f"{YEAR}-{month:02d}-18", "grouping": "partition"})
            w.record("zhao", "evaluation.consequence_recorded", {
                "round_id": round_id,
                "consequence": f"评议结果已报街道办，作为{title}年度考核和绩效发放的依据；"
                               "不满意率较高的“办事效率”列入下一阶段整改清单。"})
    # Each project is evaluated after implementation, in its own round.
    for n, project_id in enumerate(PROJECTS):
        if month == 1 + n * 3 + 4 and month < 12:
            w.at(date(YEAR, month, 8), 9)
            round_id = f"E{YEAR}-{project_id}"
            w.record("zhao", "evaluation.opened", {
                "round_id": round_id, "subject": "project", "subject_ref": project_id,
                "title": f"“{PROJECTS[project_id][0]}”项目评估", "criteria": ["实施效果", "资金使用"],
                "method": "assembly", "opened_on": f"{YEAR}-{month:02d}-08"})
            w.at(date(YEAR, month, 10), 17)
            w.record("zhao", "evaluation.results_recorded", {
                "round_id": round_id, "eligible": 60,
                "groups": [{"group": "受益居民", "satisfied": 31 + n, "basically_satisfied": 9,
                            "dissatisfied": 3}],
                "closed_on": f"{YEAR}-{month:02d}-10", "grouping": "partition"})


# The demo's witness: the street office (街道办) cosigns the demo log's latest checkpoint, so that
# the portal shows what a confirmed checkpoint looks like. Its key comes from a public seed too.
WITNESS_LABEL = "街道办"
WITNESS_AT = datetime(2025, 12, 31, 1, 0, tzinfo=UTC)  # 2025-12-31 09:00 Beijing time


def cosign_as_witness(app: Sunlight, community_id: str = COMMUNITY) -> str:
    """Stores the demo witness's cosignature of the community's latest checkpoint; returns the
    witness's verifier key."""
    from ledger.crypto.cosignature import CosignatureSigner
    from ledger.crypto.note import split_note
    from ledger.tlog.cosignatures import store_cosignature

    witness = CosignatureSigner.from_seed("jiedaoban.example/witness", demo_seed("witness/jiedaoban"))
    text, _ = split_note(app.checkpoint(community_id))
    line = witness.cosign(text, int(WITNESS_AT.timestamp()))
    store_cosignature(app, community_id, app.size(community_id), witness.name, line)
    return witness.verifier_key()
