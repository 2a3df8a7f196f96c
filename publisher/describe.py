"""How each record kind reads: a one-line title and a labelled list of its fields, as escaped
HTML. Both come from the kinds registry (:mod:`ledger.domain.kinds`): the title is the kind's
headline, each field is shown by its shape with its Chinese label, an enumeration by its value's
label (never the raw value), and a value that names another record (a decision, a fund, a
project) becomes a link to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ledger.domain.common import Shape
from ledger.domain.decision import ApprovalRule, AttendanceRule
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import SPEND_TITLES
from ledger.domain.fund import Fund, donor_display
from ledger.domain.kinds import KINDS, FieldSpec
from ledger.domain.project import STEP_TITLES
from publisher.fmt import esc, text_block, yuan
from publisher.readmodel import Portal
from publisher.records import Record
from publisher.results import results_summary, results_table


def record_path(index: int) -> str:
    """A record's permanent path, relative to the site root."""
    return f"r/{index}/"


def title(p: Portal, r: Record) -> str:
    """A short plain-text title (escape it before use in HTML): the kind's headline with each
    field shown as plain text."""
    kind = KINDS[r.kind]
    specs = {f.name: f for f in kind.fields}
    values = {name: _text(p, r, spec, r.raw.get(name)) for name, spec in specs.items()}
    return kind.headline.format(**values)


ENTRY = "entry"  # a field that names a record by its log index (an objection's log_index)


def _name(p: Portal, namespace: str, value: Any) -> tuple[Record | None, str]:
    found = p.named.get((namespace, value))
    return (found[0], found[1]) if found else (None, str(value))


def _text(p: Portal, r: Record, spec: FieldSpec, value: Any) -> str:
    """A field's value as plain text."""
    if spec.name == "display_name" and isinstance(r.body, Fund.DonationRecorded):
        return donor_display(r.body)
    if value is None:
        return ""
    if spec.values:
        label = spec.label_of(value)
        return label if label is not None else str(value)
    if spec.shape is Shape.MONEY and isinstance(value, int):
        return yuan(value)
    if spec.shape is Shape.REF and spec.ref == ENTRY:
        return f"第 {value} 条记录"
    if spec.shape is Shape.REF and spec.ref is not None:
        return _name(p, spec.ref, value)[1]
    if spec.name == "proposal_id":
        return f"待签提议 {value}"
    return str(value)


# --- fields --------------------------------------------------------------------------------

LONG_TEXT = {"body", "description", "resolution", "plan", "summary", "consequence", "reason",
             "purpose", "note", "answer"}


def fields(p: Portal, r: Record, root: str) -> list[tuple[str, str]]:
    """``(label, html)`` for every field of the record, in the registry's order of display."""
    return [(spec.label, html) for spec, html in shown(p, r, root)]


HEADLINE_FIELDS = ("title", "name", "agenda_item")  # what a record is called comes first


def shown(p: Portal, r: Record, root: str) -> list[tuple[FieldSpec, str]]:
    """``(spec, html)`` for every field of the record in meaning order: what the record is
    called first, then the rest in the registry's order of display."""
    specs = [spec for spec in KINDS[r.kind].fields if spec.name in r.raw]
    specs.sort(key=lambda spec: spec.name not in HEADLINE_FIELDS)  # stable
    return [(spec, _value(p, r, spec, r.raw[spec.name], root)) for spec in specs]


def internal(spec: FieldSpec) -> bool:
    """A field residents cannot read: a hash, a commitment, a key, or a record's internal id
    (``spend_id``; what it refers to is shown by name wherever it is linked)."""
    return (spec.shape in (Shape.HASH, Shape.COMMITMENT, Shape.KEY)
            or (spec.shape is Shape.ID and spec.name.endswith("_id")))


def check_as(spec: FieldSpec) -> str:
    """How the record page's own check (``verify.js``) renders this field from the signed
    statement to compare it with what the page shows: ``money`` (元 from fen), ``text`` (the
    value as it is), ``bool`` (是/否), ``enum`` (its label, from ``data/labels.json``), ``ref``
    (the id of the record it names) or ``other`` (every amount and count in it must be shown,
    and every amount shown must be in it)."""
    if spec.name in _SPECIAL:
        return "other"
    if spec.shape is Shape.REF:
        return "ref"
    if spec.values:
        return "enum"
    if spec.shape is Shape.MONEY:
        return "money"
    if spec.shape is Shape.BOOLEAN:
        return "bool"
    if spec.shape in (Shape.LIST, Shape.OBJECT):
        return "other"
    return "text"


