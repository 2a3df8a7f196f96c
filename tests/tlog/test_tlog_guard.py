"""The append guard: the application refuses to sign a checkpoint over a tree that does not
match the last one it signed, and writes nothing. The database is tampered with behind the
application's back; a fresh application (a restarted service) then tries to append."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, func, select, update

from ledger.application import LogIntegrityError, Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.signing import Statement
from tests.committee import Committee


def _events(app: Sunlight) -> Table:
    return Table("sunlight_events", MetaData(), autoload_with=app.store.engine)


def _rewrite_event(app: Sunlight, version: int, change: Callable[[dict[str, Any]], None]) -> None:
    table = _events(app)  # one community in these databases: its versions are unique
    with app.store.engine.begin() as conn:
        state = conn.execute(select(table.c.state).where(table.c.originator_version == version)).scalar_one()
        obj = json.loads(bytes(state))
        change(obj)
        conn.execute(update(table).where(table.c.originator_version == version)
                     .values(state=json.dumps(obj).encode()))


def _count(app: Sunlight) -> int:
    table = _events(app)
    with app.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _submit_fresh(db_url: str, c: Committee) -> None:
    c.clock.advance(seconds=1)
    body = {"disclosure_id": "G1", "category": "other", "period": "2025", "title": "测试", "body": "内容"}
    Sunlight(db_url, clock=c.clock).submit(
        c.keys["member"].sign(Statement(c.community, "disclosure.published", c.clock(), body)))


def test_tampered_entry_is_refused(db_url: str) -> None:
    c = Committee.found(db_url)

    def change(obj: dict[str, Any]) -> None:
        assert "测试社区" in obj["entry"]
        obj["entry"] = obj["entry"].replace("测试社区", "篡改社区")

    _rewrite_event(c.app, 1, change)
    with pytest.raises(LogIntegrityError):
        _submit_fresh(db_url, c)
    assert _count(c.app) == 6


def test_tampered_checkpoint_is_refused(db_url: str) -> None:
    c = Committee.found(db_url)

    def change(obj: dict[str, Any]) -> None:
        text, signatures = obj["checkpoint"].split("\n\n", 1)
        checkpoint = Checkpoint.parse(text + "\n")
        obj["checkpoint"] = Checkpoint(checkpoint.origin, checkpoint.size, bytes(32)).text() + "\n" + signatures

    _rewrite_event(c.app, 6, change)
    with pytest.raises(LogIntegrityError):
        _submit_fresh(db_url, c)
    assert _count(c.app) == 6


def test_untampered_log_appends_after_restart(db_url: str) -> None:
    c = Committee.found(db_url)
    _submit_fresh(db_url, c)
    assert _count(c.app) == 7
