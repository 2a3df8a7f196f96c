"""How each record kind reads: a one-line title and a labelled list of its fields, as escaped
HTML. Values that name another record (a decision, a fund, a project) become links to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.domain.community import Community
from ledger.domain.decision import MEETING_TITLES, Decision, Meeting
from ledger.domain.disclosure import CATEGORY_TITLES, Disclosure
from ledger.domain.evaluation import METHOD_TITLES, SUBJECT_TITLES, EvaluationRound
from ledger.domain.fees import INCOME_TITLES, SPEND_TITLES, EstateFees
from ledger.domain.members import Member
from ledger.domain.microfund import CHANNEL_TITLES, GENERAL, Fund, donor_display
from ledger.domain.needs import STEP_TITLES, NeedsProject
from ledger.domain.roles import ROLE_TITLES
from publisher.fmt import esc, percent, text_block, yuan
from publisher.readmodel import Portal
from publisher.records import Record


def record_path(index: int) -> str:
    """A record's permanent path, relative to the site root."""
    return f"r/{index}/"


def restriction_zh(restriction: str) -> str:
    return "非定向" if restriction == GENERAL else f"定向：{restriction}"


def title(p: Portal, r: Record) -> str:
    """A short plain-text title (escape it before use in HTML)."""
    b = r.body
    match b:
        case Community.Founded():
            return f"社区建账：{b.name}"
        case Community.EstateAdded():
            return f"登记小区：{b.name}"
        case Member.Admitted():
            return f"成员入职：{b.name}（{ROLE_TITLES[b.role]}）"
        case Member.RoleAssigned():
            return f"调整职务：{_member(p, b.member_id)} 任{ROLE_TITLES[b.role]}"
        case Member.KeyRotated() | Member.Revoked() | Member.TermSet():
            return f"{b.title_zh}：{_member(p, b.member_id)}"
        case Disclosure.Published():
            return b.title
        case Disclosure.Corrected():
            return f"更正：{_disclosure(p, b.disclosure_id)}"
        case Disclosure.Retracted():
            return f"撤回：{_disclosure(p, b.disclosure_id)}"
        case Fund.Opened():
            return f"设立基金：{b.name}"
        case Fund.DonationRecorded():
            return f"捐赠 {yuan(b.amount_fen)}：{_fund(p, b.fund_id)}（{donor_display(b)}）"
        case Fund.GrantMade():
            return f"拨付 {yuan(b.amount_fen)}：{b.purpose}"
        case EstateFees.BudgetSet():
            return f"{_estate(p, b.estate_id)} {b.year} 年度预算"
        case EstateFees.IncomeRecorded():
            return (f"{_estate(p, b.estate_id)} {INCOME_TITLES[b.source]} {b.period}："
                    f"{yuan(b.amount_fen)}")
        case EstateFees.SpendRecorded():
            return (f"{_estate(p, b.estate_id)} {SPEND_TITLES[b.category]}支出 "
                    f"{yuan(b.amount_fen)}：{b.description}")
        case Meeting.Held():
            return f"{b.title}（{MEETING_TITLES[b.body]}）"
        case Decision.Resolved():
            return f"决议：{b.agenda_item}（{'通过' if b.passed else '未通过'}）"
        case EvaluationRound.Opened():
            return f"发起评议：{b.title}"
        case EvaluationRound.ResultsRecorded():
            return f"评议结果：{_round(p, b.round_id)}"
        case EvaluationRound.ConsequenceRecorded():
            return f"评议结果运用：{_round(p, b.round_id)}"
        case NeedsProject.Discovered():
            return f"民需项目·精准发现：{b.title}"
        case _:
            project_id = getattr(b, "project_id", "")
            return f"民需项目·{b.title_zh}：{_project(p, project_id)}"


def _member(p: Portal, member_id: str) -> str:
    m = p.members.get(member_id)
    return m.name if m else member_id


def _disclosure(p: Portal, disclosure_id: str) -> str:
    d = p.disclosures.get(disclosure_id)
    return d.published.title if d else disclosure_id


def _fund(p: Portal, fund_id: str) -> str:
    f = p.funds.get(fund_id)
    return f.opened.name if f else fund_id


def _estate(p: Portal, estate_id: str) -> str:
    e = p.estates.get(estate_id)
    return e.estate.name if e else estate_id


def _round(p: Portal, round_id: str) -> str:
    r = p.rounds.get(round_id)
    return r.opened.title if r else round_id


def _project(p: Portal, project_id: str) -> str:
    r = p.projects.get(project_id)
    return r.discovered.title if r else project_id


# --- fields --------------------------------------------------------------------------------

