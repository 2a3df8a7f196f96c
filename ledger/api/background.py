"""One daemon thread, woken through a condition and stopped when the service stops: what the
publisher and the witness pusher each run their queue of due communities in."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``T``: what falls due (a community to publish, a witness to push to)."""

    def __init__(self, thread_name: str) -> None:
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._thread_name = thread_name

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _next_due(self) -> tuple[T | None, float]:
        """Under the lock: what is due now, else how long to wait for the next."""
        raise NotImplementedError

    def _wait_due(self) -> T | None:
        """Under the lock: waits until something is due; None once stopping."""
        item, wait = self._next_due()
        while item is None and not self._stopping:
            self._wake.wait(wait)
            item, wait = self._next_due()
        return None if self._stopping else item

    def _run(self) -> None:
        raise NotImplementedError
