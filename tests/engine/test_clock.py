"""Slots and local time, converted in one place (engine/clock.py), with the same checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from payg_tui.engine.clock import local_hour, local_midnight, local_slot, month_start, slot_at
from payg_tui.engine.model import BillingError, slot_of


def test_a_local_hour_follows_summer_time() -> None:
    summer = slot_of(datetime(2026, 10, 24, 12, tzinfo=UTC))
    winter = slot_of(datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert local_hour(summer, "Europe/Brussels") == "2026-10-24 14:00"
    assert local_hour(winter, "Europe/Brussels") == "2026-10-26 13:00"


def test_local_midnight_is_the_first_slot_of_the_local_day() -> None:
    assert local_midnight(date(2026, 11, 1), "Europe/Brussels", boundary=True) == slot_of(
        datetime(2026, 10, 31, 23, tzinfo=UTC))


def test_a_period_boundary_off_a_whole_utc_hour_is_refused_a_day_rounds_up() -> None:
    with pytest.raises(BillingError, match=r"UTC\+05:30"):
        local_midnight(date(2026, 11, 1), "Asia/Kolkata", boundary=True)
    inside = local_midnight(date(2026, 11, 2), "Asia/Kolkata", boundary=False)
    assert inside == slot_of(datetime(2026, 11, 1, 19, tzinfo=UTC))  # 18:30 UTC rounds up


def test_a_local_date_or_time_is_a_slot_only_on_a_whole_utc_hour() -> None:
    assert local_slot(date(2025, 1, 1), "Europe/Brussels") == slot_of(
        datetime(2024, 12, 31, 23, tzinfo=UTC))
    assert local_slot(datetime(2025, 1, 1, 6), "Europe/Brussels") == slot_of(
        datetime(2025, 1, 1, 5, tzinfo=UTC))
    with pytest.raises(BillingError, match="whole UTC hour"):
        local_slot(datetime(2025, 1, 1, 6, 30), "Europe/Brussels")
    with pytest.raises(BillingError):
        local_slot(date(2025, 1, 1), "Asia/Kolkata")


def test_month_start_counts_local_months_back_and_ahead() -> None:
    now = slot_of(datetime(2026, 11, 15, tzinfo=UTC))
    assert month_start(now, "Europe/Brussels", 1) == slot_of(datetime(2026, 9, 30, 22, tzinfo=UTC))
    assert month_start(now, "Europe/Brussels", -1) == slot_of(datetime(2026, 11, 30, 23, tzinfo=UTC))


def test_unix_seconds_fall_in_their_hour() -> None:
    assert slot_at(3599.9) == 0 and slot_at(3600) == 1


def test_an_unknown_zone_is_a_billing_error() -> None:
    with pytest.raises(BillingError, match="unknown time zone"):
        local_hour(0, "Mars/Olympus")
    with pytest.raises(BillingError, match="unknown time zone"):
        local_hour(0, "A" * 5000)  # too long for a file name
