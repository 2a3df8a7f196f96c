"""``sunlight witness``: a small c2sp.org/tlog-witness cosigner an independent party runs.

It keeps, per log origin, the latest checkpoint it cosigned (:class:`ledger.store.WitnessStore`),
and advances it only by an atomic compare-and-swap on the size, so two concurrent requests can
never both advance from the same size (the race the spec describes). The decision itself is
:mod:`ledger.crypto.witness_protocol`'s.

Witness key files hold ``PRIVATE+KEY+<name>+<key ID hex>+base64(0x04 || 32-byte seed)``, the Go
note private-key form with the cosignature signature type.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ledger.crypto._encoding import b64decode, b64encode
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.errors import MalformedError, MalformedNoteError
from ledger.crypto.note import SIG_COSIGNATURE_V1, Verifier, split_note
from ledger.crypto.witness_protocol import (
    SIZE_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    Cosigned,
    Rejected,
    WitnessState,
    parse_add_checkpoint_request,
)
from ledger.store import WitnessStore

log = logging.getLogger("sunlight.witness")

MAX_BODY = 64 * 1024


# --- keys ----------------------------------------------------------------------------------------


def witness_key_string(signer_name: str, seed: bytes) -> str:
    signer = CosignatureSigner.from_seed(signer_name, seed)
    return f"PRIVATE+KEY+{signer_name}+{signer.key_id.hex()}+{b64encode(bytes([SIG_COSIGNATURE_V1]) + seed)}"


def parse_witness_key(skey: str) -> CosignatureSigner:
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise MalformedNoteError("not a PRIVATE+KEY string")
    raw = b64decode(parts[4], "private key", MalformedNoteError)
    if len(raw) != 33 or raw[0] != SIG_COSIGNATURE_V1:
        raise MalformedNoteError("not an Ed25519 cosignature (type 0x04) private key")
    signer = CosignatureSigner.from_seed(parts[2], raw[1:])
    if parts[3] != signer.key_id.hex():
        raise MalformedNoteError("private key ID does not match the key")
    return signer


def generate_witness_key(name: str, path: Path) -> CosignatureSigner:
    """Writes a new witness key to ``path`` (0600, never overwriting) and returns it."""
    seed = os.urandom(32)
    skey = witness_key_string(name, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(skey + "\n")
    return parse_witness_key(skey)


def load_witness_key(path: Path) -> CosignatureSigner:
    return parse_witness_key(path.read_text())


# --- state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = TEXT_CONTENT_TYPE


class Witness:
    """The witness: its key, the logs it watches, and its table of latest checkpoints."""

    def __init__(self, signer: CosignatureSigner,
                 logs: Sequence[Verifier] | Callable[[], Sequence[Verifier]], store: WitnessStore,
                 clock: Callable[[], float] = time.time) -> None:
        """``logs``: the log keys to witness, or a function giving them (read per request, for a
        ledger service that witnesses the communities it hosts)."""
        self.signer = signer
        self._logs = logs
        self.store = store
        self.clock = clock

    @classmethod
    def open(cls, signer: CosignatureSigner, logs: Sequence[Verifier], db_url: str) -> Witness:
        return cls(signer, logs, WitnessStore.open(db_url))

    @property
    def state(self) -> WitnessState:
        logs = self._logs() if callable(self._logs) else self._logs
        grouped: dict[str, list[Verifier]] = {}
        for verifier in logs:
            grouped.setdefault(verifier.name, []).append(verifier)
        return WitnessState(self.signer, grouped)

    def latest(self, origin: str) -> tuple[int, str] | None:
        return self.store.latest(origin)

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = parse_add_checkpoint_request(body)
        except MalformedError as exc:
            return Answer(400, f"malformed request: {exc}\n")
        row = self.latest(request.origin)
        stored = Checkpoint.parse(split_note(row[1])[0]) if row else None
        decision = self.state.add_checkpoint(stored, request, int(self.clock()))
        if isinstance(decision, Rejected):
            if decision.status == 422 and stored is not None:
                # A checkpoint the log signed that does not extend the one cosigned before: the
                # log has forked (or shows different histories to different parties).
                log.warning("origin %s: FORK: refused checkpoint of size %d, not consistent with "
                            "the checkpoint of size %d cosigned before: %s", request.origin,
                            request.checkpoint.size, stored.size, decision.reason)
            elif decision.status != 409:
                log.info("origin %s: rejected %d: %s", request.origin, decision.status, decision.reason)
            return Answer(decision.status, decision.body or decision.reason + "\n", decision.content_type)
        assert isinstance(decision, Cosigned)
        if not self._swap(request.origin, None if stored is None else stored.size, decision):
            row = self.latest(request.origin)
            size = row[0] if row else 0
            return Answer(409, f"{size}\n", SIZE_CONTENT_TYPE)
        log.info("origin %s: cosigned size %d", request.origin, decision.checkpoint.size)
        return Answer(200, decision.body)

    def _swap(self, origin: str, old: int | None, decision: Cosigned) -> bool:
        """Stores the new checkpoint only if the stored size is still ``old`` (None: no row)."""
        return self.store.swap(origin, old, decision.checkpoint.size, decision.signed_checkpoint,
                               datetime.now(UTC))


def create_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return PlainTextResponse("request body too large\n", 413)
        answer = await run_in_threadpool(witness.add_checkpoint, body)
        # Given as a header so Starlette adds no charset: the spec names "text/x.tlog.size" exactly.
        return Response(answer.body, answer.status, headers={"Content-Type": answer.content_type})

    async def index(_request: Request) -> Response:
        return PlainTextResponse(f"sunlight witness {witness.state.cosigner.verifier_key()}\n")

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
                             Route("/", index, methods=["GET"])])