LABELS = {
    "name": "名称", "description": "说明", "founder_id": "创始成员编号", "founder_name": "创始成员",
    "founder_public_key": "创始成员公钥", "term_start": "任期开始", "term_end": "任期结束",
    "estate_id": "小区", "households": "户数", "member_id": "成员", "role": "职务",
    "public_key": "公钥", "reason": "理由", "disclosure_id": "公开事项编号",
    "correction_id": "更正编号", "category": "类别", "period": "期间", "title": "标题",
    "body": "内容", "attachments": "附件（内容哈希）", "fund_id": "基金", "purpose": "用途",
    "opened_on": "设立/发起日期", "donation_id": "捐赠编号", "amount_fen": "金额",
    "restriction": "资金性质", "channel": "方式", "receipt_no": "收据号", "received_on": "收款日期",
    "donor_type": "捐赠人类型", "donor_commitment": "捐赠人承诺值（隐私保护）",
    "display": "显示方式", "display_name": "显示名称", "consent_sha256": "同意书哈希",
    "note": "备注", "grant_id": "拨款编号", "project_id": "民需项目", "decision_id": "授权决议",
    "granted_on": "拨付日期", "year": "年度", "lines": "预算明细", "income_id": "收入编号",
    "source": "来源", "spend_id": "支出编号", "vendor": "供应商", "invoice_sha256": "发票哈希",
    "spent_on": "支出日期", "meeting_id": "会议编号", "held_on": "召开日期", "attendance": "出席",
    "minutes_sha256": "会议记录哈希", "agenda_item": "议题", "votes": "表决", "quorum": "议事规则",
    "passed": "结果", "resolution": "决议内容", "authorises": "授权事项", "round_id": "评议",
    "subject": "评议对象", "subject_ref": "评议项目", "criteria": "评议内容", "method": "评议方式",
    "eligible": "应参评人数", "groups": "结果（分组汇总）", "closed_on": "结束日期",
    "consequence": "结果运用", "reporter_commitment": "反映人承诺值（隐私保护）",
    "discovered_on": "发现日期", "priority": "优先级", "classified_on": "分类日期", "plan": "方案",
    "budget_fen": "预算", "designed_on": "设计日期", "summary": "小结", "completed_on": "完成日期",
    "evaluated_on": "评估日期", "added_on": "建账日期",
}

ENUMS: dict[str, dict[Any, str]] = {
    "role": {k.value: v for k, v in ROLE_TITLES.items()},
    "channel": {k.value: v for k, v in CHANNEL_TITLES.items()},
    "subject": {k.value: v for k, v in SUBJECT_TITLES.items()},
    "method": {k.value: v for k, v in METHOD_TITLES.items()},
    "donor_type": {"person": "个人", "organisation": "单位"},
    "display": {"anonymous": "匿名", "masked": "遮蔽姓名（经本人同意）", "named": "公开单位名称"},
    "priority": {1: "紧急", 2: "一般", 3: "常规"},
}

LONG_TEXT = {"body", "description", "resolution", "plan", "summary", "consequence", "reason",
             "purpose", "note"}


def fields(p: Portal, r: Record, root: str) -> list[tuple[str, str]]:
    """``(label, html)`` for every field of the record, in signing order."""
    out: list[tuple[str, str]] = []
    for key, value in r.raw.items():
        out.append((LABELS.get(key, key), _value(p, r, key, value, root)))
    return out


def _link(root: str, target: Record | None, text: str) -> str:
    if target is None:
        return esc(text)
    return f'<a href="{root}{record_path(target.index)}">{esc(text)}</a>'


