"""Pushing each new checkpoint to the community's witnesses: in the background, debounced.

A write only calls :meth:`WitnessPusher.notify`, which marks the community's witnesses due and
returns at once. One background thread waits until a community has been quiet for ``delay``
seconds (or has waited ``max_delay`` in all), then asks each of its witnesses
(``sunlight witness add``: the ``sunlight_witnesses`` table) to cosign the latest checkpoint
(:func:`ledger.tlog.push.push_checkpoint`, which stores the verified cosignature). A witness that
is down or refuses is retried with exponential backoff, from ``retry`` seconds up to
``max_retry``; it never holds up a write. ``/status`` and ``/metrics`` show each witness's lag.

The table is read again by the same thread, so a witness added or removed while the service runs
(``sunlight witness add`` is another process) counts without a restart: once a write has been
followed by ``delay`` seconds (at most once per ``delay`` while writes go on), and every
``reload_every`` seconds in any case. A new witness is brought up to the log's head at once. Each
stored cosignature calls ``cosigned(community_id)``: the service re-publishes the portal, whose
checkpoint now carries it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ledger.api.background import Background
from ledger.application import Sunlight
from ledger.crypto.errors import MalformedError, VerificationError
from ledger.crypto.note import Verifier
from ledger.domain.errors import DomainError
from ledger.redaction import redact
from ledger.store import WitnessRow, log_id
from ledger.tlog.push import Post, WitnessPushError, push_checkpoint, urllib_post

log = logging.getLogger("sunlight.witnessing")

RELOAD_EVERY = 30.0  # seconds: the witnesses table is read again at least this often


class _Reload:
    """What falls due besides a witness: reading the witnesses table again."""


RELOAD = _Reload()


@dataclass
class Target:
    """One witness of one community, and how pushing to it goes."""

    row: WitnessRow
    verifier: Verifier | None  # None: the configured key does not parse (reported, never pushed)
    cosigned_size: int = 0
    due_at: float | None = None  # when to push next (None: nothing to push)
    first_due: float | None = None  # debouncing: when the first of the pending writes came
    failures: int = 0
    last_error: str | None = None
    waiting_since: float | None = None  # wall clock: the oldest checkpoint it has not cosigned


class WitnessPusher(Background[Target | _Reload]):
    def __init__(self, ledger: Sunlight, *, delay: float = 1.0, max_delay: float = 10.0,
                 retry: float = 1.0, max_retry: float = 60.0, post: Post = urllib_post,
                 reload_every: float = RELOAD_EVERY,
                 cosigned: Callable[[str], None] = lambda _community_id: None,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        super().__init__("sunlight-witnessing")
        self.ledger = ledger
        self.delay, self.max_delay = delay, max_delay
        self.retry, self.max_retry = retry, max_retry
        self.post = post
        self.reload_every = reload_every
        self.cosigned = cosigned
        self.clock, self.wall = clock, wall
        self._targets: dict[str, list[Target]] = {}
        # when to read the witnesses table (again): at once, the thread's first step
        self._reload_due: float | None = clock()

    # --- configuration -------------------------------------------------------------------------

    def reload(self) -> None:
        """Reads the configured witnesses (when the thread starts, after writes, every
        ``reload_every`` seconds), keeping what is known of those still configured. The queries
        run before the lock is taken: a writer's :meth:`notify` never waits on them."""
        rows = self.ledger.store.witnesses()
        with self._wake:
            old = {(t.row.community_id, t.row.name): t
                   for targets in self._targets.values() for t in targets}
        new = [row for row in rows if getattr(old.get((row.community_id, row.name)), "row", None)
               != row]
        cosigned = {(row.community_id, row.name): self.ledger.store.latest_cosigned_size(
            row.community_id, row.name) for row in new}
        with self._wake:
            fresh: dict[str, list[Target]] = {}
            for row in rows:
                kept = old.get((row.community_id, row.name))
                if kept is not None and kept.row == row:
                    target = kept
                else:
                    target = Target(row, _verifier(row),
                                    cosigned_size=cosigned[row.community_id, row.name])
                    target.due_at = self.clock()  # catch up with the log at once
                    target.first_due = target.due_at
                fresh.setdefault(row.community_id, []).append(target)
            added = sorted(f"{k[0]}/{k[1]}" for k in
                           {(r.community_id, r.name) for r in rows} - old.keys())
            removed = sorted(f"{k[0]}/{k[1]}" for k in
                             old.keys() - {(r.community_id, r.name) for r in rows})
            self._targets = fresh
            self._reload_due = self.clock() + self.reload_every
            self._wake.notify_all()
        if added or removed:
            log.info("witnesses configured", extra={
                "event": "witness-config", "added": added, "removed": removed})

    def _reload_safely(self) -> None:
        try:
            self.reload()
        except Exception:  # the database is down: keep the witnesses known, try again later
            log.exception("witnesses not read", extra={"event": "witness-config-failed"})
            with self._wake:
                self._reload_due = self.clock() + self.reload_every

    # --- running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._start()  # the thread reads the configuration first: no query on the event loop

    def notify(self, community_id: str) -> None:
        """A checkpoint was signed: push it soon. Never blocks (beyond a lock), never raises."""
        with self._wake:
            now, wall = self.clock(), self.wall()
            # a witness added or removed meanwhile counts for this checkpoint
            reload_at = now + self.delay
            if self._reload_due is None or self._reload_due > reload_at:
                self._reload_due = reload_at
            for target in self._targets.get(community_id, ()):
                if target.failures:
                    continue  # its backoff decides when it is tried again
                if target.first_due is None:
                    target.first_due = now
                target.due_at = min(now + self.delay, target.first_due + self.max_delay)
                if target.waiting_since is None:
                    target.waiting_since = wall
            self._wake.notify_all()

    def _next_due(self) -> tuple[Target | _Reload | None, float]:
        now = self.clock()
        wait = 3600.0
        if self._reload_due is not None:
            if self._reload_due <= now:
                return RELOAD, 0.0  # before the pushes: a removed witness is not pushed to
            wait = self._reload_due - now
        for targets in self._targets.values():
            for target in targets:
                if target.due_at is None or target.verifier is None:
                    continue
                if target.due_at <= now:
                    return target, 0.0
                wait = min(wait, target.due_at - now)
        return None, wait

    def _run(self) -> None:
        while True:
            with self._wake:
                item = self._wait_due()
                if item is None:
                    return
                self._take(item)
            self._do(item)

    def run_due(self) -> bool:
        """One step of the thread, without waiting: does what is due now, if anything."""
        with self._wake:
            item, _ = self._next_due()
            if item is None:
                return False
            self._take(item)
        self._do(item)
        return True

    def _take(self, item: Target | _Reload) -> None:
        """Under the lock: ``item`` is no longer due (a failure or a write makes it due again)."""
        if isinstance(item, _Reload):
            self._reload_due = None
        else:
            item.due_at = item.first_due = None

    def _do(self, item: Target | _Reload) -> None:
        if isinstance(item, _Reload):
            self._reload_safely()
        else:
            self.push(item)

    def push(self, target: Target) -> None:
        """Asks ``target`` to cosign the latest checkpoint; on failure, schedules a retry."""
        row = target.row
        assert target.verifier is not None
        started = time.perf_counter()
        try:
            size = self.ledger.store.head(log_id(row.community_id))
            if size <= target.cosigned_size:
                with self._wake:
                    target.failures, target.last_error, target.waiting_since = 0, None, None
                return
            result = push_checkpoint(self.ledger, row.community_id, row.url, target.verifier,
                                     post=self.post)
        except (WitnessPushError, DomainError, MalformedError, OSError) as exc:
            self._failed(target, redact(str(exc))[:300])
            return
        except Exception as exc:  # never let the thread die: report and retry
            self._failed(target, redact(f"{type(exc).__name__}: {exc}")[:300])
            return
        log.info("witness cosigned", extra={
            "event": "witness-cosigned", "community": row.community_id, "witness": row.name,
            "size": result.size, "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        head = self.ledger.store.head(log_id(row.community_id))
        with self._wake:
            target.cosigned_size = max(target.cosigned_size, result.size)
            target.failures, target.last_error = 0, None
            if head > target.cosigned_size:
                target.due_at = target.first_due = self.clock()  # grown meanwhile: again
            else:
                target.waiting_since = None
            self._wake.notify_all()
        try:
            self.cosigned(row.community_id)
        except Exception:  # a hook never stops the pushing
            log.exception("cosigned hook failed", extra={"event": "witness-hook-failed"})

    def _failed(self, target: Target, error: str) -> None:
        row = target.row
        with self._wake:
            target.failures += 1
            backoff = min(self.max_retry, self.retry * 2 ** (target.failures - 1))
            target.due_at = self.clock() + backoff
            target.last_error = error
            if target.waiting_since is None:
                target.waiting_since = self.wall()
        log.warning("witness push failed", extra={
            "event": "witness-failed", "community": row.community_id, "witness": row.name,
            "attempt": target.failures, "retry_in_s": round(backoff, 1), "error": error})

    # --- reporting -----------------------------------------------------------------------------

    def status(self, community_id: str, size: int) -> list[dict[str, Any]]:
        """Each witness of the community: its state and its lag behind a log of ``size``."""
        now = self.wall()
        with self._wake:
            targets = list(self._targets.get(community_id, ()))
            out = []
            for t in targets:
                behind = max(0, size - t.cosigned_size)
                state = ("misconfigured" if t.verifier is None else "retrying" if t.failures
                         else "ok" if t.cosigned_size else "idle")
                out.append({
                    "name": t.row.name, "label": t.row.display_name, "url": t.row.url,
                    "state": state,
                    "cosigned_size": t.cosigned_size, "lag_entries": behind,
                    "lag_seconds": round(now - t.waiting_since, 3)
                    if behind and t.waiting_since is not None else 0.0,
                    "last_error": t.last_error if t.verifier is not None
                    else "见证人公钥无法解析"})
        return out

    def collector(self) -> Collector:
        return _LagCollector(self)


class _LagCollector(Collector):
    """``sunlight_witness_lag_entries`` and ``_seconds``, computed when scraped."""

    def __init__(self, pusher: WitnessPusher) -> None:
        self.pusher = pusher

    def collect(self) -> Iterator[GaugeMetricFamily]:
        entries = GaugeMetricFamily("sunlight_witness_lag_entries",
                                    "Entries a community's witness has not cosigned yet",
                                    labels=["community", "witness"])
        seconds = GaugeMetricFamily("sunlight_witness_lag_seconds",
                                    "Seconds the oldest checkpoint a witness has not cosigned "
                                    "has waited", labels=["community", "witness"])
        with self.pusher._wake:
            communities = list(self.pusher._targets)
        for community_id in communities:
            size = self.pusher.ledger.store.head(log_id(community_id))
            for s in self.pusher.status(community_id, size):
                entries.add_metric([community_id, s["name"]], s["lag_entries"])
                seconds.add_metric([community_id, s["name"]], s["lag_seconds"])
        yield entries
        yield seconds


def _verifier(row: WitnessRow) -> Verifier | None:
    try:
        return Verifier.from_key_string(row.verifier_key)
    except (VerificationError, ValueError):
        log.warning("witness key does not parse", extra={
            "event": "witness-misconfigured", "community": row.community_id, "witness": row.name})
        return None
