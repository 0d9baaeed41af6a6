"""Slots and the provider's local time: the one place that converts between them.

A slot is a whole UTC hour (`model.Slot`; `slot_of`, `slot_time` and
`slot_iso` there are the UTC side). Billing months and days are cut in the
provider's time zone (billing.md 5); everything that turns a slot into a
local time or date, or a local date or time into a slot, is here, so the
whole-hour checks are made the same way everywhere.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from payg_tui.engine.model import EPOCH, BillingError, Slot, slot_of, slot_time


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; `BillingError` when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise BillingError(f"unknown time zone {name!r:.60}") from None


def slot_at(seconds: float) -> Slot:
    """The slot holding the Unix time `seconds` (what `time.time()` returns)."""
    return int(seconds // 3600)


def slot_seconds(slot: Slot) -> float:
    """The Unix time at which `slot` starts."""
    return slot * 3600.0


def hour_slot(moment: datetime) -> Slot:
    """The slot that starts at `moment` (aware); `BillingError` off a whole UTC hour."""
    seconds = (moment - EPOCH).total_seconds()
    if seconds % 3600:
        raise BillingError(f"{moment} is not on a whole UTC hour (billing counts whole hours)")
    return int(seconds // 3600)


def local_time(slot: Slot, tz_name: str) -> datetime:
    """The start of `slot` on the provider's clock."""
    return slot_time(slot).astimezone(zone(tz_name))


def local_date(slot: Slot, tz_name: str) -> date:
    return slot_time(slot).astimezone(zone(tz_name)).date()


@lru_cache(maxsize=8192)
def local_hour(slot: Slot, tz_name: str) -> str:
    """`2026-11-05 14:00`: the start of a slot on the provider's clock, as tables write it."""
    return local_time(slot, tz_name).strftime("%Y-%m-%d %H:%M")


def local_midnight(day: date, tz_name: str, *, boundary: bool) -> Slot:
    """The first slot that starts on or after local 00:00 of `day`.

    A period boundary (`boundary=True`) must fall on a whole UTC hour, or
    billing would split an hour between two months: `BillingError`. A day
    inside a period may start mid-slot; that slot counts for the new day.
    """
    tz = zone(tz_name)
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    offset = local.utcoffset() or timedelta(0)
    seconds = int((local - EPOCH).total_seconds())
    if offset.total_seconds() % 3600:
        if boundary:
            raise BillingError(
                f"time zone {tz.key} is UTC{_offset(offset)} on {day.isoformat()}: "
                "a billing period must start on a whole UTC hour"
            )
        return -(-seconds // 3600)
    return seconds // 3600


def local_slot(moment: datetime | date, tz_name: str) -> Slot:
    """A date or a naive time on the provider's clock (an aware time as is), as a whole slot.

    `BillingError` when that is not a whole UTC hour (a price from local
    00:30, or any date in a zone half an hour off UTC).
    """
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone(tz_name))
        return hour_slot(aware)
    return local_midnight(moment, tz_name, boundary=True)


def month_start(slot: Slot, tz_name: str, months_back: int = 0) -> Slot:
    """Local 00:00 on the 1st of the month `months_back` before the one holding `slot`.

    A negative `months_back` looks ahead (-1: the start of the next month).
    """
    tz = zone(tz_name)
    local = slot_time(slot).astimezone(tz)
    index = local.year * 12 + local.month - 1 - months_back
    return slot_of(datetime(index // 12, index % 12 + 1, 1, tzinfo=tz))


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
