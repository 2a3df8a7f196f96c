"""What residents read on the portal: evaluation totals, budget revisions, plain Chinese.

A small community (the shared sample plus a second estate, a cross-cutting evaluation and a
budget raised after an overspend) is folded and rendered in memory; every figure a test checks
is computed here again from the signed bodies, with :class:`fractions.Fraction` and
:mod:`decimal` rounding, never with the publisher's own functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.domain.errors import InvalidInput
from ledger.signing import PrivateRecord
from publisher.pages import Context, Page, build_pages
from publisher.readmodel import Portal, fold
from publisher.record_page import Seal, render
from publisher.records import Record, read_records
from tests.publisher.conftest import Site
from tests.publisher.sample import Clock, Writer, build_sample, sha


@dataclass
class Built:
    portal: Portal
    pages: dict[str, Page]

    def page(self, path: str) -> str:
        return self.pages[path].body()

    def record(self, index: int) -> str:
        return render(self.portal, self.portal.records[index], "https://x.example/r/",
                      "<svg></svg>", Seal("测试社区", 1, "AAAA"), "sunlight.test/x+abcd+AAAA")[1]

    def raws(self, kind: str) -> list[Record]:
        return [r for r in self.portal.records if r.kind == kind]


def _more(w: Writer) -> None:
    """Beyond the shared sample: a second estate, two evaluations, a budget revision and a
    named fund restriction."""
    w.record("treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": "don3", "amount_fen": 30_000, "channel": "cash",
        "receipt_no": "R003", "received_on": "2025-04-01", "restriction": "playground",
        "restriction_name": "儿童游乐区改造",
        "donor_commitment": PrivateRecord.commit({"name": "孙某"}).commitment})
    w.record("chair", "community.estate_added", {"estate_id": "e2", "name": "二期",
                                                 "households": 80})
    w.record("member", "evaluation.opened", {
        "round_id": "ev2", "subject": "property_company", "title": "分期评议",
        "criteria": ["保洁"], "method": "questionnaire", "opened_on": "2025-04-01"})
    # 一期 180 and 二期 140 respondents of 420: the first group alone is 42.9%, the whole 76.2%
    w.record("member", "evaluation.results_recorded", {
        "round_id": "ev2", "eligible": 420, "closed_on": "2025-04-10", "grouping": "partition",
        "groups": [{"group": "一期", "satisfied": 120, "basically_satisfied": 43,
                    "dissatisfied": 17},
                   {"group": "二期", "satisfied": 80, "basically_satisfied": 47,
                    "dissatisfied": 13}]})
    w.record("member", "evaluation.opened", {
        "round_id": "ev3", "subject": "residents_committee", "title": "按年龄段评议",
        "criteria": ["服务态度"], "method": "questionnaire", "opened_on": "2025-04-11"})
    w.record("member", "evaluation.results_recorded", {
        "round_id": "ev3", "eligible": 420, "closed_on": "2025-04-20",
        "groups": [{"group": "60 岁以上", "satisfied": 50, "basically_satisfied": 10,
                    "dissatisfied": 10},
                   {"group": "一期", "satisfied": 100, "basically_satisfied": 20,
                    "dissatisfied": 20}]})
    # The repairs budget (5,000 元) is overspent (8,000 元, sample's s2), then raised.
    w.record("member", "decision.meeting_held", {
        "meeting_id": "m2", "body": "owners_assembly", "title": "四月业主大会",
        "held_on": "2025-04-21", "attendance": {"eligible": 30, "present": 25}})
    w.record("member", "decision.resolved", {
        "decision_id": "dec2", "meeting_id": "m2", "agenda_item": "追加维修预算",
        "votes": {"for": 20, "against": 3, "abstain": 2}, "passed": True,
        "resolution": "维修类预算追加 1 万元。",
        "authorises": [{"type": "budget", "estate_id": "e1", "year": 2025,
                        "cap_fen": 3_500_000}]})
    w.record("treasurer", "fee.budget_set", {
        "estate_id": "e1", "year": 2025, "decision_id": "dec2", "lines": [
            {"category": "cleaning", "amount_fen": 2_000_000},
            {"category": "repairs", "amount_fen": 1_500_000}]})
    w.record("treasurer", "fee.spend_recorded", {
        "estate_id": "e1", "spend_id": "s3", "category": "repairs", "vendor": "邻里维修",
        "amount_fen": 100_000, "invoice_sha256": sha("inv3"), "spent_on": "2025-04-25",
        "description": "更换门锁"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("residents")
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp / 'ledger.db'}", clock=clock)
    w = build_sample(app, clock, "residents")
    clock.now = clock.now.replace(month=5, day=1)  # the dates below are in April
    _more(w)
    size = Checkpoint.parse(app.checkpoint("residents").split("\n\n", 1)[0] + "\n").size
    records = list(read_records(app.entries("residents", 0, size)))
    portal = fold("residents", records)
    info = app.community("residents")
    ctx = Context(size, "AAAA", app.checkpoint("residents"), info.verifier_key, info.origin,
                  "https://x.example/")
    yield Built(portal, {p.path: p for p in build_pages(portal, ctx)})


def half_up(share: Fraction) -> str:
    """The share in percent to one decimal, rounded half up: the reference for every page."""
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def good(g: dict[str, Any]) -> int:
    return int(g["satisfied"] + g["basically_satisfied"])


def everyone(g: dict[str, Any]) -> int:
    return int(g["satisfied"] + g["basically_satisfied"] + g["dissatisfied"])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 1. evaluation results ------------------------------------------------------------------


def test_turnout_and_satisfaction_are_totalled_over_a_partition(built: Built) -> None:
    [res] = [r for r in built.raws("evaluation.results_recorded") if r.raw["round_id"] == "ev2"]
    groups = res.raw["groups"]
    turnout = half_up(Fraction(sum(everyone(g) for g in groups), res.raw["eligible"]))
    whole = half_up(Fraction(sum(good(g) for g in groups), sum(everyone(g) for g in groups)))
    assert turnout == "76.2%"
    for html in (built.page("evaluations/index.md"), built.record(res.index)):
        shown = text(html)
        assert f"参评率 {turnout}" in shown and f"全体参评人满意率 {whole}" in shown
        assert "42.9%" not in shown  # the first group's turnout alone
        assert re.search(r"合计\s+200\s+90\s+30\s+320\s+" + re.escape(whole), shown)


def test_cross_cutting_groups_are_never_totalled(built: Built) -> None:
    [res] = [r for r in built.raws("evaluation.results_recorded") if r.raw["round_id"] == "ev3"]
    shown = text(built.record(res.index))
    assert "分组有交叉" in shown and "不合计" in shown
    assert "参评率" not in shown and "合计 " not in shown.replace("不合计", "")
    for g in res.raw["groups"]:  # each group on its own
        assert half_up(Fraction(good(g), everyone(g))) in shown


def test_home_card_and_chart_say_whose_share_and_round_like_the_tables(built: Built) -> None:
    home = text(built.page("index.md"))
    # the home page's year: ev3 cuts across (no figure, and it says why), ev2 is a partition
    # (the whole, labelled as such, never one estate's share unlabelled)
    assert "按年龄段评议 ： 分组有交叉，不合计" in home
    [ev2] = [r for r in built.raws("evaluation.results_recorded") if r.raw["round_id"] == "ev2"]
    whole = half_up(Fraction(sum(good(g) for g in ev2.raw["groups"]),
                             sum(everyone(g) for g in ev2.raw["groups"])))
    assert f"分期评议 ： 全体参评人满意率 {whole}" in home
    page = built.page("evaluations/index.md")
    chart = page[page.index("<svg"):page.index("</svg>")]
    [ev1] = [r for r in built.raws("evaluation.results_recorded") if r.raw["round_id"] == "ev1"]
    [ev2] = [r for r in built.raws("evaluation.results_recorded") if r.raw["round_id"] == "ev2"]
    g1 = ev1.raw["groups"][0]
    expected = [half_up(Fraction(good(g1), everyone(g1))),
                half_up(Fraction(sum(good(g) for g in ev2.raw["groups"]),
                                 sum(everyone(g) for g in ev2.raw["groups"])))]
    labels = re.findall(r">(\d+\.\d%)<", chart)
    assert labels == expected  # ev3 cuts across: not in the chart
    assert "分组有交叉的评议不合计" in page


def test_percent_rounds_half_up_like_the_reference() -> None:
    from publisher.fmt import percent
    for part in range(0, 421, 7):
        for whole in (7, 8, 420, 1_000, 3):
            if part <= whole:
                assert percent(part, whole) == half_up(Fraction(part, whole)), (part, whole)


def test_a_partition_cannot_count_more_respondents_than_are_eligible(
        tmp_path: Path) -> None:
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp_path / 'ledger.db'}", clock=clock)
    w = build_sample(app, clock, "overcount")
    w.record("member", "evaluation.opened", {
        "round_id": "evx", "subject": "property_company", "title": "超额", "criteria": ["保洁"],
        "method": "questionnaire", "opened_on": "2025-03-22"})
    body = {"round_id": "evx", "eligible": 100, "closed_on": "2025-03-23",
            "groups": [{"group": "一期", "satisfied": 60, "basically_satisfied": 0,
                        "dissatisfied": 0},
                       {"group": "二期", "satisfied": 60, "basically_satisfied": 0,
                        "dissatisfied": 0}]}
    with pytest.raises(InvalidInput, match="合计不能超过应参评人数"):
        w.record("member", "evaluation.results_recorded", {**body, "grouping": "partition"})
    w.record("member", "evaluation.results_recorded", body)  # cross-cutting: each group fits


# --- 2. budget revisions and overspends -----------------------------------------------------


def _row(html: str, needle: str) -> str:
    """The text of the one table row that contains ``needle``."""
    rows = [text(row) for row in re.findall(r"<tr>(.*?)</tr>", html) if needle in text(row)]
    assert len(rows) == 1, (needle, rows)
    return rows[0]


def test_fee_page_shows_the_original_budget_and_every_revision(built: Built) -> None:
    page = built.page("fees/e1-2025.md")
    first, revised = built.raws("fee.budget_set")
    assert "本年度预算修订过 1 次" in page
    assert "25,000.00 元" in _row(page, "年初编制")  # the original: 20,000 + 5,000
    revision = _row(page, "第 1 次修订")
    assert "维修 5,000.00 元 → 15,000.00 元" in revision
    assert "dec2：追加维修预算" in revision and f"第 {revised.index} 条" in revision
    decision = next(r for r in built.raws("decision.resolved") if r.raw["decision_id"] == "dec2")
    assert f'href="../../r/{decision.index}/"' in page
    # the budget table shows the original beside the revised line
    line = _row(page, "维修 5,000.00 元 15,000.00")
    assert "15,000.00 元" in line and "9,000.00 元" in line  # revised, spent 8,000 + 1,000
    assert first.index < revised.index


def test_a_spend_over_the_budget_in_force_is_flagged_even_after_a_raise(built: Built) -> None:
    page = built.page("fees/e1-2025.md")
    spends = {r.raw["spend_id"]: r for r in built.raws("fee.spend_recorded")}
    # s2: 8,000 元 of repairs against the 5,000 元 line then in force (raised to 15,000 later)
    over = _row(page, f"第 {spends['s2'].index} 条")
    assert "超出当时预算" in over and "当时该类预算 5,000.00 元" in over
    assert "dec1：楼道照明改造拨款" in over
    decision = next(r for r in built.raws("decision.resolved") if r.raw["decision_id"] == "dec1")
    assert f'href="../../r/{decision.index}/"' in page
    # s3 after the raise: 9,000 of 15,000, within; s1: cleaning within
    for sid in ("s1", "s3"):
        assert "在预算内" in _row(page, f"第 {spends[sid].index} 条")
    assert "有 1 笔支出超出了当时有效的预算" in page
    # the revision says an overspend came before it
    assert "2025-03-12 一笔 8,000.00 元 超出原预算" in _row(page, "第 1 次修订")


# --- 5. plain Chinese for residents ---------------------------------------------------------

JARGON = ("检查点", "根哈希", "SHA-256", "密钥 ID", "承诺值", "base64", "C2SP", "tlog", "--trusted",
          "Not found", "默克尔")


def outside_fold(html: str) -> str:
    """What a resident reads: the page without its 技术细节 fold, as text."""
    assert html.count('<details class="sl-tech') <= 1  # one fold per page
    return text(re.sub(r'<details class="sl-tech.*?</details>', "", html, flags=re.S))


def test_residents_pages_hold_no_jargon_outside_the_one_fold(built: Built) -> None:
    pages = {path: page.body() for path, page in built.pages.items()}
    pages |= {f"r/{r.index}/": built.record(r.index) for r in built.portal.records}
    found = {path: [w for w in JARGON if w in outside_fold(html)] for path, html in pages.items()}
    assert {path: words for path, words in found.items() if words} == {}
    audit = built.page("audit/index.md")  # the commands stay, in the fold
    assert "sunlight verify" in audit and "--trusted" in audit and "C2SP tlog-tiles" in audit
    assert "技术细节" in audit and "条目 SHA-256" in built.record(9)


def test_a_fund_restriction_is_shown_by_its_chinese_name_never_its_id(built: Built) -> None:
    restrictions = {r.raw["restriction"] for r in built.raws("fund.donation_recorded")
                    if r.raw.get("restriction", "general") != "general"}
    assert restrictions == {"elderly", "playground"}
    pages = [page.body() for page in built.pages.values()]
    pages += [built.record(r.index) for r in built.portal.records]
    for html in pages:
        shown = outside_fold(html)
        assert not re.search(r"定向：[A-Za-z]", shown)
        for rid in restrictions:
            assert rid not in shown
    fund = text(built.page("funds/f1.md"))
    assert "定向：儿童游乐区改造" in fund  # named by its donation
    assert "定向：未命名用途 1" in fund  # the sample's "elderly" gave no name


def test_the_not_found_page_is_chinese(site: Site) -> None:
    page = (site.out / "404.html").read_text(encoding="utf-8")
    assert "找不到这个页面" in page and "Not found" not in page


# --- 6. fields in meaning order, references linked ------------------------------------------


def plain_rows(html: str) -> list[tuple[str, str]]:
    """(field name, how the check reads it) of the record's own table, outside the fold, in
    page order."""
    main = re.sub(r'<details class="sl-tech.*?</details>', "", html, flags=re.S)
    return [(name.replace("&#95;", "_"), check) for name, check in
            re.findall(r'<tr data-sl-field="([^"]+)" data-sl-check="([a-z]+)"', main)]


def test_a_record_reads_title_first_with_ids_and_hashes_in_the_fold(built: Built) -> None:
    [published] = [r for r in built.portal.records if r.kind == "disclosure.published"
                   and r.raw["disclosure_id"] == "d1"]
    html = built.record(published.index)
    names = [name for name, _ in plain_rows(html)]
    assert names[0] == "title" and "disclosure_id" not in names
    fold = html[html.index('<details class="sl-tech'):]
    assert 'data-sl-field="disclosure&#95;id"' in fold and "附件哈希" in fold
    assert sha("minutes") not in outside_fold(html)  # the hash is in the fold only
    assert "会议纪要.pdf（原件未在网上公开，可到居委会查阅）" in text(html)
    for r in built.portal.records:  # on every record: no internal id or hash outside the fold
        hidden = [n for n, check in plain_rows(built.record(r.index))
                  if n.endswith(("_id", "_sha256", "_commitment")) and check != "ref"]
        assert hidden == [], r.kind


def test_every_reference_links_to_its_record(built: Built) -> None:
    found = 0
    for r in built.portal.records:
        html = built.record(r.index)
        for row in re.findall(r'<tr data-sl-field="[^"]+" data-sl-check="ref"[^>]*>.*?</tr>', html):
            target = re.search(r'<a href="\.\./\.\./r/(\d+)/">', row)
            assert target is not None, (r.kind, row)
            ref = re.search(r'data-sl-ref="([^"]+)"', row)
            assert ref is not None
            named = built.portal.records[int(target.group(1))]
            # a record named by an id in its body, or by its log index (an objection's)
            assert (ref.group(1).replace("&#95;", "_") in named.raw.values()
                    or ref.group(1) == target.group(1))
            found += 1
    assert found > 20


def test_publish_refuses_a_missing_attachments_folder_in_chinese(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import ledger.cli  # noqa: F401  (registers every command)
    from ledger.cli.root import app

    result = CliRunner().invoke(app, ["publish", "--db", f"sqlite:///{tmp_path / 'x.db'}",
                                      "--out", str(tmp_path / "site"),
                                      "--attachments", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "附件目录" in result.output + (result.stderr or "") and "Traceback" not in result.output


def test_chart_labels_are_the_tables_amounts(built: Built) -> None:
    """A chart labels each bar with the very text its table shows (no rounding of its own)."""
    page = built.page("fees/e1-2025.md")
    for figure in re.findall(r'<figure class="sl-figure">(.*?)</figure>', page, flags=re.S):
        labels = re.findall(r'<text x="\d+" y="\d+" font-size="\d+">([^<]*元)</text>', figure)
        cells = set(re.findall(r"<td[^>]*>([^<]*元)</td>", figure))
        assert labels and set(labels) <= cells, (labels, cells)
    # the spends summed here from the signed bodies: 1,500 + 8,000 + 1,000 元
    total = sum(r.raw["amount_fen"] for r in built.raws("fee.spend_recorded"))
    assert total == 1_050_000 and "10,500.00 元" in text(built.page("fees/index.md"))
