"""Each community's log head as readers see it: its size and published checkpoint.

A read that must reflect the log as it is now (the checkpoint, a proof up to a size not seen
yet, every read of a read view) asks :meth:`Heads.current`. That runs one cheap indexed query in
a worker thread, and every reader that arrives before that query *starts* shares its answer;
later readers start another. No reader is answered from a head older than its request, even
when another process appends to the same database, and under load a query and a thread hop
serve many readers instead of one each.

The head's size only grows (the log is append-only): :meth:`Heads.known_size` is a size every
reader may rely on without a query, for instance to prove against a tree it names itself.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ledger.api.readmodel import stored, stored_head
from ledger.application import Sunlight
from ledger.crypto.note import add_signatures


@dataclass(frozen=True)
class Head:
    size: int
    checkpoint: str | None  # the latest signed checkpoint (None: the log is empty)
    published: str | None  # the same with every stored witness cosignature for its size


def log_head(ledger: Sunlight, community: str) -> tuple[int, str | None]:
    """The log's size and latest signed checkpoint, from its last stored entry: one indexed
    query, never a fold of the log (a batch's last entry carries the checkpoint over it)."""
    ledger.community(community)  # NotFound for an unknown community
    last = stored(ledger, community)
    if not last:
        return 0, None
    version, _, checkpoint = last[0]
    return version, checkpoint


def read_head(ledger: Sunlight, community: str) -> Head:
    """The head as stored now: the log's last entry and the cosignatures for its size, two
    statements on primary keys over one connection (blocking: run in a worker thread)."""
    ledger.community(community)  # NotFound for an unknown community
    size, signed, lines = stored_head(ledger, community)
    if signed is None:
        return Head(size, None, None)
    return Head(size, signed, add_signatures(signed, lines) if lines else signed)


RunInThread = Callable[[Callable[[], Head]], Awaitable[Head]]


@dataclass
class _Query:
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[Head]
    started: bool = False  # its statement is running: later readers need a later query


@dataclass
class Heads:
    ledger: Sunlight
    _known: dict[str, Head] = field(default_factory=dict)
    _open: dict[tuple[str, bool], _Query] = field(default_factory=dict)  # joinable: not started
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def known_size(self, community: str) -> int:
        """A size the log has reached (it may be larger by now); 0 if none was read yet."""
        head = self._known.get(community)
        return 0 if head is None else head.size

    async def current(self, community: str, run: RunInThread) -> Head:
        """The head as stored at some moment after this call began: the answer of a query that
        had not started when this reader joined it. ``run`` runs the query in a worker thread.
        Waiting may be cancelled; the shared query goes on for the others."""
        loop = asyncio.get_running_loop()
        # Readers of the standby and of the primary (a client that must see its own write)
        # share only with their own kind: a standby's head may be older than the primary's.
        key = (community, self.ledger.reads.uses_standby)
        with self._lock:
            query = self._open.get(key)
            new = query is None or query.started or query.loop is not loop
            if new:
                query = self._open[key] = _Query(loop, loop.create_future())
                # Nobody may be left to hear a failure: mark it heard, so asyncio does not log it.
                query.answer.add_done_callback(lambda f: f.cancelled() or f.exception())
        assert query is not None
        if new:
            task = loop.create_task(self._ask(community, key, query, run))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(query.answer)

    async def _ask(self, community: str, key: tuple[str, bool], query: _Query,
                   run: RunInThread) -> None:
        def read() -> Head:
            with self._lock:
                query.started = True  # from now on, arrivals wait for another query
                if self._open.get(key) is query:
                    del self._open[key]
            return read_head(self.ledger, community)

        try:
            head = await run(read)
        except Exception as exc:  # NotFound, the database failed: the waiters hear it
            query.answer.set_exception(exc)
        except BaseException:  # the loop is closing
            query.answer.cancel()
            raise
        else:
            self.seen(community, head)
            query.answer.set_result(head)
        finally:
            with self._lock:
                if self._open.get(key) is query:  # it never ran
                    del self._open[key]

    def seen(self, community: str, head: Head) -> None:
        """Keeps ``head`` unless a larger one is known already."""
        known = self._known.get(community)
        if known is None or head.size >= known.size:
            self._known[community] = head
