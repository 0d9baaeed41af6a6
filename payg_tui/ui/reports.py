"""Reports built ahead, and never twice at once.

The period list asks for the report of the period the cursor rests on, so
that Enter finds it ready (`Books` remembers the last few). If Enter comes
while that report is still being built, the period screen waits for the same
build instead of starting a second engine run that would halve both.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payg_tui.engine.model import PeriodReport
    from payg_tui.service.books import Books


class ReportGate:
    """`Books.report`, one build per period at a time (call it from worker threads)."""

    def __init__(self, books: Books) -> None:
        self._books = books
        self._guard = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def report(self, key: str) -> PeriodReport:
        with self._guard:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            return self._books.report(key)
