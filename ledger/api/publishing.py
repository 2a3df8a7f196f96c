"""Rebuilding a community's portal after new records: in the background, debounced.

A write only calls :meth:`Publisher.notify`, which records that the community is due and
returns at once. One background thread waits until a community has been quiet for ``delay``
seconds (or has waited ``max_delay`` in all), then calls the injected ``publish(community_id)``.
Its failures are caught, logged and shown in ``/status``; they never reach a writer. The ledger
does not know the publisher: ``sunlight serve`` injects it (an entry point or a command).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.api.background import Background
from ledger.redaction import redact

PublishFn = Callable[[str], None]

log = logging.getLogger("sunlight.publish")


@dataclass
class Outcome:
    started_at: datetime
    finished_at: datetime
    duration_s: float
    ok: bool
    error: str | None


class Publisher(Background[str]):
    def __init__(self, publish: PublishFn | None, *, name: str = "not-configured",
                 delay: float = 2.0, max_delay: float = 30.0,
                 observe: Callable[[str, float], None] = lambda _result, _seconds: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__("sunlight-publisher")
        self.publish = publish
        self.name = name if publish is not None else "not-configured"
        self.delay, self.max_delay = delay, max_delay
        self.observe = observe
        self.clock = clock
        self._due: dict[str, tuple[float, float]] = {}  # community -> (first, last) notify
        self._running: str | None = None
        self._last: dict[str, Outcome] = {}

    @property
    def configured(self) -> bool:
        return self.publish is not None

    def start(self) -> None:
        if self.publish is not None:
            self._start()

    def notify(self, community_id: str) -> None:
        """A record was appended: rebuild soon. Never blocks, never raises."""
        if self.publish is None:
            return
        with self._wake:
            now = self.clock()
            first, _ = self._due.get(community_id, (now, now))
            self._due[community_id] = (first, now)
            self._wake.notify_all()

    def status(self, community_id: str) -> dict[str, Any]:
        with self._wake:
            last = self._last.get(community_id)
            if self.publish is None:
                state = "not-configured"
            elif self._running == community_id:
                state = "running"
            elif community_id in self._due:
                state = "pending"
            elif last is None:
                state = "idle"
            else:
                state = "ok" if last.ok else "failed"
        out: dict[str, Any] = {"state": state}
        if last is not None:
            out.update(last_started_at=last.started_at.isoformat(),
                       last_finished_at=last.finished_at.isoformat(),
                       last_duration_s=round(last.duration_s, 3),
                       last_result="ok" if last.ok else "failed", last_error=last.error)
        return out

    def _next_due(self) -> tuple[str | None, float]:
        """The community due now, else how long to wait for the next one."""
        now = self.clock()
        wait = 3600.0
        for community_id, (first, last) in self._due.items():
            due_at = min(last + self.delay, first + self.max_delay)
            if due_at <= now:
                return community_id, 0.0
            wait = min(wait, due_at - now)
        return None, wait

    def _run(self) -> None:
        assert self.publish is not None
        while True:
            with self._wake:
                community_id = self._wait_due()
                if community_id is None:
                    return
                del self._due[community_id]
                self._running = community_id
            started, t0 = datetime.now(UTC), time.perf_counter()
            error: str | None = None
            try:
                self.publish(community_id)
            except Exception as exc:  # a failed publish is reported, never raised
                error = redact(f"{type(exc).__name__}: {exc}")[:500]
            elapsed = time.perf_counter() - t0
            outcome = Outcome(started, datetime.now(UTC), elapsed, error is None, error)
            self.observe("ok" if error is None else "failed", elapsed)
            log.log(logging.INFO if error is None else logging.WARNING, "publish",
                    extra={"event": "publish", "community": community_id,
                           "result": "ok" if error is None else "failed",
                           "duration_ms": round(elapsed * 1000, 1),
                           **({"error": error} if error else {})})
            with self._wake:
                self._running = None
                self._last[community_id] = outcome