def labels() -> dict[str, dict[str, dict[str, str]]]:
    """kind -> field -> value (as JSON text) -> label, for every enumerated field
    (``data/labels.json``)."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name, kind in KINDS.items():
        for spec in kind.fields:
            if spec.values:
                out.setdefault(name, {})[spec.name] = {json.dumps(v, ensure_ascii=False): label
                                                      for v, label in spec.values}
    return out


def _link(root: str, target: Record | None, text: str) -> str:
    if target is None:
        return esc(text)
    return f'<a href="{root}{record_path(target.index)}">{esc(text)}</a>'


def _value(p: Portal, r: Record, spec: FieldSpec, value: Any, root: str) -> str:
    special = _SPECIAL.get(spec.name)
    if special is not None:
        return special(p, r, value, root)
    if spec.shape is Shape.REF and spec.ref == ENTRY and isinstance(value, int):
        target = p.records[value] if 0 <= value < len(p.records) else None
        return _link(root, target, f"日志第 {value} 条" + (f"：{title(p, target)}" if target else ""))
    if spec.shape is Shape.REF and spec.ref is not None:
        target, name = _name(p, spec.ref, value)
        if spec.ref == "decision" and target is not None:
            name = f"{value}：{name}"
        return _link(root, target, name)
    if spec.values:
        return esc(_text(p, r, spec, value))
    if spec.shape is Shape.MONEY and isinstance(value, int):
        return esc(yuan(value))
    if spec.shape in (Shape.HASH, Shape.COMMITMENT, Shape.KEY):
        return f'<code class="sl-hash">{esc(value)}</code>'
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return text_block(value) if spec.name in LONG_TEXT else esc(value)
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{_plain(spec.fields, v)}</li>" for v in value) + "</ul>"
    return _plain(spec.fields, value)


def _plain(specs: tuple[FieldSpec, ...], value: Any) -> str:
    if isinstance(value, dict):
        by_name = {f.name: f for f in specs}
        parts = []
        for k, v in value.items():
            spec = by_name.get(k)
            label = spec.label if spec else k
            shown = spec.label_of(v) if spec and spec.values else None
            parts.append(f"{esc(label)}：{esc(shown) if shown else _plain((), v)}")
        return "；".join(parts)
    if isinstance(value, list):
        return "、".join(_plain(specs, v) for v in value)
    return esc(value)


def _estate(p: Portal, estate_id: str) -> str:
    return _name(p, "estate", estate_id)[1]


def _restriction(p: Portal, r: Record, value: Any, root: str) -> str:
    return esc(p.restriction_zh(value))


def _votes(p: Portal, r: Record, value: Any, root: str) -> str:
    return esc(f"赞成 {value.get('for', 0)}，反对 {value.get('against', 0)}，"
               f"弃权 {value.get('abstain', 0)}")


def _attendance(p: Portal, r: Record, value: Any, root: str) -> str:
    return esc(f"应到 {value.get('eligible', 0)} 人，实到 {value.get('present', 0)} 人")


def _quorum(p: Portal, r: Record, value: Any, root: str) -> str:
    att = AttendanceRule.labels().get(value.get("attendance"), "")
    app = ApprovalRule.labels().get(value.get("approval"), "")
    return esc("，".join(x for x in (att, app) if x))


def _authorises(p: Portal, r: Record, value: Any, root: str) -> str:
    items = []
    for a in value:
        if a.get("type") == "grant":
            what = f"从{_name(p, 'fund', a.get('fund_id', ''))[1]}拨款"
            if a.get("project_id"):
                what += f"给项目“{_name(p, 'project', a['project_id'])[1]}”"
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
    assert isinstance(r.body, Evaluation.ResultsRecorded)
    return results_summary(r.body) + results_table(r.body)


def _attachments(p: Portal, r: Record, value: Any, root: str) -> str:
    """Each attachment by its name: a link to the file when it is published (its content was
    checked against the recorded SHA-256 when the site was built), else where to see it."""
    if not value:
        return "（无）"
    items = []
    for a in value:
        path = p.attachments.get(a["sha256"])
        if path is not None:
            items.append(f'<li><a href="{root}{esc(path)}" data-sl-attachment="{esc(a["sha256"])}">'
                         f'{esc(a["name"])}</a>（查看原件：文件与账本登记的一致）</li>')
        else:
            items.append(f"<li>{esc(a['name'])}（原件未在网上公开，可到居委会查阅）</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _criteria(p: Portal, r: Record, value: Any, root: str) -> str:
    return "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in value) + "</ul>"


_SPECIAL: dict[str, Callable[[Portal, Record, Any, str], str]] = {
    "restriction": _restriction, "votes": _votes, "attendance": _attendance, "quorum": _quorum,
    "authorises": _authorises, "lines": _lines, "groups": _groups,
    "attachments": _attachments, "criteria": _criteria,
}

STEP_ORDER = list(STEP_TITLES)
