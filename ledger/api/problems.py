"""RFC 9457 problem documents: every error the service answers, in one shape.

Each error has a stable ``type`` (``/problems/<code>``, the domain error's English code), a
Chinese ``title`` that depends only on the status, and a Chinese ``detail`` for this occurrence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ledger.domain.errors import DomainError
from ledger.redaction import redact, redact_all

PROBLEM_MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "请求有误",
    401: "须先登录",
    403: "无权登记",
    404: "未找到",
    405: "不支持的请求方法",
    409: "冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "不符合规则",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}

_HTTP_CODES = {
    404: ("not-found", "没有这个地址"),
    405: ("method-not-allowed", "此地址不支持该请求方法"),
    413: ("body-too-large", "请求内容超过 64 KiB，未读取"),
}

log = logging.getLogger("sunlight.api")


class ApiError(DomainError):
    """An error raised by the HTTP layer itself (bad query parameter, rate limit, ...)."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.headers = headers or {}


def problem_type(code: str) -> str:
    return f"/problems/{code}"


def problem(status: int, code: str, detail: str, *, headers: Mapping[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"type": problem_type(code), "title": TITLES.get(status, "错误"),
                            "status": status, "detail": redact(detail), "code": code}
    if extra:
        body.update(redact_all(extra))
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE,
                    headers=headers)


# The field a refusal concerns where its message does not name it (a form shows it there).
CODE_FIELDS = {"insufficient-balance": "amount_fen", "over-budget-needs-decision": "decision_id",
               "decision-not-found": "decision_id", "decision-not-passed": "decision_id",
               "not-authorised-by-decision": "decision_id", "authorisation-exceeded": "amount_fen",
               "authorisation-used": "decision_id", "receipt-reused": "receipt_no",
               "invoice-reused": "invoice_sha256", "project-not-ready": "project_id",
               "budget-below-spent": "lines", "votes-exceed-attendance": "votes",
               "outcome-mismatch": "passed", "float-not-allowed": "amount_fen"}
_NAMED = re.compile(r"字段 ([A-Za-z_][A-Za-z0-9_]*)")


def field_of(exc: DomainError) -> str | None:
    """The body field a refusal concerns: named by the error, in its message, or by its code."""
    if exc.field:
        return exc.field
    named = _NAMED.search(exc.message)
    if named:
        return named.group(1)
    return CODE_FIELDS.get(exc.code)


def from_domain_error(exc: DomainError) -> Response:
    from ledger.application import BatchRejected

    extra: dict[str, Any] | None = None
    if isinstance(exc, BatchRejected):
        extra = {"errors": [{"row": e.row, "code": e.error.code, "detail": str(e.error),
                             "field": field_of(e.error)} for e in exc.errors]}
    elif field_of(exc) is not None:
        extra = {"field": field_of(exc)}
    headers = exc.headers if isinstance(exc, ApiError) else None
    return problem(exc.status, exc.code, str(exc), headers=headers, extra=extra)


async def domain_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return from_domain_error(exc)


async def http_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, detail = _HTTP_CODES.get(exc.status_code, ("http-error", str(exc.detail)))
    return problem(exc.status_code, code, detail, headers=exc.headers)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", extra={"event": "server_error", "path": request.url.path,
                                        "error": type(exc).__name__}, exc_info=exc)
    return problem(500, "internal-error", "服务器内部错误；请稍后重试（同一份签名声明重复提交不会重复登记）")
