"""Reads from the hot standby, and a client's own writes read back (``sunlight serve --read-db``).

With a standby configured, every ``GET`` of the data is answered from it (:mod:`ledger.store.replica`):
records, projections, proofs, tiles, checkpoints. A standby lags the primary by a few
milliseconds, so a client that has just written could read the state before its write. To
prevent that, every successful write's response carries the primary's log position after the
commit, in the ``Sunlight-Read-After`` header and in a cookie of that name (the console in a
browser sends it back without doing anything). A read that brings either back is answered by the
standby once it has replayed that far -- it waits for that at most ``wait`` seconds (2 by
default) -- and otherwise by the primary. A read without one is answered by the standby at once.

The wait costs no thread: one poller per process asks the standby how far it has replayed every
few milliseconds while anybody is waiting, and wakes every reader whose position it reached.
"""

from __future__ import annotations

import asyncio
import logging
from http.cookies import CookieError, SimpleCookie

import anyio
import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.api.metrics import Metrics
from ledger.store import ReadStore, parse_lsn, reading_from_standby

log = logging.getLogger("sunlight.replica")

HEADER = "Sunlight-Read-After"
COOKIE = "sunlight_read_after"
COOKIE_AGE = 60  # seconds: a standby that is minutes behind is answered by the primary anyway
READ_AFTER_WAIT = 2.0  # seconds a reader waits for the standby before it reads the primary
POLL = 0.005  # seconds between two questions to the standby while readers wait
READS = ("GET", "HEAD")
DATA = ("/v1/", "/log/")  # the reads the standby answers


class ReplayWatch:
    """How far the standby has replayed, asked while readers wait for a position."""

    def __init__(self, reads: ReadStore, wait: float = READ_AFTER_WAIT) -> None:
        self.reads = reads
        self.wait = wait
        self.replayed = 0  # the furthest position the standby reported (it only grows)
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._poller: asyncio.Task[None] | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    async def reached(self, position: int) -> bool:
        """True once the standby has replayed ``position``; False if it did not within the
        wait."""
        if position <= self.replayed:
            return True
        loop = asyncio.get_running_loop()
        waiter: tuple[int, asyncio.Future[None]] = (position, loop.create_future())
        self._waiters.append(waiter)
        if self._poller is None or self._poller.done() or self._poller.get_loop() is not loop:
            self._poller = loop.create_task(self._poll())
        try:
            with anyio.move_on_after(self.wait):
                await asyncio.shield(waiter[1])
                return True
            return False
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def _poll(self) -> None:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)  # never more than one question at a time
        while self._waiters:
            try:
                position = await anyio.to_thread.run_sync(self.reads.replay_position,
                                                          limiter=self._limiter)
            except Exception:  # the waiters read the primary when their wait ends
                log.exception("asking the standby how far it has replayed failed")
                position = None
            if position is not None and position > self.replayed:
                self.replayed = position
            for waiter in [w for w in self._waiters if w[0] <= self.replayed]:
                self._waiters.remove(waiter)
                if not waiter[1].done():
                    waiter[1].set_result(None)
            if self._waiters:
                await asyncio.sleep(POLL)


def read_after(scope: Scope) -> int | None:
    """The furthest position the request asks to read after (header or cookie); a value that
    is no position is ignored."""
    found: list[int] = []
    for name, value in scope.get("headers", []):
        if name == b"sunlight-read-after":
            found.append(parse_lsn(value.decode("latin-1")) or 0)
        elif name == b"cookie":
            try:
                cookie = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                continue
            if COOKIE in cookie:
                found.append(parse_lsn(cookie[COOKIE].value) or 0)
    return max(found) if any(found) else None


class ReadYourWrites:
    """ASGI middleware: each read goes to the standby or the primary (see the module's
    docstring); each successful write tells its client the position to read after."""

    def __init__(self, app: ASGIApp, reads: ReadStore, watch: ReplayWatch,
                 metrics: Metrics) -> None:
        self.app = app
        self.reads = reads
        self.watch = watch
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in READS:
            if not scope["path"].startswith(DATA):  # operations: the primary, no waiting
                await self.app(scope, receive, send)
                return
            position = read_after(scope)
            standby = position is None or await self.watch.reached(position)
            self.metrics.reads.labels("standby" if standby else "primary").inc()
            with reading_from_standby(standby):
                await self.app(scope, receive, send)
            return

        async def send_position(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                try:
                    position = await anyio.to_thread.run_sync(self.reads.primary.wal_position)
                except Exception as exc:  # the write is committed: answer it without a position
                    log.warning("no log position for a write's answer: %s", exc)
                    position = None
                if position is not None:
                    headers = MutableHeaders(scope=message)
                    headers.append(HEADER, position)
                    # No secret in it (a log position): readable over plain HTTP on a LAN too.
                    headers.append("Set-Cookie", f"{COOKIE}={position}; Max-Age={COOKIE_AGE}; "
                                                 "Path=/; SameSite=Strict; HttpOnly")
            await send(message)

        await self.app(scope, receive, send_position)
