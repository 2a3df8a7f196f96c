"""Value types shared by every record kind.

Every statement body is a pydantic model: strict about types (money is ``int`` fen, never a
float), forbidding unknown fields, frozen. Strings stay strings (dates as ``YYYY-MM-DD``) so that a
body round-trips to exactly the JSON its signer signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, StrictInt
from pydantic_core import CoreSchema

from ledger.domain.publictext import check_public_text
from ledger.domain.publictext import find_personal_data as find_personal_data  # re-exported


@dataclass(frozen=True)
class Info:
    """What a field means, beside its type: ``Annotated[RecordId, Info("基金", "……")]``.

    Layers merge, the outermost winning: a type alias gives the shape (``AmountFen`` is money),
    the field gives its label and help. ``ref``: the namespace of the record an id points at
    (``fund``, ``estate``, ``decision`` ...). ``values``: labels of the values an integer or
    boolean field takes (an enumeration's labels live on its :class:`Choice` class).
    ``example``: a value for ``sunlight kinds`` and the templates."""

    label: str = ""
    help: str = ""
    shape: Shape | None = None
    ref: str | None = None
    values: tuple[tuple[Any, str], ...] = field(default=())
    example: Any = None

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler
                                     ) -> dict[str, Any]:
        out: dict[str, Any] = handler(schema)
        if self.label:
            out["title"] = self.label
        if self.help:
            out["description"] = self.help
        if self.values:
            out["x-labels"] = {str(v): label for v, label in self.values}
        return out


class Choice(StrEnum):
    """An enumeration whose every value has its Chinese label: ``CASH = "cash", "现金"``.

    The signed body holds the value; pages show the label; the CLI and the templates accept
    either (:func:`ledger.domain.kinds.canonical`)."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Choice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {m.value: m.label for m in cls}

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler
                                     ) -> dict[str, Any]:
        out: dict[str, Any] = handler(schema)
        target = handler.resolve_ref_schema(out)
        target["x-labels"] = cls.labels()
        target["description"] = "，".join(f"{m.value}＝{m.label}" for m in cls)
        return out


class Shape(Choice):
    """What a field's value is, for the people who fill it in and the pages that show it."""

    TEXT = "text", "文本"
    MONEY = "money", "金额（分）"
    DAY = "day", "日期 YYYY-MM-DD"
    PERIOD = "period", "期间"
    YEAR = "year", "年度"
    REF = "ref", "另一条记录的编号"
    ID = "id", "编号（字母、数字、. _ -）"
    HASH = "hash", "附件哈希（SHA-256）"
    COMMITMENT = "commitment", "个人信息承诺值"
    KEY = "key", "公钥"
    ENUM = "enum", "取值之一"
    INTEGER = "integer", "整数"
    BOOLEAN = "boolean", "是或否"
    LIST = "list", "列表"
    OBJECT = "object", "对象"


MAX_FEN = 10**12  # one hundred million yuan per amount is far beyond any community's means

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

RecordId = Annotated[str, Field(pattern=ID_PATTERN),
                     Info(shape=Shape.ID, help="编号：字母、数字、. _ -，至多 64 位", example="2025-001")]
PROPOSAL_ID = r"^[A-Za-z0-9_-]{22}$"  # a proposal's id: 128 random bits, URL-safe base64
ProposalId = Annotated[str, Field(pattern=PROPOSAL_ID),
                       Info(shape=Shape.ID, help="提案编号：22 位字母、数字、_ 或 -",
                            example="Zq3xK0b9T2mVwQ8nR4sY1A")]
AmountFen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN),
                      Info(label="金额", help="以分为单位的整数：1 元写 100", shape=Shape.MONEY,
                           example=150000)]
Count = Annotated[StrictInt, Field(ge=0, le=10_000_000), Info(shape=Shape.INTEGER, example=30)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$"),
                      Info(shape=Shape.HASH, example="0" * 64,
                           help="文件内容的 SHA-256（64 位十六进制）：文件本身不公开，哈希可核对原件")]
Commitment = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$"),
                       Info(shape=Shape.COMMITMENT, example="0" * 64,
                            help="个人信息的加盐哈希：用 --person 填写个人信息时自动生成，"
                                 "个人信息只存私密库")]


def ref(namespace: str, label: str, help: str = "") -> Info:
    """The metadata of a field that holds the id of another record."""
    return Info(label=label, help=help or f"{label}的编号（登记时填写的编号）", shape=Shape.REF,
                ref=namespace)


EstateRef = Annotated[RecordId, ref("estate", "小区")]
FundRef = Annotated[RecordId, ref("fund", "基金")]
DecisionRef = Annotated[RecordId, ref("decision", "授权决议", "授权这笔记录的已通过决议的编号")]
MeetingRef = Annotated[RecordId, ref("meeting", "会议")]
MemberRef = Annotated[RecordId, ref("member", "成员")]
DisclosureRef = Annotated[RecordId, ref("disclosure", "公开事项")]
RoundRef = Annotated[RecordId, ref("round", "评议")]
ProjectRef = Annotated[RecordId, ref("project", "民需项目")]


def _check_day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"日期无效：{value}（应为 YYYY-MM-DD）") from None
    return value


def _check_period(value: str) -> str:
    # 2025 | 2025-03 | 2025-Q1 | 2025-H1
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?", value):
        raise ValueError(f"期间无效：{value}（应为 2025、2025-03、2025-Q1 或 2025-H1）")
    return value


Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_check_day),
                Info(shape=Shape.DAY, help="日期，如 2025-03-01", example="2025-03-01")]
Period = Annotated[str, AfterValidator(_check_period),
                   Info(label="期间", help="2025（全年）、2025-03（月）、2025-Q1（季）或 2025-H1（半年）",
                        shape=Shape.PERIOD, example="2025-Q1")]

# Public text: no hidden characters, no ID or mobile numbers in any disguise (publictext.py).
Text = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(check_public_text),
                 Info(shape=Shape.TEXT, example="……")]
ShortText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_public_text),
                      Info(shape=Shape.TEXT, example="……")]


class Body(BaseModel):
    """Base of every statement body (the content of one record kind)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    kind: ClassVar[str]
    title_zh: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Attachment(BaseModel):
    """A scanned document kept outside the log: only its name and content hash are public."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[ShortText, Info("文件名", "附件的文件名，如 会议纪要.pdf", example="会议纪要.pdf")]
    sha256: Annotated[Sha256Hex, Info("内容哈希")]
    media_type: Annotated[Annotated[str, Field(pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$")] | None,
                          Info("文件类型", "如 application/pdf、image/jpeg（可不填）",
                               example="application/pdf")] = None
