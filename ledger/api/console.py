"""The committee console at ``/console/``: a static app served by the service itself.

Plain HTML, CSS and JavaScript modules, no build step (see the README for why): the service
serves the files from ``ledger/console/`` under a Content-Security-Policy that allows nothing
from another host, and the app calls the same API as everyone else. Its keys are made and kept
in the browser; nothing here ever sees one.

Also here, for the console: ``GET /v1/kinds`` (every record kind described for a form, from the
kinds registry) and the pairing of a new member's public key under its key ID (in memory, short
lived: a public key is no secret, and the 主任's console reads it back to admit the member).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api import params
from ledger.api.context import services
from ledger.api.problems import ApiError
from ledger.api.records import json_response, parse_json
from ledger.api.schemas import PairingIn
from ledger.domain.errors import InvalidInput
from ledger.domain.kinds import KINDS, FieldSpec, Kind
from ledger.domain.member import key_id_of
from ledger.domain.roles import Role

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"), (b"cross-origin-opener-policy", b"same-origin")]


class ConsoleHeaders:
    """Adds the console's security headers to every answer under ``/console/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def static_files() -> StaticFiles:
    return StaticFiles(directory=CONSOLE_DIR, html=True)


# --- the kinds, for forms --------------------------------------------------------------------

def field_json(f: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "label": f.label, "help": f.help, "shape": f.shape.value,
                           "required": f.required}
    if f.values:
        out["values"] = [{"value": v, "label": label} for v, label in f.values]
    if f.ref:
        out["ref"] = f.ref
    if f.fields:
        out["fields"] = [field_json(sub) for sub in f.fields]
    if f.item is not None:
        out["item"] = f.item.value
    if f.example is not None:
        out["example"] = f.example
    return out


def kind_json(kind: Kind) -> dict[str, Any]:
    return {"kind": kind.name, "title": kind.title,
            "signers": [role.value for role in Role if role in kind.signers],
            "creates": None if kind.creates is None else {
                "namespace": kind.creates.namespace, "id_field": kind.creates.id_field,
                "name_field": kind.creates.name_field},
            "cosigned_by_default": bool(kind.cosign),
            "fields": [field_json(f) for f in kind.fields]}


_KINDS_BODY = orjson.dumps({"kinds": [kind_json(k) for k in KINDS.values()],
                            "roles": [{"value": r.value, "label": r.label} for r in Role]})


async def list_kinds(_request: Request) -> Response:
    return Response(_KINDS_BODY, media_type="application/json",
                    headers={"Cache-Control": "public, max-age=300"})


async def console_settings(request: Request) -> Response:
    return json_response({"portal_url": request.app.state.portal_url})


# --- import templates and tables ------------------------------------------------------------

MAX_IMPORT = 2 * 1024 * 1024


def import_body_limit(path: str) -> int | None:
    """An import's table and its batch of signed rows may be larger than one statement."""
    return MAX_IMPORT if path.endswith(("/batches", "/rows")) else None


def _known_kind(request: Request) -> str:
    kind = str(request.path_params["kind"])
    if kind not in KINDS:
        raise ApiError(404, "unknown-kind", f"没有记录类型 {kind[:64]}")
    return kind


async def template(request: Request) -> Response:
    from ledger.templates import template_bytes

    kind = _known_kind(request)
    fmt = str(request.path_params["fmt"])
    if fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not-found", "模板格式应为 csv 或 xlsx")
    data = template_bytes(kind, fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{kind}.{fmt}\""})


async def parse_rows(request: Request) -> Response:
    """The rows of an uploaded template, as bodies to sign (money already in fen, labels as
    values) and the person of each row apart; a row that cannot be read is listed with its
    line number. Nothing is recorded: the console signs the rows and dry-runs the batch."""
    kind = _known_kind(request)
    name = request.query_params.get("name", "import.csv")
    if len(name) > 200:
        raise ApiError(400, "invalid-parameter", "参数 name（文件名）不得超过 200 个字符")
    data = await request.body()
    return json_response({"rows": await run_in_threadpool(read_rows, kind, name, data)})


def read_rows(kind: str, name: str, data: bytes) -> list[dict[str, Any]]:
    """The rows as the console takes them, read by the same reader as ``record --from-file``."""
    from ledger import importing  # here: the service starts without the spreadsheet readers

    slots = [n for n in KINDS[kind].body.model_fields if n.endswith("_commitment")]
    out: list[dict[str, Any]] = []
    for row in importing.read_rows(name, data, kind):
        if row.error is None and row.person and len(slots) != 1:
            row = importing.ImportRow(row.line, None, error=InvalidInput(
                f"“{KINDS[kind].title}”不收集个人信息", code="no-private-fields"))
        if row.error is not None:
            out.append({"line": row.line, "error": str(row.error)})
        else:
            out.append({"line": row.line, "body": row.body, "person": row.person or None,
                        "commitment_field": slots[0] if slots else None})
    return out


# --- pairing a new member's key ------------------------------------------------------------

PAIRING_TTL = timedelta(hours=24)
PAIRING_MAX = 10_000  # pending at once, across the service


async def offer_key(request: Request) -> Response:
    """A new member's public key, kept a day under its key ID (the pairing code), in the
    database: every worker and every service on it can answer the 主任's console."""
    s = services(request)
    params.require_json(request, "公钥")
    obj = parse_json(await request.body(), PairingIn)
    public_key, name = obj["public_key"], obj.get("name", "")
    key_id = key_id_of(public_key)

    def offer() -> bool:
        now = s.ledger.clock()
        return s.ledger.store.offer_pairing(key_id, public_key, name, now + PAIRING_TTL, now,
                                            PAIRING_MAX)

    if not await run_in_threadpool(offer):
        raise ApiError(503, "too-many-pairings", "待配对的新密钥过多，请稍后再试", {"Retry-After": "60"})
    return json_response({"key_id": key_id, "public_key": public_key, "name": name}, 201)


async def find_key(request: Request) -> Response:
    s = services(request)
    code = str(request.path_params["key_id"]).replace(" ", "").replace("-", "").lower()
    found = None
    if re.fullmatch(r"[0-9a-f]{16}", code):
        found = await run_in_threadpool(s.ledger.store.pairing, code, s.ledger.clock())
    if found is None:
        raise ApiError(404, "pairing-not-found", f"没有配对码为 {code[:20]} 的新成员密钥（配对码 24 小时内有效；"
                       "请新成员重新打开“我的密钥”页面）")
    return json_response({"key_id": code, "public_key": found[0], "name": found[1]})


async def qr_svg(request: Request) -> Response:
    """A QR code (SVG) of a same-site address, for the donor's receipt and the pairing code."""
    data = request.query_params.get("data", "")
    if not 0 < len(data) <= 512:
        raise ApiError(400, "invalid-parameter", "参数 data 应为 1 至 512 个字符")
    import segno  # here: the service starts without it

    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=4, border=2, title="二维码")
    return Response(out.getvalue(), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


# --- the demo only ---------------------------------------------------------------------------

async def demo_members(request: Request) -> Response:
    """The demo community's members with their key seeds (public: :mod:`ledger.demo`), so that
    the console can act as one of them. Routed only by ``sunlight demo``, never by ``serve``."""
    from ledger.demo import COMMUNITY, NOTICE, members_in_office

    ledger = request.app.state.services.ledger
    members = await run_in_threadpool(members_in_office, ledger)
    return json_response({"community": COMMUNITY, "notice": NOTICE, "members": members})
