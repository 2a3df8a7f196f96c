"""One pool of worker processes for a publish: the QR codes and the compressed copies share it.

Forked when first needed (the workers only run segno and the compressors on strings and files,
and a script that calls publish() needs no ``if __name__ == "__main__"`` guard, as ``spawn``
would); one worker per core. Where the platform cannot fork there is no pool and the work is
done in the publishing process.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor


class Workers:
    def __init__(self) -> None:
        self._pool: Executor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def get(self) -> Executor | None:
        """The pool, started now if it is not yet; None where processes cannot be forked."""
        if self._pool is None and "fork" in multiprocessing.get_all_start_methods():
            self._pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1,
                                             mp_context=multiprocessing.get_context("fork"))
        return self._pool

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


__all__ = ["Workers"]
