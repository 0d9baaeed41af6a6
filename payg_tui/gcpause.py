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

    When it comes back it is simply switched on again: its first pass covers
    only what the pause allocated (all of it is young) and untracks the
    snapshots' tuples of strings, so later passes do not rescan them. The
    pause must not `gc.freeze()` what it leaves alive: each page's httpx
    request and response sit in reference cycles, and frozen they would
    never be freed, nor the page body a response holds (a 5,000-account
    month grew to 725 MB that way instead of staying flat at under 200 MB).
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
                gc.enable()
