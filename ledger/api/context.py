"""The one place the service's parts are wired together and found by endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ledger.api.group import GroupCommitter
from ledger.api.limits import RateLimiter
from ledger.api.metrics import Metrics
from ledger.api.publishing import Publisher
from ledger.api.reading import Reading
from ledger.api.readmodel import ReadModel
from ledger.api.witness import Witness
from ledger.api.witnessing import WitnessPusher
from ledger.application import Sunlight


@dataclass
class Services:
    ledger: Sunlight
    reads: ReadModel
    publisher: Publisher
    limiter: RateLimiter
    metrics: Metrics
    witness: Witness | None
    writer: GroupCommitter
    reading: Reading
    witnessing: WitnessPusher


def services(request: Request) -> Services:
    found = request.app.state.services
    assert isinstance(found, Services)
    return found
