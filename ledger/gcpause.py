"""Pausing Python's cyclic garbage collector while a great many long-lived objects are built."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_holds = 0


@contextmanager
def gc_paused(*, freeze: bool = True) -> Iterator[None]:
    """No cyclic garbage collection while the block runs (in any thread), and what it built
    moved out of the collector's sight afterwards (unless not ``freeze``: for objects that are
    soon thrown away).

    A first load builds millions of long-lived objects; the collector would walk all of them in
    every full collection it triggers along the way, each a pause of every thread (seconds at
    100,000 entries, the event loop's included). Reference counting still frees everything
    that is not in a cycle meanwhile."""
    global _gc_holds
    with _gc_lock:
        _gc_holds += 1
        if _gc_holds == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holds -= 1
            if _gc_holds == 0:
                if freeze:
                    gc.freeze()  # the loaded state lives as long as the process
                gc.enable()
