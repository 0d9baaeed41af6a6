"""Pausing the cyclic garbage collector around bulk decoding and storing.

Shared by `import` (a whole dump), `sync` and the API client (a page at a time).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a page or a dump is decoded (or stored).

    Decoding allocates hundreds of thousands of dicts and lists, none in a
    cycle (reference counting frees them all); with the collector on, those
    allocations trigger full collections that scan every live object and
    more than double the cost of decoding. Nested and concurrent pauses are
    counted; the collector comes back when the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                # What the pause allocated and still holds would make the next
                # full collection scan it all: a stop-the-world pause of 0.1 to
                # 0.2 s in the dashboard. Freeze it out of the collector's view
                # instead; reference counting still frees it.
                gc.freeze()
                gc.enable()
