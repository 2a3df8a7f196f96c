"""Founding a community through the service: only with the operator's one-time invitation.

``POST /v1/communities/{community}/founding`` with ``Authorization: Bearer <token>`` (printed once
by ``sunlight init --invite``) and ``{"records": [<community.founded>, …]}``: the founding
statement first, then any others the founder signed (estates, members). The community's log, its
first entries and checkpoint, and the use of the invitation are one transaction; a refused
founding leaves nothing and the invitation unused. ``POST …/records`` never founds.

The HTTP edge of :mod:`ledger.founding` (what a founding is), hence the same name.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ledger.api import params
from ledger.api.context import Services, services
from ledger.api.problems import ApiError
from ledger.api.records import json_response, parse_json, receipt_json
from ledger.api.schemas import FoundingIn
from ledger.signing import Submission


def invitation_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(403, "founding-not-authorised",
                       "建立社区须凭运营方发出的建账邀请码（请求头 Authorization: Bearer <邀请码>）")
    return token.strip()


async def found_community(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    params.require_json(request, "建账声明")
    token = invitation_token(request)
    obj = parse_json(await request.body(), FoundingIn)
    submissions = [Submission.from_json(o) for o in obj["records"]]
    body = await run_in_threadpool(_found, s, community, token, submissions)
    s.metrics.appends.labels(community).inc(len(body["receipts"]))
    s.publisher.notify(community)
    s.witnessing.notify(community)
    return json_response(body, 201, {"Location": f"/v1/communities/{community}"})


def _found(s: Services, community: str, token: str, submissions: list[Submission]
           ) -> dict[str, Any]:
    receipts = s.ledger.found_by_invitation(community, token, submissions)
    info = s.ledger.community(community)
    return {"community": community, "origin": info.origin, "verifier_key": info.verifier_key,
            "receipts": [receipt_json(s.ledger, r) for r in receipts]}
