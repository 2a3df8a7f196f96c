"""The OpenAPI 3.1 document, generated from the route table.

Every API route is an :class:`ApiRoute` that carries an :class:`Operation`: its parameters,
request body and responses, with JSON schemas taken from the pydantic models in
:mod:`ledger.api.schemas` and, for the record kinds, from the kinds registry (each field with
its Chinese label as ``title``, its help as ``description``, an enumeration's labels as
``x-labels``). Nothing is written by
hand twice: a route without an operation does not appear, and an operation cannot exist
without its route.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.routing import BaseRoute, Route

from ledger.api import schemas
from ledger.api.problems import PROBLEM_MEDIA_TYPE
from ledger.domain.kinds import KINDS
from ledger.domain.roles import Role

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"

ERROR_TEXT = {
    400: "请求参数或内容有误",
    401: "须先登录：本社区在任成员用密钥签名登录（/auth/challenge、/auth/session）",
    403: "签名无效，或签名者无权登记",
    404: "没有该社区、记录或资源",
    409: "与已有记录冲突",
    413: "请求内容超过 64 KiB",
    415: "内容类型不是 application/json",
    422: "违反业务规则，未登记",
    429: "请求过于频繁，请按 Retry-After 稍候",
    503: "服务暂不可用（数据库不可用、日志签名密钥不可用、社区数据载入中或查询超过时限），请按 Retry-After 稍候",
}


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" | "query"
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True)
class Body:
    media_type: str
    schema: dict[str, Any] | type[BaseModel]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    responses: dict[int, Body | str]  # a str is a description of a response without content
    params: tuple[Param, ...] = ()
    request: Body | None = None
    errors: tuple[int, ...] = ()
    headers: dict[int, dict[str, str]] = field(default_factory=dict)  # status -> name -> text
    security: str | None = None  # a name in SECURITY_SCHEMES


class ApiRoute(Route):
    """A Starlette route that documents itself."""

    def __init__(self, path: str, endpoint: Callable[..., Any], *, methods: Sequence[str],
                 operation: Operation, name: str | None = None) -> None:
        super().__init__(path, endpoint, methods=list(methods), name=name)
        self.operation = operation


SECURITY_SCHEMES = {
    "foundingInvitation": {
        "type": "http", "scheme": "bearer",
        "description": "运营方用 sunlight init --invite 生成的一次性建账邀请码（只在建账时使用）"},
    "memberSession": {
        "type": "http", "scheme": "bearer",
        "description": "在任成员的登录会话（15 分钟）：POST …/auth/session 返回的令牌，"
                       "或同时设置的 HttpOnly Cookie sunlight_session"},
}

COMMUNITY = Param("community", "path", {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{1,62}$"},
                  "社区编号", required=True)


def _path(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def _schema(source: dict[str, Any] | type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(source, dict):
        return source
    generated = source.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(generated.pop("$defs", {}))
    defs[source.__name__] = generated
    return {"$ref": f"#/components/schemas/{source.__name__}"}


def _content(body: Body, defs: dict[str, Any]) -> dict[str, Any]:
    return {body.media_type: {"schema": _schema(body.schema, defs)}}


def record_kinds_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """``Record`` with its ``body`` bound to the record kind's own schema."""
    variants = []
    for kind, spec in sorted(KINDS.items()):
        name = "Body_" + kind.replace(".", "_")
        generated = spec.body.model_json_schema(ref_template="#/components/schemas/{model}")
        defs.update(generated.pop("$defs", {}))
        generated["title"] = f"{spec.title}（{kind}）"
        generated["x-signers"] = [role.value for role in Role if role in spec.signers]
        generated["examples"] = [spec.example()]
        defs[name] = generated
        variants.append({"type": "object",
                         "properties": {"kind": {"const": kind},
                                        "body": {"$ref": f"#/components/schemas/{name}"}}})
    return {"anyOf": variants}


def build_document(routes: Sequence[BaseRoute], *, title: str, version: str) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    _schema(schemas.Problem, defs)
    _schema(schemas.Record, defs)
    defs["Record"] = {"allOf": [dict(defs["Record"]), record_kinds_schema(defs)]}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, ApiRoute):
            continue
        op = route.operation
        for method in sorted((route.methods or set()) - {"HEAD"}):
            responses: dict[str, Any] = {}
            for status, body in op.responses.items():
                entry: dict[str, Any] = {"description": body if isinstance(body, str)
                                         else body.description or "成功"}
                if not isinstance(body, str):
                    entry["content"] = _content(body, defs)
                if status in op.headers:
                    entry["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                                        for name, text in op.headers[status].items()}
                responses[str(status)] = entry
            for status in sorted({*op.errors, 429}):
                entry = {"description": ERROR_TEXT[status],
                         "content": {PROBLEM_MEDIA_TYPE: {
                             "schema": {"$ref": "#/components/schemas/Problem"}}}}
                if status in (429, 503):
                    entry["headers"] = {"Retry-After": {"description": "秒",
                                                        "schema": {"type": "string"}}}
                responses[str(status)] = entry
            operation: dict[str, Any] = {
                "summary": op.summary, "tags": [op.tag],
                "operationId": f"{method.lower()}_{route.name}",
                "responses": responses,
            }
            if op.params:
                operation["parameters"] = [
                    {"name": p.name, "in": p.where, "required": p.required or p.where == "path",
                     "description": p.description, "schema": p.schema} for p in op.params]
            if op.security is not None:
                operation["security"] = [{op.security: []}]
            if op.request is not None:
                operation["requestBody"] = {"required": True, "description": op.request.description,
                                            "content": _content(op.request, defs)}
            paths.setdefault(_path(route.path), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "阳光账本：签名记录的登记、查询与审计接口。错误均为 RFC 9457 "
                                "application/problem+json，type 为稳定的 /problems/<code>。"},
        "paths": paths,
        "components": {"schemas": defs, "securitySchemes": SECURITY_SCHEMES},
    }


class Document:
    """The OpenAPI document of a route table, built on its first request and kept: building
    every model's and record kind's schema would otherwise take a share of the service's
    start-up, before its first answer."""

    def __init__(self, routes: Sequence[BaseRoute], *, title: str, version: str) -> None:
        self._routes, self._title, self._version = list(routes), title, version
        self._document: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def document(self) -> dict[str, Any]:
        with self._lock:
            if self._document is None:
                self._document = build_document(self._routes, title=self._title,
                                                version=self._version)
            return self._document
