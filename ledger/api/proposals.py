"""Proposals over HTTP: propose a statement that still lacks co-signatures, list and read them
(members in office only: :mod:`ledger.api.auth`), add a signature (the signature is the
authority: no session needed). :mod:`ledger.proposals` does the work."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ledger.api import params
from ledger.api.auth import require_session
from ledger.api.context import Services, services
from ledger.api.problems import ApiError
from ledger.api.records import (
    json_response,
    parse_json,
    parse_submission,
    receipt_json,
    record_location,
)
from ledger.api.schemas import SignatureIn
from ledger.application import Receipt
from ledger.domain.errors import DomainError, InvalidInput
from ledger.proposals import Proposal, Proposals
from ledger.signing import Statement


def proposal_location(community: str, proposal_id: str) -> str:
    return f"/v1/communities/{community}/proposals/{proposal_id}"


def _answer(s: Services, community: str, result: Receipt | Proposal, *, new: bool) -> Response:
    if isinstance(result, Receipt):
        if not result.duplicate:
            s.metrics.appends.labels(community).inc()
            s.publisher.notify(community)
            s.witnessing.notify(community)
        return json_response(receipt_json(s.ledger, result), 200 if result.duplicate else 201,
                             {"Location": record_location(community, result.index)})
    body: dict[str, Any] = result.to_json()
    if new:
        body["message"] = "已保存为提案，尚未登记：" + "；".join(result.missing)
    return json_response(body, 202 if new else 200,
                         {"Location": proposal_location(community, result.proposal_id)})


async def propose(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    params.require_json(request, "签名声明")
    submission = parse_submission(await request.body())
    limited = s.limiter.key_blocked(submission.key_id)
    if limited is not None:
        raise ApiError(429, "rate-limited-key", "该密钥提交过于频繁，请稍后再试",
                       {"Retry-After": str(limited)})

    def run() -> Receipt | Proposal:
        s.ledger.community(community)
        if Statement.from_bytes(submission.statement).community != community:
            raise InvalidInput("声明中的社区与提交地址中的社区不一致", code="community-mismatch")
        return Proposals(s.ledger).propose(submission)

    try:
        result = await run_in_threadpool(run)
    except DomainError as exc:
        if exc.signed:
            s.limiter.charge_key(submission.key_id)
        raise
    s.limiter.charge_key(submission.key_id)
    return _answer(s, community, result, new=True)


async def list_proposals(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    status = params.text(request, "status", pattern="pending|appended|expired")

    def run() -> list[Proposal]:
        s.ledger.community(community)
        require_session(request, s.ledger, community)
        return Proposals(s.ledger).listing(community, status)

    found = await run_in_threadpool(run)
    return json_response({"proposals": [p.to_json() for p in found]})


async def get_proposal(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    proposal_id = str(request.path_params["proposal"])

    def run() -> Proposal:
        s.ledger.community(community)
        require_session(request, s.ledger, community)
        return Proposals(s.ledger).get(community, proposal_id)

    return json_response((await run_in_threadpool(run)).to_json())


async def add_signature(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    proposal_id = str(request.path_params["proposal"])
    params.require_json(request, "签名")
    body = parse_json(await request.body(), SignatureIn)
    try:
        signature = base64.b64decode(body["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "submission-malformed", "签名应为 base64") from None
    limited = s.limiter.key_blocked(body["key_id"])
    if limited is not None:
        raise ApiError(429, "rate-limited-key", "该密钥提交过于频繁，请稍后再试",
                       {"Retry-After": str(limited)})

    def run() -> Receipt | Proposal:
        return Proposals(s.ledger).cosign(community, proposal_id, body["key_id"], signature)

    result = await run_in_threadpool(run)
    s.limiter.charge_key(body["key_id"])
    return _answer(s, community, result, new=False)

