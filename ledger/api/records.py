"""Recording and reading records: ``POST`` a signed statement, list records with filters.

A ``201`` is answered only after ``Sunlight.submit`` has committed the entry, its tree nodes and
the checkpoint signed over it in one database transaction; the response therefore carries the
inclusion proof itself (no polling needed), against the checkpoint that covers the entry.

Named after the API's ``/records`` resources; ``publisher/records.py`` is the portal's reading of
the same records.
"""

from __future__ import annotations

import random
import time
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from ledger.api import paging, params
from ledger.api.context import Services, services
from ledger.api.problems import ApiError
from ledger.api.readmodel import ON_LOOP, PERIOD, Busy, Filter, matching, record_json
from ledger.api.schemas import BatchIn, SubmissionIn
from ledger.application import BatchRejected, Receipt, Sunlight
from ledger.crypto._encoding import b64encode
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.note import split_note
from ledger.crypto.proof_file import format_proof
from ledger.domain.errors import Conflict, DomainError, InvalidInput
from ledger.domain.state import explain
from ledger.proposals import Proposals
from ledger.signing import Statement, Submission

CONTENTION_RETRIES = 5


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


def parse_json(raw: bytes, shape: type[BaseModel]) -> Any:
    """A request body as parsed JSON, checked against ``shape`` (its schema in the OpenAPI
    document): a body that is not JSON or not of that shape is a Chinese 400."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("请求内容不是有效的 JSON", code="body-not-json") from None
    try:
        shape.model_validate(obj)
    except ValidationError as exc:
        raise InvalidInput(explain(exc), code="submission-malformed") from None
    return obj


def parse_submission(raw: bytes) -> Submission:
    return Submission.from_json(parse_json(raw, SubmissionIn))


def receipt_json(ledger: Sunlight, receipt: Receipt) -> dict[str, Any]:
    at_hand = receipt.inclusion_proof()  # proved from the nodes the append just wrote
    if at_hand is not None:
        size, proof = receipt.tree_size, at_hand
    else:
        text, _ = split_note(receipt.checkpoint)
        size = Checkpoint.parse(text).size
        proof = ledger.inclusion_proof(receipt.community_id, receipt.index, size)
    return {"community": receipt.community_id, "index": receipt.index,
            "statement_hash": receipt.statement_hash, "duplicate": receipt.duplicate,
            "checkpoint": receipt.checkpoint, "tree_size": size,
            "inclusion_proof": [b64encode(h) for h in proof],
            "proof": format_proof(receipt.index, proof, receipt.checkpoint)}


def record_location(community: str, index: int) -> str:
    return f"/v1/communities/{community}/records/{index}"


async def submit_record(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    params.require_json(request, "签名声明")
    submission = parse_submission(await request.body())
    dry_run = request.query_params.get("dry_run", "") in ("1", "true")
    limited = s.limiter.key_blocked(submission.key_id)
    if limited is not None:
        raise ApiError(429, "rate-limited-key", "该密钥提交过于频繁，请稍后再试",
                       {"Retry-After": str(limited)})
    # A key is charged only for what its owner signed: a new record, or a refusal that came
    # after the signature verified against that key. Anyone can claim a key ID or replay a
    # published statement (a duplicate), so neither uses up the key's budget.
    try:
        if dry_run:
            body = await run_in_threadpool(_dry_run, s, community, [submission])
            return json_response(body)
        body = await run_in_threadpool(_submit, s, community, submission)
    except BatchRejected as exc:
        if any(e.error.signed for e in exc.errors):
            s.limiter.charge_key(submission.key_id)
        raise exc.errors[0].error from None  # one statement: its own refusal, as a submit gives
    except DomainError as exc:
        if exc.signed:
            s.limiter.charge_key(submission.key_id)
        raise
    if not body["duplicate"]:
        s.limiter.charge_key(submission.key_id)
        s.metrics.appends.labels(community).inc()
        s.publisher.notify(community)
        s.witnessing.notify(community)
    return json_response(body, 200 if body["duplicate"] else 201,
                         {"Location": record_location(community, body["index"])})


def _dry_run(s: Services, community: str, submissions: list[Submission]) -> dict[str, Any]:
    """Every rule checked, as a submit would, and nothing written (``?dry_run=1``)."""
    s.ledger.community(community)
    for sub in submissions:
        if Statement.from_bytes(sub.statement).community != community:
            raise InvalidInput("声明中的社区与提交地址中的社区不一致", code="community-mismatch")
    s.ledger.submit_batch(submissions, dry_run=True)
    return {"dry_run": True, "accepted": len(submissions)}


async def submit_batch(request: Request) -> Response:
    """``POST …/batches``: statements recorded all together or not at all (an import); with
    ``?dry_run=1`` only checked, and every bad row named by its position."""
    s = services(request)
    community = params.community(request)
    params.require_json(request, "签名声明")
    obj = parse_json(await request.body(), BatchIn)
    submissions = [Submission.from_json(o) for o in obj["records"]]
    if request.query_params.get("dry_run", "") in ("1", "true"):
        return json_response(await run_in_threadpool(_dry_run, s, community, submissions))
    receipts = await run_in_threadpool(_submit_all, s, community, submissions)
    fresh = sum(not r["duplicate"] for r in receipts)
    if fresh:
        s.metrics.appends.labels(community).inc(fresh)
        s.publisher.notify(community)
        s.witnessing.notify(community)
    return json_response({"receipts": receipts}, 201)


def _submit_all(s: Services, community: str, submissions: list[Submission]) -> list[dict[str, Any]]:
    s.ledger.community(community)
    for sub in submissions:
        if Statement.from_bytes(sub.statement).community != community:
            raise InvalidInput("声明中的社区与提交地址中的社区不一致", code="community-mismatch")
    return [receipt_json(s.ledger, r) for r in s.ledger.submit_batch(submissions)]


def _submit(s: Services, community: str, submission: Submission) -> dict[str, Any]:
    ledger = s.ledger
    ledger.community(community)  # 404 for a community this service does not host
    if Statement.from_bytes(submission.statement).community != community:
        raise InvalidInput("声明中的社区与提交地址中的社区不一致", code="community-mismatch")
    for attempt in range(CONTENTION_RETRIES):
        try:
            receipt = s.writer.submit(community, submission)
            if not receipt.duplicate:  # the answer to an objection releases the proposal it held
                Proposals(ledger).after_append(community, Statement.from_bytes(submission.statement))
            return receipt_json(ledger, receipt)
        except Conflict as exc:
            # Other processes kept appending first. Submitting is idempotent, so try again
            # after a short random pause rather than hand the member a 409.
            if exc.code != "write-contention" or attempt == CONTENTION_RETRIES - 1:
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


async def list_records(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    where = Filter(kind=params.text(request, "kind"), category=params.text(request, "category"),
                   estate=params.text(request, "estate"),
                   period=params.text(request, "period", pattern=PERIOD))
    start = paging.offset(request)
    limit = paging.limit(request)
    return await s.reading.memory([community], _records_page, s, community, where, start, limit,
                                request.url)


def _records_page(s: Services, community: str, where: Filter, start: int, limit: int,
                  url: URL) -> Response:
    with s.reads.locked(community) as view:
        hits, following = matching(view, where, start, limit)
    parts = paging.fit_bytes(_record_parts(s, community, hits))
    if len(parts) < len(hits):  # the page ended early on its byte budget
        following = hits[len(parts)]
    return paging.respond(url, "records", parts, None if following is None else str(following))


def _record_parts(s: Services, community: str, indexes: list[int]) -> list[bytes]:
    """The records' JSON, from the cache where it has them, else read and cached. On the event
    loop (ON_LOOP) a record missing from the cache raises Busy: the read moves to a thread."""
    parts = s.reads.records.get(community, indexes)
    missing = [i for i, part in zip(indexes, parts, strict=True) if part is None]
    if missing:
        if ON_LOOP.get():
            raise Busy(community)
        read = {}
        for i, data in s.reads.entries(community, missing):
            read[i] = orjson.dumps(record_json(i, data))
            s.reads.records.put(community, i, read[i])
        parts = [part if part is not None else read.get(i) for i, part in zip(indexes, parts, strict=True)]
    return [part for part in parts if part is not None]


async def get_record(request: Request) -> Response:
    s = services(request)
    community = params.community(request)
    index = params.integer(request, "index")
    return await s.reading.memory([community], _record, s, community, index)


def _record(s: Services, community: str, index: int) -> Response:
    with s.reads.locked(community) as view:
        size = view.size
    found = _record_parts(s, community, [index]) if 0 <= index < size else []
    if not found:
        raise ApiError(404, "record-not-found", f"社区 {community} 没有序号为 {index} 的记录")
    return Response(found[0], media_type="application/json")
