"""The log's one event: a community's log is an event stream of :class:`CommunityLog.EntryAppended`.

An accepted record is one event whose ``originator_version`` is its log index + 1, so the event
store's unique (originator_id, originator_version) constraint is what guarantees a log without
gaps, duplicates or forks -- across threads, processes and hosts. The last entry of every append
batch carries the checkpoint signed over the tree that batch produced.

The event's stored topic is a storage format: it is the one the class had when it lived in
``ledger.persistence``, kept with ``TOPIC`` (what is written) and :func:`register_topic` (what
is read), so databases written before and after the move hold one topic.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import register_topic

LOG_NAMESPACE = uuid.UUID("5c1d6a1e-3b7e-4d2a-9a51-5e0b5a1f0c11")
ENTRY_APPENDED_TOPIC = "ledger.persistence:CommunityLog.EntryAppended"


def log_id(community_id: str) -> uuid.UUID:
    return uuid.uuid5(LOG_NAMESPACE, community_id)


class CommunityLog:
    """A community's append-only log, as an event stream (never replayed as an aggregate: the
    application folds its entries into :class:`ledger.domain.state.CommunityState`)."""

    @dataclass(frozen=True)
    class EntryAppended(DomainEvent):
        TOPIC: ClassVar[str] = ENTRY_APPENDED_TOPIC

        entry: str  # the leaf: canonical JSON (UTF-8)
        checkpoint: str | None  # signed note over the tree ending here, on a batch's last entry


register_topic(ENTRY_APPENDED_TOPIC, CommunityLog.EntryAppended)
