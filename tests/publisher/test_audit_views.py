"""The portal's 审计视图 pages: every finding of the demo, linked to its records, in Chinese."""

from __future__ import annotations

import re

import pytest

from ledger.application import Sunlight
from ledger.audit.findings import RULES
from ledger.demo import COMMUNITY, build_demo
from publisher.audit_views import audit_of, audit_view_pages
from publisher.records import read_records


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    app = Sunlight(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    build_demo(app)
    records = list(read_records(app.entries(COMMUNITY)))
    out = {p.path: p.body() for p in audit_view_pages(audit_of(COMMUNITY, records))}
    app.close()
    return out


def test_every_rule_shown_with_links_to_its_records(pages: dict[str, str]) -> None:
    assert set(pages) == {"audit/views/index.md", "audit/views/disclosure.md", "audit/views/recording.md",
                          "audit/views/money.md", "audit/views/follow-through.md"}
    text = "".join(pages.values())
    assert all(f"<strong>{rule.title}</strong>：" in text for rule in RULES.values())
    assert '<a href="../../../r/' in pages["audit/views/money.md"]
    assert "本社区于" in pages["audit/views/index.md"]  # the demo sets its own catalogue


def test_no_internal_values_on_the_pages(pages: dict[str, str]) -> None:
    for body in pages.values():
        visible = re.sub(r"<[^>]+>", "", body)
        assert not re.search(r"xfl-|R2025-|E2025-|P0\d|[a-z]+-[a-z]+", visible), visible
