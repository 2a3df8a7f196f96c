"""The c2sp.org/tlog-witness ``add-checkpoint`` endpoint, when the service is a witness.

The decision is :mod:`ledger.crypto.witness_protocol`'s; this module stores, per log origin, the
latest checkpoint it cosigned, and replaces it only with a compare-and-swap on the size, so two
concurrent requests (or two service processes) can never both advance from the same size.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ledger.api.problems import ApiError
from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.errors import MalformedError
from ledger.crypto.note import Verifier
from ledger.crypto.witness_protocol import (
    SIZE_CONTENT_TYPE,
    Cosigned,
    Rejected,
    WitnessState,
    parse_add_checkpoint_request,
)

metadata = MetaData()

witness_table = Table(
    "sunlight_witness_checkpoints", metadata,
    Column("origin", String(200), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("checkpoint", Text, nullable=False),  # the cosigned checkpoint, as answered
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

REASONS_ZH = {400: "请求格式有误", 403: "检查点签名无法验证", 404: "本见证人不见证该日志",
              422: "检查点与此前见证的不一致"}


class Witness:
    def __init__(self, ledger: Sunlight, signer: CosignatureSigner,
                 extra_logs: Sequence[Verifier] = ()) -> None:
        self.ledger = ledger
        self.signer = signer
        self.extra_logs = list(extra_logs)
        metadata.create_all(ledger.engine)

    @property
    def engine(self) -> Engine:
        return self.ledger.engine

    def logs(self) -> dict[str, list[Verifier]]:
        """Every log this witness cosigns: the communities hosted here and any configured."""
        logs: dict[str, list[Verifier]] = {}
        for info in self.ledger.communities():
            logs.setdefault(info.origin, []).append(Verifier.from_key_string(info.verifier_key))
        for verifier in self.extra_logs:
            logs.setdefault(verifier.name, []).append(verifier)
        return logs

    def add_checkpoint(self, body: bytes, now: int | None = None) -> Response:
        try:
            request = parse_add_checkpoint_request(body)
        except MalformedError as exc:
            raise ApiError(400, "witness-malformed", f"请求格式有误：{exc}") from None
        with self.engine.connect() as conn:
            row = conn.execute(select(witness_table.c.checkpoint).where(
                witness_table.c.origin == request.origin)).first()
        stored = Checkpoint.parse(row.checkpoint.split("\n\n", 1)[0] + "\n") if row else None
        state = WitnessState(self.signer, self.logs())
        decision = state.add_checkpoint(stored, request, now or int(time.time()))
        if isinstance(decision, Rejected):
            return self._rejected(decision)
        assert isinstance(decision, Cosigned)
        if not self._store(request.origin, request.old_size, stored is None, decision):
            with self.engine.connect() as conn:
                size = conn.execute(select(witness_table.c.size).where(
                    witness_table.c.origin == request.origin)).scalar_one()
            return Response(f"{size}\n", 409, headers={"Content-Type": SIZE_CONTENT_TYPE})
        return Response(decision.body, 200, media_type="text/plain; charset=utf-8")

    def _store(self, origin: str, old_size: int, first: bool, decision: Cosigned) -> bool:
        values = {"size": decision.checkpoint.size, "checkpoint": decision.signed_checkpoint,
                  "updated_at": datetime.now(UTC)}
        try:
            with self.engine.begin() as conn:
                if first:
                    conn.execute(insert(witness_table).values(origin=origin, **values))
                    return True
                result = conn.execute(sql_update(witness_table).where(
                    witness_table.c.origin == origin, witness_table.c.size == old_size
                ).values(**values))
                return result.rowcount == 1
        except IntegrityError:
            return False  # another request stored this origin's first checkpoint first

    def _rejected(self, decision: Rejected) -> Response:
        if decision.status == 409:
            return Response(decision.body, 409, headers={"Content-Type": SIZE_CONTENT_TYPE})
        raise ApiError(decision.status, f"witness-rejected-{decision.status}",
                       f"{REASONS_ZH.get(decision.status, '检查点被拒绝')}：{decision.reason}")


async def add_checkpoint(request: Request) -> Response:
    witness = request.app.state.services.witness
    if witness is None:
        raise ApiError(404, "witness-not-configured", "本服务未配置为见证人")
    assert isinstance(witness, Witness)
    body = await request.body()
    return await run_in_threadpool(witness.add_checkpoint, body)
