"""The read-your-writes machinery on its own: positions, the cookie, the shared replay poller."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ledger.api.consistency import ReplayWatch, read_after
from ledger.store import parse_lsn


class FakeStandby:
    """Answers how far it has replayed from a position the test moves; counts the questions."""

    def __init__(self) -> None:
        self.position = 100
        self.asked = 0
        self.lock = threading.Lock()

    def replay_position(self) -> int | None:
        with self.lock:
            self.asked += 1
            return self.position


def test_positions_are_parsed_strictly() -> None:
    assert parse_lsn("0/3000148") == 0x3000148
    assert parse_lsn("16/B374D848") == 0x16 << 32 | 0xB374D848
    for junk in ["", "3000148", "0/", "/1", "G/1", "1/2/3", "0/123456789", " 0/1 x"]:
        assert parse_lsn(junk) is None, junk


def test_the_position_comes_from_the_header_or_the_cookie_whichever_is_further() -> None:
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"headers": list(headers)}

    assert read_after(scope()) is None
    assert read_after(scope((b"sunlight-read-after", b"0/10"))) == 0x10
    assert read_after(scope((b"cookie", b"a=b; sunlight_read_after=0/20"))) == 0x20
    assert read_after(scope((b"sunlight-read-after", b"0/30"),
                            (b"cookie", b"sunlight_read_after=0/20"))) == 0x30
    assert read_after(scope((b"sunlight-read-after", b"nonsense"),
                            (b"cookie", b"sunlight_read_after=\"x"))) is None


def test_readers_wait_for_the_standby_share_its_answers_and_give_up_after_the_wait() -> None:
    standby = FakeStandby()
    watch = ReplayWatch(standby, wait=60)  # type: ignore[arg-type]

    async def scenario() -> None:
        assert await watch.reached(50)  # one question: the standby is at 100
        assert await watch.reached(100) and await watch.reached(60)  # no more: known already
        assert standby.asked == 1
        waiting = [asyncio.create_task(watch.reached(p)) for p in (150, 160, 170)]
        while standby.asked == 1:
            await asyncio.sleep(0)
        assert not any(t.done() for t in waiting)
        with standby.lock:
            standby.position = 165
        done, pending = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        while len(done) < 2:
            more, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            done |= more
        assert {t.result() for t in done} == {True} and waiting[2] in pending
        with standby.lock:
            standby.position = 170
        assert await waiting[2]
        quick = ReplayWatch(standby, wait=0.05)  # type: ignore[arg-type]
        assert not await quick.reached(10_000)

    asyncio.run(scenario())
