"""Asks a witness to cosign a community's latest checkpoint (c2sp.org/tlog-witness client).

Sends the checkpoint with a consistency proof from the size the witness last cosigned (first
guess: the largest size it cosigned for us before, else 0); on 409 the witness says which size it
holds, and the request is retried once from there. The returned cosignature is verified with the
witness's key and stored in ``sunlight_cosignatures``; the published checkpoint carries it.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.errors import VerificationError
from ledger.crypto.note import Verifier, open_note, split_note
from ledger.crypto.witness_protocol import format_add_checkpoint_request
from ledger.tlog.cosignatures import latest_cosigned_size, store_cosignature

Post = Callable[[str, bytes], tuple[int, bytes]]
"""``(url, body) -> (status, response body)``: the HTTP transport (swappable in tests)."""

MAX_ATTEMPTS = 3
TIMEOUT = 30.0


class WitnessPushError(Exception):
    """The witness refused the checkpoint or answered something unusable (message in Chinese)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def urllib_post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())
    except (urllib.error.URLError, OSError) as exc:
        raise WitnessPushError(f"无法连接见证人 {url}：{exc}") from None


@dataclass(frozen=True)
class PushResult:
    witness: str
    old_size: int
    size: int
    cosignature: str  # the verified signature line


def push_checkpoint(app: Sunlight, community_id: str, witness_url: str, witness_key: Verifier,
                    post: Post = urllib_post) -> PushResult:
    signed = app.checkpoint(community_id)  # the log's own note, without cosignatures
    checkpoint = Checkpoint.parse(split_note(signed)[0])
    url = witness_url.rstrip("/") + "/add-checkpoint"
    old = min(latest_cosigned_size(app, community_id, witness_key.name), checkpoint.size)
    for _attempt in range(MAX_ATTEMPTS):
        proof = app.consistency_proof(community_id, old, checkpoint.size) if old else []
        status, body = post(url, format_add_checkpoint_request(old, proof, signed).encode())
        if status == 409:
            held = _size(body)
            if held > checkpoint.size:
                raise WitnessPushError(
                    f"见证人已见证过更大的树（{held} 条），而本日志只有 {checkpoint.size} 条："
                    "可能存在分叉或同名日志", status)
            if held == old:
                raise WitnessPushError(
                    f"见证人在 {held} 条处见证过另一棵树：本日志与见证人所见不一致（分叉）", status)
            old = held
            continue
        if status == 422:
            raise WitnessPushError(
                f"见证人见证过的 {old} 条的树与本日志不一致：本日志与见证人所见不同（分叉）", status)
        if status != 200:
            text = body.decode("utf-8", "replace").strip()[:300]
            raise WitnessPushError(f"见证人拒绝了检查点（HTTP {status}）：{text}", status)
        return _store(app, community_id, signed, checkpoint, old, body, witness_key)
    raise WitnessPushError("见证人反复回复 409，放弃本次推送", 409)


def _size(body: bytes) -> int:
    text = body.decode("ascii", "replace")
    if not text.endswith("\n") or not text[:-1].isdigit():
        raise WitnessPushError("见证人的 409 回复不是一个树大小", 409)
    return int(text[:-1])


def _store(app: Sunlight, community_id: str, signed: str, checkpoint: Checkpoint, old: int,
           body: bytes, witness_key: Verifier) -> PushResult:
    try:
        note = open_note(signed + body.decode("utf-8"), [witness_key])
    except (VerificationError, UnicodeDecodeError) as exc:
        raise WitnessPushError(f"见证人的回复中没有可验证的联署签名：{exc}") from None
    line = next(s.line() for s in note.signatures if witness_key.matches(s))
    store_cosignature(app, community_id, checkpoint.size, witness_key.name, line)
    return PushResult(witness_key.name, old, checkpoint.size, line)
