"""How reads run: off the event loop, in bounded numbers, within a time budget.

Every read that touches the database or a read view runs in a worker thread, never on the event
loop, so that ``/healthz`` and every other request keep answering while one is slow. Reads of the
log (checkpoint, tiles, proofs) and reads of the read views (records, members, projections, ...)
each have their own bound on threads, so that a flood of one kind never takes the threads of the
other or of the writers. A community's first load is awaited without holding a thread (see
:meth:`ledger.api.readmodel.ReadModel.load`).

A read that must reflect the log as it is now first learns the log's current size from the
community's shared head query (:mod:`ledger.api.head`): concurrent readers share one query, and a
read view already at that size is read without another one. Answers held in memory (the
checkpoint, proofs from cached tree hashes) are given on the event loop, with no thread at all.

Each read has a time budget that covers waiting for a thread, for a first load and the work
itself. Past it the reader gets a 503 problem document with ``Retry-After`` at once; work already
running in a thread finishes there (a thread cannot be stopped) and still holds its place in the
bound, so an overloaded service sheds readers instead of piling them up.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import anyio
import anyio.to_thread

from ledger.api.head import Head, Heads
from ledger.api.nodes import NodeCache
from ledger.api.problems import ApiError
from ledger.api.readmodel import FRESH, ON_LOOP, Busy, ReadModel

T = TypeVar("T")

READ_BUDGET = 10.0  # seconds
VIEW_THREADS = 8
LOG_THREADS = 16


@dataclass
class Reading:
    reads: ReadModel
    budget: float = READ_BUDGET
    view_threads: int = VIEW_THREADS
    log_threads: int = LOG_THREADS
    _limiters: dict[str, anyio.CapacityLimiter] = field(default_factory=dict)
    heads: Heads = field(init=False)
    tree: NodeCache = field(init=False)

    def __post_init__(self) -> None:
        self.heads = Heads(self.reads.ledger)
        self.tree = NodeCache(self.reads.ledger)

    def _limiter(self, name: str) -> anyio.CapacityLimiter:
        # Created on first use, inside the event loop that will use it.
        limiter = self._limiters.get(name)
        if limiter is None:
            limiter = anyio.CapacityLimiter(
                self.view_threads if name == "view" else self.log_threads)
            self._limiters[name] = limiter
        return limiter

    def _retry_after(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(min(self.budget, 30.0))))}

    async def _in_log_thread(self, fn: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(fn, limiter=self._limiter("log"),
                                              abandon_on_cancel=True)

    async def log(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in a log-read thread, within the budget."""
        try:
            with anyio.fail_after(self.budget):
                return await self._in_log_thread(partial(fn, *args))
        except TimeoutError:
            raise ApiError(503, "read-timeout", "查询超过时限，请稍后再试",
                           self._retry_after()) from None

    async def head(self, community: str) -> Head:
        """The community's log head as stored after this call began, within the budget."""
        try:
            with anyio.fail_after(self.budget):
                return await self.heads.current(community, self._in_log_thread)
        except TimeoutError:
            raise ApiError(503, "read-timeout", "查询超过时限，请稍后再试",
                           self._retry_after()) from None

    async def view(self, communities: list[str], fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in a view-read thread once the views of ``communities`` are loaded and
        their log heads known, all within the budget."""
        return await self._view(False, communities, fn, *args)

    async def memory(self, communities: list[str], fn: Callable[..., T], *args: object) -> T:
        """As :meth:`view`, for an ``fn`` that reads the views only (no database): it runs on
        the event loop, with no thread, when the views are current and not being caught up;
        else in a view-read thread."""
        return await self._view(True, communities, fn, *args)

    async def _view(self, memory: bool, communities: list[str], fn: Callable[..., T],
                    *args: object) -> T:
        loading = False
        try:
            with anyio.fail_after(self.budget):
                for community in communities:
                    future = self.reads.load(community)
                    if future is not None:
                        loading = True
                        await asyncio.wrap_future(future)
                loading = False
                heads = await asyncio.gather(*(self.heads.current(c, self._in_log_thread)
                                               for c in communities))
                # The views need no query to be as fresh as these heads (see ReadModel.locked).
                token = FRESH.set({c: h.size for c, h in zip(communities, heads, strict=True)})
                try:
                    if memory:
                        on_loop = ON_LOOP.set(True)
                        try:
                            return fn(*args)
                        except Busy:
                            pass
                        finally:
                            ON_LOOP.reset(on_loop)
                    return await anyio.to_thread.run_sync(partial(fn, *args),
                                                          limiter=self._limiter("view"),
                                                          abandon_on_cancel=True)
                finally:
                    FRESH.reset(token)
        except TimeoutError:
            if loading:
                raise ApiError(503, "community-loading", "社区数据正在载入，请稍后再试",
                               self._retry_after()) from None
            raise ApiError(503, "read-timeout", "查询超过时限，请稍后再试",
                           self._retry_after()) from None
