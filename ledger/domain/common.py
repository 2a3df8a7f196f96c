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

from ledger.domain.publictext import check_public_text
from ledger.domain.publictext import find_personal_data as find_personal_data  # re-exported

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

# Public text: no hidden characters, no ID or mobile numbers in any disguise (publictext.py).
Text = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(check_public_text)]
ShortText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_public_text)]


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
