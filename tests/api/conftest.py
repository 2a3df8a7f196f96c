"""Fixtures for the service tests: a founded community served by an in-process server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from ledger.api import Settings, create_app
from tests.api.helpers import live
from tests.committee import Committee


@dataclass
class Served:
    committee: Committee
    client: httpx.Client
    url: str


@pytest.fixture
def served(committee: Committee) -> Iterator[Served]:
    """The test committee's ledger behind a real HTTP server, without rate limits."""
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0))
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield Served(committee, client, url)
