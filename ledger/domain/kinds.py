"""The one registry of record kinds: everything else about a kind is derived from here.

For each kind: its body class (whose fields carry their Chinese label, help, shape and example
as :class:`~ledger.domain.common.Info` metadata), the name of its fold handler (the ledger's
``CommunityState._<fold>`` and the publisher's read-model ``_<fold>``), who may sign it and how
many must, what it creates (a namespace, the id field and the field that names it), and the
headline a page shows for it. The fold, the role rule, the publisher's read model and titles,
the API's schemas, ``sunlight kinds`` and the import templates all read this module; a test
holds that no other module lists kinds.

Fields are shown in the order they are declared in the body class (the signed JSON is
canonical, so the declaration order is free to be the display order).
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ledger.domain.common import Body, Choice, Info, Shape
from ledger.domain.community import Community
from ledger.domain.decision import Decision, Meeting
from ledger.domain.disclosure import Disclosure
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import Fee
from ledger.domain.fund import Fund
from ledger.domain.member import Member
from ledger.domain.oversight import Oversight
from ledger.domain.policy import Condition, Rule
from ledger.domain.project import Project
from ledger.domain.roles import Role


@dataclass(frozen=True)
class FieldSpec:
    """One field of a kind (or of an object nested in it), as a person filling it in needs it."""

    name: str  # the JSON name
    label: str
    help: str
    shape: Shape
    required: bool
    values: tuple[tuple[Any, str], ...] = ()  # allowed values and their labels
    ref: str | None = None  # the namespace of the record an id points at
    fields: tuple[FieldSpec, ...] = ()  # an object's fields, or a list's object items' fields
    item: Shape | None = None  # a list's item shape
    example: Any = None

    def label_of(self, value: Any) -> str | None:
        for allowed, label in self.values:
            if allowed == value and type(allowed) is type(value):
                return label
        return None

    def allowed_zh(self) -> str:
        """``repairs（维修）、…``: every allowed value with its label."""
        return "、".join(f"{_plain(v)}（{label}）" for v, label in self.values)


@dataclass(frozen=True)
class Creates:
    """A kind that creates a record others refer to: ``namespace`` + the value of ``id_field``
    names it, ``name_field`` is what a page calls it."""

    namespace: str
    id_field: str
    name_field: str


@dataclass(frozen=True)
class Kind:
    body: type[Body]
    fold: str
    signers: frozenset[Role]
    headline: str  # str.format() over the body's fields, each shown by its shape
    creates: Creates | None = None
    # a row of a flat projection of the API: (projection, parent id field, own id field)
    row: tuple[str, str, str] | None = None
    signatures: int = 1  # how many members must sign at least, whatever the policy
    fields: tuple[FieldSpec, ...] = field(default=())
    cosign: tuple[Rule, ...] = ()  # the default policy's rules for this kind
    # optional fields the example fills in too (where a body needs one of several)
    example_with: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.body.kind

    @property
    def title(self) -> str:
        return self.body.title_zh

    def example(self) -> dict[str, Any]:
        """A body of this kind that validates (required fields, and ``example_with``)."""
        return {f.name: f.example for f in self.fields if f.required or f.name in self.example_with}


# --- fields, from the body classes' annotations ----------------------------------------------

def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unwrap(tp: Any, infos: list[Info]) -> tuple[Any, list[Info], bool]:
    """The type under ``Annotated`` and ``| None``, its metadata innermost first, and whether
    ``None`` is allowed."""
    optional = False
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            base, *meta = get_args(tp)
            infos = [m for m in meta if isinstance(m, Info)] + infos
            tp = base
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            optional = optional or len(args) < len(get_args(tp))
            assert len(args) == 1, f"a field of one type, or None: {tp}"
            tp = args[0]
        else:
            return tp, infos, optional


def _merge(infos: list[Info]) -> Info:
    merged: dict[str, Any] = {}
    for info in infos:
        for key in ("label", "help", "shape", "ref", "values", "example"):
            value = getattr(info, key)
            if value not in ("", None, ()):
                merged[key] = value
    return Info(**merged)


def _spec(name: str, annotation: Any, metadata: list[Any], required: bool) -> FieldSpec:
    tp, infos, _ = _unwrap(annotation, [m for m in metadata if isinstance(m, Info)])
    info = _merge(infos)
    values = info.values
    nested: tuple[FieldSpec, ...] = ()
    item: Shape | None = None
    example = info.example
    if isinstance(tp, type) and issubclass(tp, Choice):
        shape = Shape.ENUM
        values = tuple((m.value, m.label) for m in tp)
        example = example if example is not None else values[0][0]
    elif tp is bool:
        shape = Shape.BOOLEAN
        example = True if example is None else example
    elif get_origin(tp) is list:
        shape = Shape.LIST
        inner = _spec(name, get_args(tp)[0], [], True)
        item, nested = inner.shape, inner.fields
        example = [inner.example]
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        shape = Shape.OBJECT
        nested = model_fields(tp)
        example = {f.name: f.example for f in nested if f.required}
    elif values:
        shape = Shape.ENUM
    else:
        shape = info.shape or (Shape.INTEGER if tp is int else Shape.TEXT)
    assert example is not None or not required, f"{name}: a required field needs an example"
    return FieldSpec(name=name, label=info.label or name, help=info.help, shape=shape,
                     required=required, values=values, ref=info.ref, fields=nested, item=item,
                     example=example)


def model_fields(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    out = []
    for name, f in model.model_fields.items():
        assert isinstance(f, FieldInfo)
        out.append(_spec(f.alias or name, f.annotation, list(f.metadata), f.is_required()))
    return tuple(out)


# --- the registry ----------------------------------------------------------------------------

CHAIR = frozenset({Role.CHAIR})
EVERYONE = frozenset(Role)
MONEY = frozenset({Role.CHAIR, Role.TREASURER})  # money is recorded by the treasurer
COMMITTEE = frozenset({Role.CHAIR, Role.MEMBER})
EVALUATION = frozenset({Role.CHAIR, Role.MEMBER, Role.SUPERVISOR})

_STEP = "民需项目·{title}：{{project_id}}"


def _two(kind: type[Body], *seats: frozenset[Role] | tuple[()], when: Condition = Condition.ALWAYS,
         min_amount_fen: int | None = None) -> Rule:
    """A default rule: ``seats`` (a set of roles, or ``()`` for the recorder)."""
    return Rule(kind=kind.kind, seats=[sorted(s) for s in seats], when=when,
                min_amount_fen=min_amount_fen)


RECORDER = ()
CHAIR_OR_SUPERVISOR = frozenset({Role.CHAIR, Role.SUPERVISOR})
_COMMITTEE_RULE = (CHAIR, EVERYONE)

_TABLE: tuple[Kind, ...] = (
    Kind(Community.Founded, "community_founded", CHAIR, "社区建账：{name}",
         Creates("member", "founder_id", "founder_name")),
    Kind(Community.EstateAdded, "estate_added", CHAIR, "登记小区：{name}",
         Creates("estate", "estate_id", "name")),
    Kind(Community.PolicySet, "policy_set", CHAIR, "设定签署规则",
         cosign=(_two(Community.PolicySet, CHAIR, frozenset({Role.SUPERVISOR})),)),
    # What must be disclosed by when, and the audit views' thresholds (default until set).
    Kind(Community.CatalogueSet, "disclosure_catalogue_set", CHAIR, "设定公开目录"),
    # The chair alone manages the committee.
    Kind(Member.Admitted, "member_admitted", CHAIR, "成员入职：{name}（{role}）",
         Creates("member", "member_id", "name"),
         cosign=(_two(Member.Admitted, *_COMMITTEE_RULE, when=Condition.COMMITTEE_OF_THREE),)),
    Kind(Member.RoleAssigned, "role_assigned", CHAIR, "调整职务：{member_id} 任{role}",
         cosign=(_two(Member.RoleAssigned, *_COMMITTEE_RULE, when=Condition.COMMITTEE_OF_THREE),)),
    # A 主任 who lost their key: two other members in office, one of them 监督, rotate it.
    Kind(Member.KeyRotated, "key_rotated", CHAIR, "更换密钥：{member_id}",
         cosign=(_two(Member.KeyRotated, frozenset({Role.SUPERVISOR}), EVERYONE,
                      when=Condition.RECOVERY),)),
    Kind(Member.Revoked, "revoked", CHAIR, "撤销成员：{member_id}",
         cosign=(_two(Member.Revoked, *_COMMITTEE_RULE, when=Condition.COMMITTEE_OF_THREE),)),
    Kind(Member.TermSet, "term_set", CHAIR, "设定任期：{member_id}"),
    # Every role may disclose (the treasurer fund use, the supervisor findings).
    Kind(Disclosure.Published, "disclosure_published", EVERYONE, "{title}",
         Creates("disclosure", "disclosure_id", "title")),
    Kind(Disclosure.Corrected, "disclosure_corrected", EVERYONE, "更正：{disclosure_id}"),
    Kind(Disclosure.Retracted, "disclosure_retracted", EVERYONE, "撤回：{disclosure_id}"),
    Kind(Fund.Opened, "fund_opened", MONEY, "设立基金：{name}", Creates("fund", "fund_id", "name")),
    Kind(Fund.DonationRecorded, "donation_recorded", MONEY,
         "捐赠 {amount_fen}：{fund_id}（{display_name}）",
         row=("donations", "fund_id", "donation_id")),
    Kind(Fund.GrantMade, "grant_made", MONEY, "拨付 {amount_fen}：{purpose}",
         row=("grants", "fund_id", "grant_id"),
         cosign=(_two(Fund.GrantMade, frozenset({Role.TREASURER}), CHAIR),)),
    Kind(Fee.BudgetSet, "budget_set", MONEY, "{estate_id} {year} 年度预算",
         cosign=(_two(Fee.BudgetSet, CHAIR, frozenset({Role.SUPERVISOR}), when=Condition.REVISION),)),
    Kind(Fee.IncomeRecorded, "income_recorded", MONEY,
         "{estate_id} {source} {period}：{amount_fen}", row=("income", "estate_id", "income_id")),
    Kind(Fee.SpendRecorded, "spend_recorded", MONEY,
         "{estate_id} {category}支出 {amount_fen}：{description}",
         row=("spends", "estate_id", "spend_id"),
         cosign=(_two(Fee.SpendRecorded, RECORDER, CHAIR_OR_SUPERVISOR, min_amount_fen=5_000_00),)),
    Kind(Meeting.Held, "meeting_held", COMMITTEE, "{title}（{body}）",
         Creates("meeting", "meeting_id", "title")),
    Kind(Decision.Resolved, "resolved", COMMITTEE, "决议：{agenda_item}（{passed}）",
         Creates("decision", "decision_id", "agenda_item")),
    # The supervision member records evaluations.
    Kind(Evaluation.Opened, "round_opened", EVALUATION, "发起评议：{title}",
         Creates("round", "round_id", "title")),
    Kind(Evaluation.ResultsRecorded, "results_recorded", EVALUATION, "评议结果：{round_id}"),
    Kind(Evaluation.ConsequenceRecorded, "consequence_recorded", EVALUATION,
         "评议结果运用：{round_id}"),
    Kind(Project.Discovered, "project_discovered", COMMITTEE, "民需项目·精准发现：{title}",
         Creates("project", "project_id", "title")),
    Kind(Project.Classified, "project_step", COMMITTEE,
         _STEP.format(title=Project.Classified.title_zh)),
    Kind(Project.Designed, "project_step", COMMITTEE,
         _STEP.format(title=Project.Designed.title_zh)),
    Kind(Project.Implemented, "project_step", COMMITTEE,
         _STEP.format(title=Project.Implemented.title_zh)),
    Kind(Project.Evaluated, "project_step", COMMITTEE,
         _STEP.format(title=Project.Evaluated.title_zh)),
    # Any member in office objects (the 监督 first of all) to a record or a proposal; the 主任 or
    # the recorder of the concerned record answers (checked by the fold: ledger.domain.oversight).
    Kind(Oversight.ObjectionRaised, "objection_raised", EVERYONE, "对{log_index}{proposal_id}提出异议",
         Creates("objection", "objection_id", "objection_id"), example_with=("log_index",)),
    Kind(Oversight.ObjectionAnswered, "objection_answered", EVERYONE, "答复异议：{objection_id}"),
)

KINDS: dict[str, Kind] = {k.name: replace(k, fields=model_fields(k.body)) for k in _TABLE}
assert len(KINDS) == len(_TABLE), "each kind once"

BODY_TYPES: dict[str, type[Body]] = {name: k.body for name, k in KINDS.items()}
BY_BODY: dict[type[Body], Kind] = {k.body: k for k in KINDS.values()}

DEFAULT_POLICY: tuple[Rule, ...] = tuple(rule for k in KINDS.values() for rule in k.cosign)
"""The founding policy: in force from the founding of a community founded with it
(``community.founded`` with ``policy: default``) until a ``community.policy_set``."""


def policy_markdown(rules: tuple[Rule, ...] = DEFAULT_POLICY) -> str:
    """The README's table of the default policy (a test holds the README to it)."""
    rows = ["| kind | when | who must sign together (each a different member in office) |",
            "|---|---|---|"]
    for rule, line in zip(rules, policy_lines(rules), strict=True):
        when = rule.when.label if rule.min_amount_fen is None else \
            f"金额 ≥ {rule.min_amount_fen // 100:,} 元"
        rows.append(f"| `{rule.kind}` | {when} | {line} |")
    return "\n".join(rows) + "\n"


