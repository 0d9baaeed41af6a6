"""Billing periods: calendar months in the provider's time zone (billing.md 5).

A period runs from local 00:00 on the 1st to local 00:00 on the 1st of the
next month, so it holds 672 to 745 UTC slots. Local days are cut the same
way, which is what `billed_days` and the daily report count.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from payg_tui.engine.clock import local_date, local_midnight
from payg_tui.engine.model import BillingError, Period, Slot

_KEY_RE = re.compile(r"([0-9]{4})-([0-9]{2})\Z")  # ASCII digits: `\d` also takes "٢٠٢٦"


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@lru_cache(maxsize=512)
def period(key: str, tz_name: str) -> Period:
    """The period named `2026-11` in zone `tz_name`."""
    match = _KEY_RE.match(key)
    # Years 1 to 9998: the period of 9999-12 would end in year 10000, beyond `date`.
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1 <= int(match.group(1)) <= 9998:
        raise BillingError(f"not a period: {key!r} (expected YYYY-MM, e.g. 2026-11)")
    year, month = int(match.group(1)), int(match.group(2))
    start = local_midnight(date(year, month, 1), tz_name, boundary=True)
    end = local_midnight(date(*_next_month(year, month), 1), tz_name, boundary=True)
    return Period(key=key, start=start, end=end)


def period_of(slot: Slot, tz_name: str) -> Period:
    day = local_date(slot, tz_name)
    return period(f"{day.year:04d}-{day.month:02d}", tz_name)


def periods_between(first: Slot, last: Slot, tz_name: str) -> list[Period]:
    """Every period that holds a slot of `[first, last]`, oldest first."""
    found = [period_of(first, tz_name)]
    while found[-1].end <= last:
        found.append(period_of(found[-1].end, tz_name))
    return found


@dataclass(frozen=True, slots=True)
class Days:
    """The local calendar days of a period, as slot boundaries."""

    dates: tuple[date, ...]
    starts: tuple[Slot, ...]  # starts[i] = first slot of dates[i]; plus the period end

    def index(self, slot: Slot) -> int:
        """Which day of the period `slot` falls on."""
        return bisect.bisect_right(self.starts, slot) - 1

    def count(self, start: Slot, end: Slot) -> int:
        """Distinct local dates of the slots `[start, end)`."""
        return self.index(end - 1) - self.index(start) + 1


@lru_cache(maxsize=256)
def days_of(p: Period, tz_name: str) -> Days:
    first = local_date(p.start, tz_name)
    dates: list[date] = []
    starts: list[Slot] = []
    day = first
    while True:
        start = p.start if day == first else local_midnight(day, tz_name, boundary=False)
        if start >= p.end:
            break
        dates.append(day)
        starts.append(start)
        day += timedelta(days=1)
    starts.append(p.end)
    return Days(dates=tuple(dates), starts=tuple(starts))
