"""Witnesses in plain words: who confirmed the published checkpoint, and when.

A witness (街道办, a neighbouring community, a newspaper) cosigns the log's checkpoint after
checking that the log only grew. The portal speaks of the community's configured witnesses
(``sunlight witness add --name 街道办``: the ones the service pushes checkpoints to) and of any
the operator names when publishing (``sunlight publish --witness 街道办=<verifier key>``); a
cosignature is shown only when it verifies with that key. The keys are published in
``data/witnesses.json`` for the in-browser check and anyone else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledger.crypto.cosignature import cosignature_timestamp
from ledger.crypto.errors import VerificationError
from ledger.crypto.note import SIG_COSIGNATURE_V1, Verifier, split_note
from ledger.store import WitnessRow
from publisher.files import write_if_changed
from publisher.fmt import esc, local_time

log = logging.getLogger("sunlight.publisher")


@dataclass(frozen=True)
class Witness:
    label: str  # what residents call it: 街道办
    key: str  # its note verifier key (cosignature/v1)

    @classmethod
    def parse(cls, text: str) -> Witness:
        """``街道办=<name>+<key id>+<key>``; a ``ValueError`` in Chinese otherwise."""
        label, sep, key = text.partition("=")
        if not sep or not label.strip() or not key.strip():
            raise ValueError(f"见证人应写作 名称=公钥，如 街道办=witness.example+1a2b3c4d+BASE64：{text!r}")
        try:
            verifier = Verifier.from_key_string(key.strip())
        except (VerificationError, ValueError) as exc:
            raise ValueError(f"见证人 {label.strip()} 的公钥无效：{exc}") from None
        if verifier.sig_type != SIG_COSIGNATURE_V1:
            raise ValueError(f"见证人 {label.strip()} 的公钥不是联署（cosignature/v1）公钥")
        return cls(label.strip(), key.strip())


def with_configured(named: tuple[Witness, ...], rows: Iterable[WitnessRow]
                    ) -> tuple[Witness, ...]:
    """The witnesses named on the command line, then the community's configured ones (called by
    their ``--name``, else their key name) whose key none of the named has. A configured key that
    is not a cosignature key is left out and logged (``witness add`` refuses one)."""
    out = list(named)
    keys = {Verifier.from_key_string(w.key).key_string() for w in named}
    for row in rows:
        try:
            verifier = Verifier.from_key_string(row.verifier_key)
        except (VerificationError, ValueError):
            verifier = None
        if verifier is None or verifier.sig_type != SIG_COSIGNATURE_V1:
            log.warning("configured witness key is not a cosignature key", extra={
                "event": "witness-misconfigured", "community": row.community_id,
                "witness": row.name})
            continue
        key = verifier.key_string()
        if key not in keys:
            keys.add(key)
            out.append(Witness(row.display_name, key))
    return tuple(out)


@dataclass(frozen=True)
class Confirmation:
    label: str
    name: str  # the witness's key name
    at: datetime


def confirmations(note: str, witnesses: tuple[Witness, ...]) -> tuple[Confirmation, ...]:
    """The witnesses whose cosignature on ``note`` verifies with their published key."""
    text, signatures = split_note(note)
    found = []
    for w in witnesses:
        verifier = Verifier.from_key_string(w.key)
        for sig in signatures:
            if verifier.matches(sig) and verifier.verify(text, sig):
                at = datetime.fromtimestamp(cosignature_timestamp(sig), UTC)
                found.append(Confirmation(w.label, verifier.name, at))
                break
    return tuple(found)


def unknown_cosigners(note: str, origin: str, witnesses: tuple[Witness, ...]) -> list[str]:
    """Names of cosigners the operator named no key for (shown, but not as confirmations)."""
    named = {Verifier.from_key_string(w.key).name for w in witnesses}
    _, signatures = split_note(note)
    return sorted({s.name for s in signatures} - named - {origin})


def sentence(c: Confirmation, size: int) -> str:
    """``街道办已于 2025-12-29 10:00（北京时间）确认：本日志前 377 条记录只增未改。``"""
    return (f"{esc(c.label)}已于 {esc(local_time(c.at))}（北京时间）确认：本日志前 {size} 条记录"
            "只增未改。")


def witness_block(note: str, origin: str, size: int, witnesses: tuple[Witness, ...],
                  root: str | None = None) -> str:
    """The paragraph the home page (``root`` None) and the 审计 page show about witnesses."""
    confirmed = confirmations(note, witnesses)
    parts = [f'<p class="sl-witness">{sentence(c, size)}</p>' for c in confirmed]
    if root is None:
        return "".join(parts)
    if not confirmed:
        parts.append("<p>此检查点目前只有日志本身的签名，尚无见证人确认。</p>")
    others = unknown_cosigners(note, origin, witnesses)
    if others:
        parts.append("<p>另有联署（本站未公布其公钥，无法核对）："
                     + "、".join(f"<code>{esc(n)}</code>" for n in others) + "</p>")
    if witnesses:
        parts.append("<p>见证人公钥（浏览器核验时一并核对其联署；也见 "
                     f'<a href="{root}data/witnesses.json">data/witnesses.json</a>）：</p><ul>'
                     + "".join(f'<li>{esc(w.label)}：<code class="sl-hash">{esc(w.key)}</code></li>'
                               for w in witnesses) + "</ul>")
    return "".join(parts)


def write_keys(path: Path, witnesses: tuple[Witness, ...]) -> None:
    data = [{"label": w.label, "key": w.key} for w in witnesses]
    write_if_changed(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


__all__ = ["Confirmation", "Witness", "confirmations", "sentence", "unknown_cosigners",
           "with_configured", "witness_block", "write_keys"]
