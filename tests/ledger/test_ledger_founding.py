"""Founding a community, as an attacker would try it: a log exists only with its verified founding
statement, and only the operator founds (directly, or by a one-time invitation). On every backend.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from ledger.application import BatchRejected, Receipt, Sunlight
from ledger.domain.errors import Conflict, DomainError, NotAuthorised, NotFound
from ledger.signing import Entry, MemberKey, Statement, Submission
from ledger.store.tables import invitations_table, logs_table
from tests.committee import START, Clock

COMMUNITY = "newcom"
ORIGIN = "test.example/newcom"
NAME = "新社区"


def founder(n: int = 1) -> MemberKey:
    return MemberKey.from_seed(bytes([0x40 + n]) * 32)


def founded(clock: Clock, key: MemberKey, community: str = COMMUNITY, name: str = NAME
            ) -> Submission:
    return key.sign(Statement(community, "community.founded", clock(), {
        "name": name, "founder_id": "chair", "founder_name": "王主任",
        "founder_public_key": key.public_b64, "term_start": "2024-01-01", "policy": "default"}))


def estate(clock: Clock, key: MemberKey, estate_id: str) -> Submission:
    return key.sign(Statement(COMMUNITY, "community.estate_added", clock(),
                              {"estate_id": estate_id, "name": "一期"}))


def log_rows(app: Sunlight) -> list[Any]:
    with app.store.engine.connect() as conn:
        return list(conn.execute(select(logs_table)).all())


def legacy_empty_log(app: Sunlight, community: str = COMMUNITY, origin: str = ORIGIN) -> None:
    """What ``create_log`` left behind before founding was one transaction, when ``sunlight init``
    failed after it: a log row, with its key, and no entry."""
    with app.store.engine.begin() as conn:
        conn.execute(insert(logs_table).values(community_id=community, origin=origin,
                                               key_seed=os.urandom(32), created_at=START))


def kinds(app: Sunlight, community: str = COMMUNITY) -> list[str]:
    return [Statement.from_bytes(Entry.decode(raw).statement, check_canonical=False).kind
            for _, raw in app.entries(community)]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(db_url: str, clock: Clock) -> Sunlight:
    return Sunlight(db_url, clock=clock)


def test_a_refused_founding_leaves_no_log(app: Sunlight, clock: Clock) -> None:
    key = founder()
    forged = founded(clock, key)
    forged = Submission(forged.statement, founder(2).sign(
        Statement.from_bytes(forged.statement)).signature, forged.key_id)
    with pytest.raises(NotAuthorised):  # the signature is not the named founder's
        app.found([forged], origin=ORIGIN, key_seed=os.urandom(32))
    with pytest.raises(BatchRejected):  # a good founding statement, a bad estate after it
        app.found([founded(clock, key), estate(clock, key, "e1"), estate(clock, key, "e1")],
                  origin=ORIGIN, key_seed=os.urandom(32))
    assert log_rows(app) == [] and app.communities() == []
    with pytest.raises(NotFound):
        app.community(COMMUNITY)
    # nothing is left that anyone could claim: the operator's founding is the only way in
    with pytest.raises(NotAuthorised) as refused:
        app.submit(founded(clock, key))
    assert refused.value.code == "founding-not-authorised"
    receipts = app.found([founded(clock, key), estate(clock, key, "e1")], origin=ORIGIN,
                         key_seed=os.urandom(32))
    assert [r.index for r in receipts] == [0, 1] and app.size(COMMUNITY) == 2
    assert kinds(app) == ["community.founded", "community.estate_added"]


def test_an_empty_log_left_by_a_failed_init_cannot_be_claimed(app: Sunlight, clock: Clock) -> None:
    legacy_empty_log(app)
    attacker = founder(9)
    with pytest.raises(NotAuthorised) as refused:
        app.submit(founded(clock, attacker))
    assert refused.value.code == "founding-not-authorised"
    with pytest.raises(DomainError):
        app.submit_batch([founded(clock, attacker)])
    with pytest.raises(NotAuthorised):  # the service's group commit
        app.submit_each(COMMUNITY, [founded(clock, attacker)])
    assert app.size(COMMUNITY) == 0 and app.communities() == []
    with pytest.raises(NotFound):
        app.community(COMMUNITY)
    # Another process (a service that cached nothing) refuses it too.
    other = Sunlight(app.db_url, clock=clock)
    with pytest.raises(NotAuthorised):
        other.submit(founded(clock, attacker))
    # The operator's `sunlight init` completes it, with a new key.
    app.found([founded(clock, founder())], origin=ORIGIN, key_seed=os.urandom(32))
    assert kinds(app) == ["community.founded"]
    assert [c.community_id for c in other.communities()] == [COMMUNITY]


def test_no_statement_founds_an_unknown_community(app: Sunlight, clock: Clock) -> None:
    with pytest.raises(NotAuthorised) as refused:
        app.submit(founded(clock, founder(), community="nowhere"))
    assert refused.value.code == "founding-not-authorised"
    assert log_rows(app) == []


def test_an_invitation_founds_once_and_only_its_community(app: Sunlight, clock: Clock) -> None:
    token = app.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(days=7),
                       key_seed=os.urandom(32))
    other = app.invite("othercom", "test.example/othercom", "别的社区",
                       expires_at=clock() + timedelta(days=7), key_seed=os.urandom(32))
    with app.store.engine.connect() as conn:
        stored = conn.execute(select(invitations_table)).all()
    assert token not in repr(stored) and len(stored) == 2  # kept only as a hash

    def refused(code: str, tok: str, subs: list[Submission], error: type[DomainError]) -> None:
        with pytest.raises(error) as caught:
            app.found_by_invitation(COMMUNITY, tok, subs)
        assert caught.value.code == code
        assert app.communities() == [] and log_rows(app) == []

    key = founder()
    refused("invitation-invalid", "guessed-token", [founded(clock, key)], NotAuthorised)
    refused("invitation-invalid", other, [founded(clock, key)], NotAuthorised)  # another community's
    refused("invitation-mismatch", token, [founded(clock, key, name="别的名字")], NotAuthorised)
    bad = founded(clock, key)
    refused("signature-invalid", token,
            [Submission(bad.statement, founder(3).sign(Statement.from_bytes(bad.statement))
                        .signature, bad.key_id)], NotAuthorised)
    # a refused founding left the invitation unused
    receipts = app.found_by_invitation(COMMUNITY, token, [founded(clock, key),
                                                          estate(clock, key, "e1")])
    assert [r.index for r in receipts] == [0, 1]
    info = app.community(COMMUNITY)
    assert info.origin == ORIGIN and kinds(app) == ["community.founded", "community.estate_added"]
    with pytest.raises(Conflict) as used:
        app.found_by_invitation(COMMUNITY, token, [founded(clock, founder(4))])
    assert used.value.code == "invitation-used" and app.size(COMMUNITY) == 2


def test_an_expired_invitation_founds_nothing(app: Sunlight, clock: Clock) -> None:
    token = app.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(hours=1),
                       key_seed=os.urandom(32))
    clock.advance(hours=1, seconds=1)
    with pytest.raises(NotAuthorised) as refused:
        app.found_by_invitation(COMMUNITY, token, [founded(clock, founder())])
    assert refused.value.code == "invitation-expired" and log_rows(app) == []


def test_no_invitation_for_a_founded_community(app: Sunlight, clock: Clock) -> None:
    app.found([founded(clock, founder())], origin=ORIGIN, key_seed=os.urandom(32))
    with pytest.raises(Conflict):
        app.invite(COMMUNITY, "test.example/again", NAME, expires_at=clock() + timedelta(days=1),
                   key_seed=os.urandom(32))


def race(attempts: list[Callable[[], list[Receipt]]]) -> tuple[int, list[DomainError]]:
    """Runs every attempt at once on its own thread; returns (successes, refusals)."""
    start = threading.Barrier(len(attempts))
    successes: list[list[Receipt]] = []
    refusals: list[DomainError] = []
    others: list[BaseException] = []

    def run(attempt: Callable[[], list[Receipt]]) -> None:
        start.wait()
        try:
            successes.append(attempt())
        except DomainError as exc:
            refusals.append(exc)
        except BaseException as exc:  # anything else fails the test below
            others.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not others, others
    return len(successes), refusals


@pytest.mark.parametrize("way", ["one token", "one token, two instances", "many tokens",
                                 "operators", "legacy empty log"])
def test_concurrent_foundings_found_once(app: Sunlight, clock: Clock, way: str) -> None:
    """Many founders at once, through one ledger or two on one database: exactly one community,
    with exactly one founding entry; everyone else hears a clear refusal."""
    second = Sunlight(app.db_url, clock=clock)
    n = 8
    subs = [founded(clock, founder(i)) for i in range(n)]
    expires = clock() + timedelta(days=1)
    if way == "legacy empty log":
        legacy_empty_log(app)
    if way.startswith("one token"):
        token = app.invite(COMMUNITY, ORIGIN, NAME, expires_at=expires, key_seed=os.urandom(32))
        ledgers = [app, second] if "two" in way else [app]
        attempts = [lambda i=i: ledgers[i % len(ledgers)].found_by_invitation(
            COMMUNITY, token, [subs[i]]) for i in range(n)]
    elif way == "many tokens":
        tokens = [app.invite(COMMUNITY, ORIGIN, NAME, expires_at=expires,
                             key_seed=os.urandom(32)) for _ in range(n)]
        attempts = [lambda i=i: (app, second)[i % 2].found_by_invitation(
            COMMUNITY, tokens[i], [subs[i]]) for i in range(n)]
    else:
        attempts = [lambda i=i: (app, second)[i % 2].found(
            [subs[i]], origin=ORIGIN, key_seed=os.urandom(32)) for i in range(n)]
    successes, refusals = race(attempts)
    assert successes == 1
    assert {r.code for r in refusals} <= {"invitation-used", "community-exists"}, refusals
    assert all(str(r) for r in refusals)  # a sentence, in Chinese
    for ledger in (app, second, Sunlight(app.db_url, clock=clock)):
        assert kinds(ledger) == ["community.founded"]
        assert [c.community_id for c in ledger.communities()] == [COMMUNITY]
    assert len(log_rows(app)) == 1
