"""What the service keeps in memory for reads (the log head, tree hashes, on-loop reads of the
read views) is never staler than the database when the read began, and never blocks the loop."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ledger.api import Settings, create_app
from ledger.api.head import Head, Heads
from ledger.api.nodes import Missing, NodeCache
from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner, verify_cosigned
from ledger.crypto.merkle import consistency_proof, inclusion_proof
from ledger.crypto.note import split_note
from ledger.tlog.cosignatures import store_cosignature
from tests.api.conftest import Served
from tests.api.helpers import disclosure, live, open_checkpoint, verifier, wait_until
from tests.committee import Committee

V1 = "/v1/communities/testcom"


def other_writer(c: Committee) -> Sunlight:
    """A second ledger on the same database, with its own caches: as another process."""
    return Sunlight(c.app.db_url, clock=c.clock)


def test_reads_after_another_writer_appended_see_its_entries(served: Served) -> None:
    c, get = served.committee, served.client.get
    v = verifier(served.client, "testcom")
    before = open_checkpoint(get("/log/testcom/checkpoint").text, v).size
    assert get(V1).json()["size"] == before
    assert get(f"{V1}/proofs/inclusion", params={"index": 0, "size": before}).status_code == 200
    other = other_writer(c)
    try:
        other.submit_batch([disclosure(c, n, tag="other") for n in range(3)])
    finally:
        other.close()
    after = open_checkpoint(get("/log/testcom/checkpoint").text, v)
    assert after.size == before + 3
    assert get(V1).json()["size"] == before + 3
    assert get(f"{V1}/records/{before + 2}").status_code == 200
    titles = [d["title"] for d in get(f"{V1}/projections/disclosures").json()["items"]]
    assert "公开事项 2" in titles
    # a proof up to the new size: the service learns the size, then proves from the database
    r = get(f"{V1}/proofs/inclusion", params={"index": before + 2, "size": after.size})
    assert r.status_code == 200, r.text
    assert r.json()["tree_size"] == after.size
    r = get(f"{V1}/proofs/inclusion", params={"index": 0, "size": after.size + 1})
    assert r.status_code == 400 and r.json()["code"] == "size-beyond-log"


def test_concurrent_readers_share_head_queries_that_began_after_them(committee: Committee
                                                                      ) -> None:
    c = committee
    heads = Heads(c.app)
    runs: list[int] = []
    first_started, release_first = threading.Event(), threading.Event()
    pool = ThreadPoolExecutor(2)

    asked: list[asyncio.Event] = []  # set once the second query has been asked for

    async def run(fn: Callable[[], Head]) -> Head:
        runs.append(len(runs))
        if len(runs) == 2:
            asked[0].set()

        first = len(runs) == 1

        def call() -> Head:
            head = fn()
            if first:  # read: now hold the answer back until the test lets it go
                first_started.set()
                release_first.wait(60)
            return head
        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def scenario() -> tuple[list[Head], Head]:
        asked.append(asyncio.Event())
        early = [asyncio.ensure_future(heads.current("testcom", run)) for _ in range(10)]
        await asyncio.get_running_loop().run_in_executor(None, first_started.wait, 60)
        # the first query has read the head: an append now, then readers that began after it
        c.app.submit(disclosure(c, 1, tag="late"))
        late = asyncio.ensure_future(heads.current("testcom", run))
        more = [asyncio.ensure_future(heads.current("testcom", run)) for _ in range(10)]
        await asyncio.wait_for(asked[0].wait(), 60)  # the late readers have joined its query
        release_first.set()
        return list(await asyncio.gather(*early, *more)), await late

    size = c.app.size("testcom")
    try:
        answers, late = asyncio.run(scenario())
    finally:
        pool.shutdown()
    assert len(runs) == 2  # 22 readers, two queries
    assert late.size == size + 1  # not the answer of the query that began before it
    assert {h.size for h in answers[:10]} == {size} and {h.size for h in answers[10:]} == {size + 1}
    assert heads.known_size("testcom") == size + 1


def test_proofs_from_cached_hashes_match_the_ledger(committee: Committee) -> None:
    c = committee
    c.app.submit_batch([disclosure(c, n, tag="t") for n in range(700)])
    cache = NodeCache(c.app, max_blocks=6)  # smaller than the tree: runs are dropped and read again
    rng = random.Random(7)
    for _ in range(3):
        size = c.app.size("testcom")
        with pytest.raises(Missing):  # the newest leaf was never read
            inclusion_proof(size - 1, size, cache.memory("testcom"))
        for _ in range(60):
            new = rng.randrange(1, size + 1)
            index, old = rng.randrange(new), rng.randrange(new + 1)
            assert inclusion_proof(index, new, cache.reader("testcom")) == \
                c.app.inclusion_proof("testcom", index, new)
            assert consistency_proof(old, new, cache.reader("testcom")) == \
                c.app.consistency_proof("testcom", old, new)
        assert len(cache) <= 6
        c.app.submit_batch([disclosure(c, n, tag=f"g{size}") for n in range(rng.randrange(1, 300))])


def test_a_warm_cache_proves_without_the_database(committee: Committee) -> None:
    c = committee
    c.app.submit_batch([disclosure(c, n, tag="t") for n in range(300)])
    size = c.app.size("testcom")
    cache = NodeCache(c.app)
    cache.warm("testcom")
    for index in range(0, size, 7):
        inclusion_proof(index, size, cache.memory("testcom"))
    consistency_proof(5, size, cache.memory("testcom"))


class WatchedLock:
    """A view's lock that tells when someone tries to take it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tried = threading.Event()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        self.tried.set()
        return self.lock.acquire(blocking, timeout)

    def release(self) -> None:
        self.lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def test_a_busy_read_view_never_blocks_the_event_loop(committee: Committee) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0))
    reads = app.state.services.reads
    answered: list[int] = []
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get(f"{V1}/members").status_code == 200  # loaded, its log head known
        watched = WatchedLock()
        with reads.locked("testcom") as view:
            view.lock = watched
        watched.acquire()  # a catch-up holds the view, as a long one would
        watched.tried.clear()

        def member_list() -> None:
            with httpx.Client(base_url=url, timeout=60) as other:
                answered.append(other.get(f"{V1}/members").status_code)

        reader = threading.Thread(target=member_list)
        reader.start()
        try:
            assert watched.tried.wait(60), "the members read never tried the view"
            # it waits for the view (in a thread); the event loop answers meanwhile
            for _ in range(5):
                assert client.get("/healthz", timeout=5).status_code == 200
            assert not answered
        finally:
            watched.release()
        wait_until(lambda: answered == [200], "the members read answered once the view was free")
        reader.join(10)


