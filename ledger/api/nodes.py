"""Proofs for the service, from the ledger's stored tree hashes (``Sunlight.nodes``)."""

from __future__ import annotations

from ledger.application import Sunlight
from ledger.crypto.merkle import GetNodes, consistency_proof, inclusion_proof

CHUNK = 500


def node_reader(ledger: Sunlight, community: str) -> GetNodes:
    return ledger.nodes(community)


def inclusion(ledger: Sunlight, community: str, index: int, size: int) -> list[bytes]:
    return inclusion_proof(index, size, node_reader(ledger, community))


def consistency(ledger: Sunlight, community: str, old: int, new: int) -> list[bytes]:
    return consistency_proof(old, new, node_reader(ledger, community))


def leaf(ledger: Sunlight, community: str, index: int) -> bytes | None:
    return node_reader(ledger, community)([(0, index)]).get((0, index))
