"""One daemon thread, woken through a condition and stopped when the service stops: what the
publisher and the witness pusher each run their queue of due communities in."""

from __future__ import annotations

import threading


class Background:
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

    def _run(self) -> None:
        raise NotImplementedError
