"""The c2sp.org/tlog-witness ``add-checkpoint`` endpoint, when the service is a witness.

The witness itself (decision, compare-and-swap store of the latest cosigned checkpoint per origin)
is :class:`ledger.tlog.witness.Witness`, the same one ``sunlight witness serve`` runs; here it
witnesses the logs of the communities this service hosts plus any configured, and answers refusals
other than 409 as problem documents. The HTTP edge of that witness, hence the same name.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ledger.api.problems import ApiError
from ledger.application import Sunlight
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.note import Verifier
from ledger.tlog.witness import Witness as CoreWitness

REASONS_ZH = {400: "请求格式有误", 403: "检查点签名无法验证", 404: "本见证人不见证该日志",
              422: "检查点与此前见证的不一致"}


class Witness:
    def __init__(self, ledger: Sunlight, signer: CosignatureSigner,
                 extra_logs: Sequence[Verifier] = ()) -> None:
        self.ledger = ledger
        self.signer = signer
        self.extra_logs = list(extra_logs)
        self.core = CoreWitness(signer, self.logs, ledger.store.witness_state())

    def logs(self) -> list[Verifier]:
        """Every log this witness cosigns: the communities hosted here and any configured."""
        hosted = [Verifier.from_key_string(info.verifier_key) for info in self.ledger.communities()]
        return hosted + self.extra_logs

    def add_checkpoint(self, body: bytes) -> Response:
        answer = self.core.add_checkpoint(body)
        if answer.status in (200, 409):
            # Given as a header so that Starlette adds no charset to text/x.tlog.size.
            return Response(answer.body, answer.status, headers={"Content-Type": answer.content_type})
        raise ApiError(answer.status, f"witness-rejected-{answer.status}",
                       f"{REASONS_ZH.get(answer.status, '检查点被拒绝')}：{answer.body.strip()}")


async def add_checkpoint(request: Request) -> Response:
    witness = request.app.state.services.witness
    if witness is None:
        raise ApiError(404, "witness-not-configured", "本服务未配置为见证人")
    assert isinstance(witness, Witness)
    body = await request.body()
    return await run_in_threadpool(witness.add_checkpoint, body)

