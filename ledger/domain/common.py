"""Value types shared by every record kind.

Every statement body is a pydantic model: strict about types (money is ``int`` fen, never a
float), forbidding unknown fields, frozen. Strings stay strings (dates as ``YYYY-MM-DD``) so that a
body round-trips to exactly the JSON its signer signed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from ledger.domain.errors import PrivacyViolation

MAX_FEN = 10**12  # one hundred million yuan per amount is far beyond any community's means

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

RecordId = Annotated[str, Field(pattern=ID_PATTERN, description="编号：字母、数字、. _ -，至多 64 位")]
AmountFen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN, description="金额（分）")]
Count = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256（十六进制小写）")]


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


Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_check_day)]
Period = Annotated[str, AfterValidator(_check_period)]

# --- personal data in public text -------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")

# A mainland resident ID: 6-digit area, birth date 18xx-20xx, 3-digit sequence, check digit.
_ID_NUMBER = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9])"
)
# A mainland mobile number, optionally +86 and grouped 3-4-4 with spaces or hyphens.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])")


# Both need a run of at least 11 digits (single spaces or hyphens between): one search rules most
# text out before the two precise ones.
_LONG_NUMBER = re.compile(r"[0-9](?:[ -]?[0-9]){10}")


def find_personal_data(text: str) -> str | None:
    """Names the kind of personal data found in ``text``, or ``None``."""
    if not _LONG_NUMBER.search(text):
        return None
    if _ID_NUMBER.search(text):
        return "身份证号码"
    if _MOBILE.search(text):
        return "手机号码"
    return None


# Either of the above, in one search that rules out nearly all text at once.
_SUSPECT = re.compile(f"{_CONTROL.pattern}|{_LONG_NUMBER.pattern}")


def _public_text(value: str) -> str:
    if not _SUSPECT.search(value):
        return value
    if _CONTROL.search(value):
        raise ValueError("文本中含有不可见控制字符")
    found = find_personal_data(value)
    if found is not None:
        raise PrivacyViolation(
            f"公开内容中不得出现{found}；请删除后再提交（个人信息只能存入私密存储）",
            code="personal-data-in-public-text",
        )
    return value


Text = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_public_text)]
ShortText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_public_text)]


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

    name: ShortText
    sha256: Sha256Hex
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[A-Za-z0-9.+-]+$")] | None = None