def _value(p: Portal, r: Record, key: str, value: Any, root: str) -> str:
    special = _SPECIAL.get(key)
    if special is not None:
        return special(p, r, value, root)
    if key.endswith("_fen") and isinstance(value, int):
        return esc(yuan(value))
    if key.endswith(("_sha256", "_commitment")) or key == "public_key":
        return f'<code class="sl-hash">{esc(value)}</code>'
    if key in ENUMS and value in ENUMS[key]:
        return esc(ENUMS[key][value])
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return text_block(value) if key in LONG_TEXT else esc(value)
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{_plain(v)}</li>" for v in value) + "</ul>"
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return "；".join(f"{esc(LABELS.get(k, k))}：{_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    return esc(value)


def _category(p: Portal, r: Record, value: Any, root: str) -> str:
    if r.kind.startswith("disclosure."):
        return esc(CATEGORY_TITLES.get(value, value))
    if r.kind.startswith("fee."):
        return esc(SPEND_TITLES.get(value, value))
    return esc(value)


def _decision(p: Portal, r: Record, value: Any, root: str) -> str:
    d = p.decisions.get(value)
    return _link(root, d.record if d else None, f"{value}" + (f"：{d.resolved.agenda_item}"
                                                           if d else ""))


def _fund_link(p: Portal, r: Record, value: Any, root: str) -> str:
    f = p.funds.get(value)
    return _link(root, f.record if f else None, f.opened.name if f else value)


def _project_link(p: Portal, r: Record, value: Any, root: str) -> str:
    pr = p.projects.get(value)
    return _link(root, pr.record if pr else None, pr.discovered.title if pr else value)


def _round_link(p: Portal, r: Record, value: Any, root: str) -> str:
    rv = p.rounds.get(value)
    return _link(root, rv.record if rv else None, rv.opened.title if rv else value)


def _meeting_link(p: Portal, r: Record, value: Any, root: str) -> str:
    m = p.meetings.get(value)
    return _link(root, m.record if m else None, m.held.title if m else value)


def _disclosure_link(p: Portal, r: Record, value: Any, root: str) -> str:
    d = p.disclosures.get(value)
    return _link(root, d.record if d else None, d.published.title if d else value)


def _estate_name(p: Portal, r: Record, value: Any, root: str) -> str:
    e = p.estates.get(value)
    return _link(root, e.record if e else None, e.estate.name if e else value)


def _member_link(p: Portal, r: Record, value: Any, root: str) -> str:
    m = p.members.get(value)
    return _link(root, p.records[m.admitted_index] if m else None, m.name if m else value)


def _restriction(p: Portal, r: Record, value: Any, root: str) -> str:
    return esc(restriction_zh(value))


def _source(p: Portal, r: Record, value: Any, root: str) -> str:
    if r.kind == EstateFees.IncomeRecorded.kind:
        return esc(INCOME_TITLES.get(value, value))
    return esc(value)


def _passed(p: Portal, r: Record, value: Any, root: str) -> str:
    return "通过" if value else "未通过"


def _votes(p: Portal, r: Record, value: Any, root: str) -> str:
    return esc(f"赞成 {value.get('for', 0)}，反对 {value.get('against', 0)}，"
               f"弃权 {value.get('abstain', 0)}")


def _attendance(p: Portal, r: Record, value: Any, root: str) -> str:
    return esc(f"应到 {value.get('eligible', 0)} 人，实到 {value.get('present', 0)} 人")


def _quorum(p: Portal, r: Record, value: Any, root: str) -> str:
    att = {"half": "过半数出席", "two_thirds": "三分之二出席"}.get(value.get("attendance"), "")
    app = {"majority_of_present": "出席者过半数赞成", "two_thirds_of_present": "出席者三分之二赞成",
           "majority_of_votes": "赞成多于反对"}.get(value.get("approval"), "")
    return esc("，".join(x for x in (att, app) if x))


def _authorises(p: Portal, r: Record, value: Any, root: str) -> str:
    items = []
    for a in value:
        if a.get("type") == "grant":
            what = f"从{_fund(p, a.get('fund_id', ''))}拨款"
            if a.get("project_id"):
                what += f"给项目“{_project(p, a['project_id'])}”"
        elif a.get("type") == "budget":
            what = f"修订{_estate(p, a.get('estate_id', ''))} {a.get('year', '')} 年度预算（预算合计）"
        else:
            what = (f"{_estate(p, a.get('estate_id', ''))}"
                    f"{SPEND_TITLES.get(a.get('category'), a.get('category', ''))}支出")
        items.append(f"<li>{esc(what)}，上限 {esc(yuan(a.get('cap_fen', 0)))}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "（无）"


def _lines(p: Portal, r: Record, value: Any, root: str) -> str:
    return "<ul>" + "".join(
        f"<li>{esc(SPEND_TITLES.get(line['category'], line['category']))}："
        f"{esc(yuan(line['amount_fen']))}</li>" for line in value) + "</ul>"


def _groups(p: Portal, r: Record, value: Any, root: str) -> str:
    rows = []
    for g in value:
        n = g["satisfied"] + g["basically_satisfied"] + g["dissatisfied"]
        score = g.get("score_centi")
        rows.append(
            f"<tr><td>{esc(g['group'])}</td><td>{g['satisfied']}</td>"
            f"<td>{g['basically_satisfied']}</td><td>{g['dissatisfied']}</td><td>{n}</td>"
            f"<td>{esc(percent(g['satisfied'] + g['basically_satisfied'], n))}</td>"
            f"<td>{'—' if score is None else f'{score // 100}.{score % 100:02d}'}</td></tr>")
    return ('<div class="sl-scroll"><table><thead><tr><th>分组</th><th>满意</th><th>基本满意</th>'
            "<th>不满意</th><th>参评</th><th>满意率</th><th>得分</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>")


def _attachments(p: Portal, r: Record, value: Any, root: str) -> str:
    if not value:
        return "（无）"
    return "<ul>" + "".join(
        f'<li>{esc(a["name"])}<br><code class="sl-hash">{esc(a["sha256"])}</code></li>'
        for a in value) + "</ul>"


def _criteria(p: Portal, r: Record, value: Any, root: str) -> str:
    return "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in value) + "</ul>"


def _meeting_body(p: Portal, r: Record, value: Any, root: str) -> str:
    if r.kind == Meeting.Held.kind:
        return esc(MEETING_TITLES.get(value, value))
    return text_block(value) if isinstance(value, str) else _plain(value)


_SPECIAL: dict[str, Callable[[Portal, Record, Any, str], str]] = {
    "category": _category, "decision_id": _decision, "fund_id": _fund_link,
    "project_id": _project_link, "subject_ref": _project_link, "round_id": _round_link,
    "meeting_id": _meeting_link, "disclosure_id": _disclosure_link, "estate_id": _estate_name,
    "member_id": _member_link, "restriction": _restriction, "source": _source,
    "passed": _passed, "votes": _votes, "attendance": _attendance, "quorum": _quorum,
    "authorises": _authorises, "lines": _lines, "groups": _groups,
    "attachments": _attachments, "criteria": _criteria, "body": _meeting_body,
}

STEP_ORDER = list(STEP_TITLES)