def test_a_cosignature_stored_after_a_read_is_served(db_url: str) -> None:
    c = Committee.found(db_url)
    app = create_app(c.app, Settings(rate_per_address=0, rate_per_key=0))
    try:
        with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            signed = client.get("/log/testcom/checkpoint").text  # the head is known now
            text, _ = split_note(signed)
            witness = CosignatureSigner.from_seed("witness.example/w1", b"\x05" * 32)
            store_cosignature(c.app, "testcom", Checkpoint.parse(text).size, witness.name,
                              witness.cosign(text, 1_700_000_000).rstrip("\n"))
            served = client.get("/log/testcom/checkpoint").text
            assert served.startswith(signed) and witness.name in served
            verify_cosigned(served, [verifier(client, "testcom")], [witness.verifier()], 1)
    finally:
        c.app.close()


def test_records_read_once_are_answered_from_memory(committee: Committee) -> None:
    c = committee
    c.app.submit_batch([disclosure(c, n, tag="r") for n in range(120)])
    app = create_app(c.app, Settings(rate_per_address=0, rate_per_key=0))
    reads = app.state.services.reads
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        first = client.get(f"{V1}/records", params={"limit": 100})
        one = client.get(f"{V1}/records/7")
        assert first.status_code == 200 and one.status_code == 200
        real = reads.entries
        asked: list[list[int]] = []

        def entries(community: str, indexes: list[int]):  # type: ignore[no-untyped-def]
            asked.append(list(indexes))
            return real(community, indexes)

        reads.entries = entries
        again = client.get(f"{V1}/records", params={"limit": 100})
        assert again.content == first.content and asked == []  # no query: all from memory
        assert client.get(f"{V1}/records/7").content == one.content and asked == []
        # a record nobody has read yet, and one another writer appends, are read from the store
        following = client.get(f"{V1}/records", params={"cursor": first.json()["next_cursor"]})
        assert following.status_code == 200 and asked
        other = other_writer(c)
        try:
            other.submit_batch([disclosure(c, 900, tag="late")])
        finally:
            other.close()
        size = c.app.size("testcom")
        late = client.get(f"{V1}/records/{size - 1}")
        assert late.status_code == 200 and late.json()["body"]["title"] == "公开事项 900"
        assert client.get(f"{V1}/records/{size}").status_code == 404


def test_the_record_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    from ledger.api.readmodel import RecordCache

    cache = RecordCache(max_bytes=30)
    for i in range(3):
        cache.put("c", i, b"x" * 10)
    assert cache.get("c", [0, 1, 2]) == [b"x" * 10] * 3
    cache.get("c", [0])  # 0 is now the most recently used
    cache.put("c", 3, b"y" * 10)
    assert cache.get("c", [0, 1, 2, 3]) == [b"x" * 10, None, b"x" * 10, b"y" * 10]
    cache.put("c", 4, b"z" * 25)  # evicts until the bound holds
    assert cache.get("c", [4]) == [b"z" * 25] and cache.get("c", [0, 2, 3]) == [None, None, None]
