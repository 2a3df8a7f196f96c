"""Reading path and query parameters: a bad value is a 400 with a Chinese message, never a 500."""

from __future__ import annotations

import re

from starlette.requests import Request

from ledger.api.problems import ApiError
from ledger.application import COMMUNITY_ID

MAX_INDEX = 2**53  # beyond any log; keeps integers JSON-safe


def community(request: Request) -> str:
    value = str(request.path_params["community"])
    if not re.fullmatch(COMMUNITY_ID, value):
        raise ApiError(404, "community-not-found", f"本系统没有社区 {value}")
    return value


def require_json(request: Request, what: str) -> None:
    """A body that is not JSON is a 415 saying what to send (``what``: 签名声明, 建账声明)."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type.lower() != "application/json":
        raise ApiError(415, "unsupported-media-type", f"请以 application/json 提交{what}")


def integer(request: Request, name: str, *, default: int | None = None, minimum: int = 0,
            maximum: int = MAX_INDEX) -> int:
    raw = request.path_params.get(name, request.query_params.get(name))
    if raw is None:
        if default is None:
            raise ApiError(400, "missing-parameter", f"缺少参数 {name}")
        return default
    text = str(raw)
    if not re.fullmatch(r"0|[1-9][0-9]{0,16}", text):
        raise ApiError(400, "invalid-parameter", f"参数 {name} 应为非负整数，收到 {text[:40]!r}")
    value = int(text)
    if not minimum <= value <= maximum:
        raise ApiError(400, "invalid-parameter", f"参数 {name} 应在 {minimum} 到 {maximum} 之间")
    return value


def text(request: Request, name: str, *, pattern: str = r"[A-Za-z0-9._-]{1,64}") -> str | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(pattern, raw):
        raise ApiError(400, "invalid-parameter", f"参数 {name} 格式不正确")
    return raw