def policy_lines(rules: tuple[Rule, ...]) -> list[str]:
    """Each rule in plain Chinese (拨付资助须出纳和主任共同签署), for the portal and the README."""
    return [rule.text_zh(BODY_TYPES[rule.kind].title_zh if rule.kind in BODY_TYPES else rule.kind)
            for rule in rules]


def may_record(role: Role, kind: str) -> bool:
    """Whether a member in ``role`` may sign a statement of ``kind``."""
    return role in KINDS[kind].signers


def roles_for(kind: str) -> list[Role]:
    return [role for role in Role if may_record(role, kind)]


def find_field(kind: str, path: tuple[str | int, ...]) -> FieldSpec | None:
    """The field at a validation error's location (list positions skipped)."""
    fields = KINDS[kind].fields if kind in KINDS else ()
    found: FieldSpec | None = None
    for step in path:
        if isinstance(step, int):
            continue
        found = next((f for f in fields if f.name == step), None)
        if found is None:
            return None
        fields = found.fields
    return found


def canonical(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every enumeration given by its Chinese label (维修) replaced by its value
    (repairs), as the CLI and the templates accept either; the signed body holds the value."""
    return _canonical(KINDS[kind].fields, body) if kind in KINDS else body


def _canonical(fields: tuple[FieldSpec, ...], body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for f in fields:
        if f.name not in out:
            continue
        value = out[f.name]
        if f.values and isinstance(value, str):
            out[f.name] = _value_of(f, value)
        elif f.shape is Shape.OBJECT and isinstance(value, dict):
            out[f.name] = _canonical(f.fields, value)
        elif f.shape is Shape.LIST and f.fields and isinstance(value, list):
            out[f.name] = [_canonical(f.fields, v) if isinstance(v, dict) else v for v in value]
    return out


def _value_of(f: FieldSpec, text: str) -> Any:
    for value, label in f.values:
        if text.strip() in (label, _plain(value)):
            return value
    return text


def label_of(kind: str, name: str, value: Any) -> str | None:
    """The Chinese label of an enumeration's value in ``kind``'s field ``name``, or None."""
    f = find_field(kind, (name,))
    return f.label_of(value) if f is not None else None


# --- the import templates' columns -----------------------------------------------------------

PERSON_COLUMNS = (("个人信息·姓名", "person.name"), ("个人信息·联系方式", "person.contact"))
"""Where a kind has a commitment field, the template asks for the person instead: the import
keeps them privately and puts their salted commitment in the body."""


@dataclass(frozen=True)
class Column:
    header: str  # Chinese, as the template shows it
    path: str  # the field, dotted for a nested one (``votes.for``), ``person.*`` for private data
    spec: FieldSpec | None  # None for a person column
    yuan: bool = False  # money: the template's cell is in 元, the body's value in fen


def columns(kind: str) -> tuple[Column, ...]:
    """The template's columns for ``kind``, in display order; lists are one JSON cell."""
    out: list[Column] = []
    for f in KINDS[kind].fields:
        if f.shape is Shape.COMMITMENT:
            out += [Column(header, path, None) for header, path in PERSON_COLUMNS]
        elif f.shape is Shape.OBJECT:
            out += [_column(f"{f.label}·{sub.label}", f"{f.name}.{sub.name}", sub)
                    for sub in f.fields]
        else:
            out.append(_column(f.label, f.name, f))
    return tuple(out)


def _column(header: str, path: str, spec: FieldSpec) -> Column:
    if spec.shape is Shape.MONEY:
        return Column(f"{header}（元）", path, spec, yuan=True)
    return Column(header, path, spec)
