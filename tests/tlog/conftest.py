"""Fixtures for the transparency-log tests: the demo log and an audited community, built once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ledger.application import Sunlight
from ledger.crypto.note import Signer
from ledger.demo import COMMUNITY as DEMO
from ledger.demo import build_demo
from tests.committee import Committee
from tests.tlog.logbuild import build_audited, entries_of, log_signer


@dataclass
class Built:
    app: Sunlight
    community: str
    db_url: str
    signer: Signer
    entries: list[bytes]
    committee: Committee | None = None

    @property
    def vkey(self) -> str:
        return self.signer.verifier_key()


@pytest.fixture(scope="session")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> Built:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    app = Sunlight(db_url)
    build_demo(app)
    return Built(app, DEMO, db_url, log_signer(app, DEMO), entries_of(app, DEMO))


@pytest.fixture(scope="session")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Built:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('audited') / 'audited.db'}"
    c = build_audited(db_url)
    return Built(c.app, c.community, db_url, log_signer(c.app, c.community),
                 entries_of(c.app, c.community), c)
