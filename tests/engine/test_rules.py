"""One test per rule of billing.md, named after it, through store and engine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payg_tui.engine.billing import build_report
from payg_tui.engine.model import BillingError
from payg_tui.engine.periods import period
from tests.builders import World, h, line_of

D = Decimal


@pytest.fixture
def db(tmp_path):
    return tmp_path / "cache.sqlite3"


# -- 1. Time --------------------------------------------------------------------


def test_1_coverage_runs_from_first_to_latest_snapshot(db):
    w = World().account("A", "p72", h("2026-11-01"))
    w.missing = {h("2026-11-02T05"), h("2026-11-02T06")}
    r = w.report(db, h("2026-11-01"), h("2026-11-03T23"), "2026-11")
    assert r.as_of == h("2026-11-03T23")
    assert r.hours_observed == 72 - 2
    assert r.missing_hours == 2
    assert r.missing == [(h("2026-11-02T05"), h("2026-11-02T06"))]


# -- 2. Items, presence, gaps ---------------------------------------------------


def test_2_bridging_item_present_on_both_sides_is_present_in_the_gap(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("A", "p72", h("2026-11-05"))
    w.missing = set(range(h("2026-11-06T00"), h("2026-11-06T10")))
    r = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11")
    a = line_of(r, "A")
    assert (a.start, a.end, a.hours) == (h("2026-11-05"), h("2026-11-11"), 6 * 24)


def test_2_bridging_item_absent_on_one_side_is_absent_in_the_gap(db):
    w = World().account("Z", "p72", h("2026-11-01"))
    # A is last seen before the gap, B first seen after it: neither is bridged.
    w.account("A", "p72", h("2026-11-03"), h("2026-11-06T00")).account("B", "p72", h("2026-11-06T10"))
    w.missing = set(range(h("2026-11-06T00"), h("2026-11-06T10")))
    r = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11")
    assert line_of(r, "A").end == h("2026-11-06T00")
    assert line_of(r, "B").start == h("2026-11-06T10")


def test_2_bridging_keeps_the_product_before_the_gap(db):
    w = World().account("Z", "p72", h("2026-11-01"))
    w.account("A", "p72", h("2026-11-03"), h("2026-11-06T10")).account("A", "p144", h("2026-11-06T10"))
    w.missing = set(range(h("2026-11-06T00"), h("2026-11-06T10")))
    r = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11")
    assert line_of(r, "A", "p72").end == h("2026-11-06T10")  # p72 through the gap
    assert line_of(r, "A", "p144").start == h("2026-11-06T10")


# -- 3. Lifetimes and the 48-hour rule --------------------------------------------


def test_3_item_that_disappears_and_comes_back_has_two_lifetimes(db):
    w = World().account("Z", "p72", h("2026-11-01"))
    w.account("A", "p72", h("2026-11-03"), h("2026-11-04"))  # 24 h: exempt
    w.account("A", "p72", h("2026-11-08"), h("2026-11-12"))  # 96 h: billed
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    first, second = [ln for ln in r.lines if ln.id == "A"]
    assert (first.state, first.hours, first.amount) == ("exempt", 24, D("0.00"))
    assert (second.state, second.hours, second.amount) == ("billed", 96, D("9.60"))


def test_3_ended_lifetime_under_48_hours_is_exempt(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("B", "p72", h("2026-11-05"), h("2026-11-06T23"))
    b = line_of(w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11"), "B")
    assert (b.hours, b.state, b.amount, b.would_cost) == (47, "exempt", D("0.00"), D("4.70"))


def test_3_lifetime_of_48_hours_is_billed_from_its_first_slot(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("C", "p72", h("2026-11-05"), h("2026-11-07"))
    c = line_of(w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11"), "C")
    assert (c.start, c.hours, c.state, c.amount) == (h("2026-11-05"), 48, "billed", D("4.80"))


def test_3_pre_existing_lifetime_is_billed_even_when_short(db):
    # Present in the very first snapshot: its real start is unknown, so it is old.
    w = World().account("P", "p72", h("2026-11-01"), h("2026-11-01T10")).account("Z", "p72", h("2026-11-01"))
    p = line_of(w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11"), "P")
    assert (p.state, p.hours, p.lifetime.pre_existing) == ("billed", 10, True)
    assert p.amount == D("1.00")


def test_3_ongoing_short_lifetime_is_pending_with_its_grace_deadline(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"))
    e = line_of(w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11"), "E")
    assert (e.state, e.hours, e.amount) == ("pending", 30, D("3.00"))
    # First slot 19th 18:00 + 47 h: the image that would be its 48th (v1.1; v1 said 18:00).
    assert e.lifetime.grace_deadline == e.deadline == h("2026-11-21T17")


def test_3_item_present_in_the_image_at_first_plus_47_hours_is_billed_back_to_its_first_hour(db):
    # Created 19th 18:00, deleted during the hour of the deadline image (21st 17:00):
    # that image holds it, it has 48 hours, so it is billed from 19th 18:00.
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"),
                                                             h("2026-11-21T18"))
    e = line_of(w.report(db, h("2026-11-01"), h("2026-11-25T23"), "2026-11"), "E")
    assert (e.state, e.start, e.hours, e.amount, e.deadline) == (
        "billed", h("2026-11-19T18"), 48, D("4.80"), None)  # 72 x 48 / 720


def test_3_item_gone_before_the_image_at_first_plus_47_hours_is_exempt(db):
    # Last seen in the 21st 16:00 image, gone from the 17:00 one: 47 hours, free.
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"),
                                                             h("2026-11-21T17"))
    e = line_of(w.report(db, h("2026-11-01"), h("2026-11-25T23"), "2026-11"), "E")
    assert (e.state, e.hours, e.amount, e.would_cost, e.deadline) == ("exempt", 47, D("0.00"),
                                                                      D("4.70"), None)


def test_3_pending_item_is_still_pending_one_hour_before_its_deadline(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"))
    e = line_of(w.report(db, h("2026-11-01"), h("2026-11-21T16"), "2026-11"), "E")
    assert (e.state, e.hours, e.deadline) == ("pending", 47, h("2026-11-21T17"))


def test_3_pending_becomes_billed_back_to_its_first_slot_at_48_hours(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"))
    e = line_of(w.report(db, h("2026-11-01"), h("2026-11-21T17"), "2026-11"), "E")
    assert (e.state, e.start, e.hours, e.amount) == ("billed", h("2026-11-19T18"), 48, D("4.80"))


def test_3_pending_becomes_exempt_if_it_ends_before_48_hours(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"), h("2026-11-21"))
    e = line_of(w.report(db, h("2026-11-01"), h("2026-11-22T23"), "2026-11"), "E")
    assert (e.state, e.amount) == ("exempt", D("0.00"))


# -- 4. Segments ------------------------------------------------------------------


def test_4_pack_change_lists_the_account_twice(db):
    w = World().account("Z", "p72", h("2026-11-01"))
    w.account("D", "p72", h("2026-11-08"), h("2026-11-12T04")).account("D", "p144", h("2026-11-12T04"),
                                                                      h("2026-11-20T12"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    assert (line_of(r, "D", "p72").hours, line_of(r, "D", "p72").amount) == (100, D("10.00"))
    assert (line_of(r, "D", "p144").hours, line_of(r, "D", "p144").amount) == (200, D("40.00"))


def test_4_segment_inherits_the_grace_state_of_its_lifetime(db):
    # 10 hours on p144 inside a long-lived account: still billed.
    w = World().account("Z", "p72", h("2026-11-01"))
    w.account("A", "p72", h("2026-11-03"), h("2026-11-06")).account("A", "p144", h("2026-11-06"),
                                                                    h("2026-11-06T10"))
    w.account("A", "p72", h("2026-11-06T10"), h("2026-11-09"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    short = line_of(r, "A", "p144")
    assert (short.hours, short.state, short.amount) == (10, "billed", D("2.00"))


# -- 5. Periods -------------------------------------------------------------------


def test_5_period_is_a_calendar_month_in_the_provider_zone():
    nov = period("2026-11", "Europe/Brussels")
    assert (nov.start, nov.end) == (h("2026-10-31T23"), h("2026-11-30T23"))


@pytest.mark.parametrize(("zone", "key", "hours"), [
    ("Europe/Brussels", "2026-03", 743), ("Europe/Brussels", "2026-10", 745),
    ("America/New_York", "2026-03", 743), ("America/New_York", "2026-11", 721),
    ("America/New_York", "2026-02", 672), ("UTC", "2026-10", 744), ("UTC", "2024-02", 696),
])
def test_5_dst_months_have_one_hour_less_or_more(zone, key, hours):
    assert period(key, zone).hours == hours


def test_5_zone_without_whole_hour_offset_is_refused():
    with pytest.raises(BillingError, match="whole UTC hour"):
        period("2026-11", "Asia/Kolkata")


def test_5_periods_listed_are_those_overlapping_the_coverage(db):
    w = World().account("Z", "p72", h("2026-09-30T20"))
    keys = [s.period.key for s in w.periods(db, h("2026-09-30T20"), h("2026-11-01T02"))]
    assert keys == ["2026-11", "2026-10", "2026-09"]


# -- 6. Lines ---------------------------------------------------------------------


def test_6_a_segment_over_two_periods_gives_one_line_in_each(db):
    w = World().account("Z", "p72", h("2026-10-25"))
    oct_, nov = (w.report(db, h("2026-10-25"), h("2026-11-02T23"), k) for k in ("2026-10", "2026-11"))
    assert (line_of(oct_, "Z").start, line_of(oct_, "Z").end) == (h("2026-10-25"), h("2026-11-01"))
    assert (line_of(nov, "Z").start, line_of(nov, "Z").end) == (h("2026-11-01"), h("2026-11-03"))


def test_6_billed_days_are_distinct_local_dates(db):
    # 22:00 UTC to 02:00 UTC in Brussels (UTC+1): local 23:00 to 03:00, two dates.
    w = World(timezone="Europe/Brussels").account("Z", "p72", h("2026-11-01"))
    w.account("A", "p72", h("2026-11-10T22"), h("2026-11-14T02"))
    a = line_of(w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11"), "A")
    assert a.billed_days == 5  # local 10th 23:00 .. 14th 03:00 -> 10, 11, 12, 13, 14


def test_6_deadline_of_a_pending_item_that_started_before_the_period(db):
    # E appears 31 Oct 20:00; on 1 Nov 10:00 it has 15 hours (4 in October, 11 in November).
    w = World().account("Z", "p72", h("2026-10-25")).account("E", "p72", h("2026-10-31T20"))
    r = w.report(db, h("2026-10-25"), h("2026-11-01T10"), "2026-11")
    e = line_of(r, "E")
    assert (e.start, e.hours, e.state) == (h("2026-11-01"), 11, "pending")
    # From the lifetime's first hour, not the line's: 31 Oct 20:00 + 47 h.
    assert e.deadline == h("2026-11-02T19")
    assert line_of(r, "Z").deadline is None


def test_6_line_estimate_is_its_amount_unless_it_reaches_as_of_in_the_open_period(db):
    w = World().account("Z", "p72", h("2026-10-25"))
    w.account("A", "p72", h("2026-11-03T10")).account("B", "p72", h("2026-11-05"), h("2026-11-06T12"))
    w.account("C", "p72", h("2026-11-05"), h("2026-11-07")).account("E", "p72", h("2026-11-19T18"))
    w.account("U", "mystery", h("2026-11-10"))
    r = w.report(db, h("2026-10-25"), h("2026-11-20T23"), "2026-11")
    # A: 422 h so far, 662 h to the month end at 0.10/h; E: 270 h; Z: the whole month.
    assert (line_of(r, "A").amount, line_of(r, "A").estimate) == (D("42.20"), D("66.20"))
    assert (line_of(r, "E").amount, line_of(r, "E").estimate) == (D("3.00"), D("27.00"))
    assert line_of(r, "Z").estimate == D("72.00")
    assert line_of(r, "C").estimate == line_of(r, "C").amount == D("4.80")  # ended: as it is
    assert line_of(r, "B").estimate == D("0.00")  # exempt
    assert line_of(r, "U").estimate is None  # unpriced
    oct_ = w.report(db.with_name("oct.sqlite3"), h("2026-10-25"), h("2026-11-20T23"), "2026-10")
    assert line_of(oct_, "Z").estimate == line_of(oct_, "Z").amount == D("16.26")  # closed period


# -- 7. Prices and amounts ------------------------------------------------------------


def test_7_price_in_force_is_the_latest_version_started(db):
    w = World(prices={"p": [("2020-01-01", "72.00"), ("2026-11-10", "144.00")]})
    w.account("Z", "p", h("2026-11-01"))
    z = line_of(w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11"), "Z")
    # 9 days at 72/720 per hour, then 11 days at 144/720.
    assert z.amount == D("21.60") + D("52.80")


def test_7_whole_month_on_one_pack_costs_exactly_its_monthly_price(db):
    w = World(timezone="Europe/Brussels", prices={"p": [("2020-01-01", "4.95")]})
    w.account("Z", "p", h("2026-09-30T22"))
    r = w.report(db, h("2026-09-30T22"), h("2026-11-01T00"), "2026-10")  # 745 hours
    assert r.period.hours == 745
    assert line_of(r, "Z").amount == D("4.95")


@pytest.mark.parametrize(("monthly", "hours", "expected"), [
    ("0.30", 500, "0.21"),  # 0.30 * 500 / 720 = 0.208333.. -> 0.21
    ("72.09", 5, "0.50"),  # 0.500625 -> 0.50
    ("1.44", 5, "0.01"),  # exactly 0.01
    ("0.72", 5, "0.01"),  # exactly 0.005: half-up -> 0.01
    ("2.16", 5, "0.02"),  # exactly 0.015 -> 0.02 (not banker's 0.02 by luck: see next)
    ("3.60", 5, "0.03"),  # exactly 0.025 -> 0.03 (banker's rounding would give 0.02)
])
def test_7_amount_is_rounded_once_half_up(db, monthly, hours, expected):
    w = World(prices={"p": [("2020-01-01", monthly)], "p72": [("2020-01-01", "72.00")]})
    w.account("Z", "p72", h("2026-11-01")).account("A", "p", h("2026-11-02"), h("2026-11-02") + hours)
    a = line_of(w.report(db, h("2026-11-01"), h("2026-11-30T23"), "2026-11"), "A")
    # Short stays are exempt; what they would have cost is rounded the same way.
    assert (a.amount if hours >= 48 else a.would_cost) == D(expected)


def test_7_currency_exponent_sets_the_minor_unit(db):
    w = World(exponent=0, currency="JPY", prices={"p": [("2020-01-01", "1000")]})
    w.account("Z", "p", h("2026-11-01"))
    r = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11")
    assert line_of(r, "Z").amount == D("333")  # 1000 * 240 / 720 = 333.33


def test_7_exempt_line_costs_zero_whatever_its_product(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("B", "ghost", h("2026-11-05"), h("2026-11-06"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    assert (line_of(r, "B").state, line_of(r, "B").amount) == ("exempt", D("0.00"))
    assert not r.warnings and not r.totals.incomplete


def test_7_unpriced_line_is_null_with_a_warning_and_incomplete_totals(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("U", "mystery", h("2026-11-05"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    assert line_of(r, "U").amount is None
    assert r.totals.incomplete
    assert len(r.warnings) == 1 and "'mystery'" in r.warnings[0] and "2026-11-05T00:00:00Z" in r.warnings[0]
    assert r.totals.billed == D("48.00")  # Z only: the unpriced line is never a silent zero


def test_7_slot_before_the_first_price_is_unpriced(db):
    w = World(prices={"p": [("2026-11-10", "72.00")], "p72": [("2020-01-01", "72.00")]})
    w.account("Z", "p72", h("2026-11-01")).account("A", "p", h("2026-11-05"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    assert line_of(r, "A").amount is None and r.totals.incomplete


# -- 8. Totals, estimate, status ----------------------------------------------------------


def test_8_totals_sum_billed_and_pending_lines(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    assert (r.totals.billed, r.totals.pending) == (D("48.00"), D("3.00"))


def test_8_estimate_extends_lines_that_reach_as_of_to_the_period_end(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"))
    w.account("C", "p72", h("2026-11-05"), h("2026-11-07"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    # Z: whole month 72.00; E: 270 h = 27.00; C: as it is, 4.80.
    assert r.totals.estimate == D("103.80")


def test_8_estimate_uses_future_price_versions(db):
    w = World(prices={"p": [("2020-01-01", "72.00"), ("2026-11-21", "144.00")]})
    w.account("Z", "p", h("2026-11-01"))
    r = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11")
    # 480 h at 72/720 so far and to come, then 240 h at 144/720.
    assert r.totals.estimate == D("48.00") + D("48.00")


def test_8_estimate_of_a_fully_observed_period_is_billed_plus_pending(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-30T10"))
    r = w.report(db, h("2026-11-01"), h("2026-11-30T23"), "2026-11")
    assert r.totals.estimate == r.totals.billed + r.totals.pending


def test_8_counts_distinct_billed_or_pending_items_and_all_lines(db):
    w = World(prices={"p72": [("2020-01-01", "72.00")], "p144": [("2020-01-01", "144.00")],
                      "ssl": [("2020-01-01", "7.20")]})
    w.account("Z", "p72", h("2026-11-01")).addon("S", "Z", "ssl", h("2026-11-01"))
    w.account("D", "p72", h("2026-11-02"), h("2026-11-06")).account("D", "p144", h("2026-11-06"))
    w.account("E", "p72", h("2026-11-10T10"))  # pending: counted
    w.account("B", "p72", h("2026-11-03"), h("2026-11-04"))  # exempt: a line, not an account
    w.addon("T", "Z", "ssl", h("2026-11-04"), h("2026-11-04T05"))  # exempt add-on
    t = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11").totals
    # Z, D (one account, two lines), E; S; lines Z, S, D x2, E, B, T.
    assert (t.accounts, t.addons, t.lines) == (3, 1, 7)


def test_8_status_open_provisional_closed(db):
    w = World().account("Z", "p72", h("2026-10-20")).account("E", "p72", h("2026-10-31T10"))
    # as_of inside November: October is fully observed; E (pending, 14 h in Oct) keeps it provisional.
    assert w.report(db, h("2026-10-20"), h("2026-10-31T23"), "2026-10").status == "provisional"
    db.unlink()
    assert w.report(db, h("2026-10-20"), h("2026-10-31T22"), "2026-10").status == "open"
    db.unlink()
    assert w.report(db, h("2026-10-20"), h("2026-11-03T23"), "2026-10").status == "closed"


# -- 9. Daily report ------------------------------------------------------------------------


def test_9_daily_report_rounds_each_day_once_and_counts_items(db):
    w = World(prices={"p": [("2020-01-01", "1.00")], "a": [("2020-01-01", "7.20")]})
    w.account("Z", "p", h("2026-11-01")).addon("S", "Z", "a", h("2026-11-01T12"))
    w.account("E", "p", h("2026-11-03T20"))  # pending: counted, not billed
    r = w.report(db, h("2026-11-01"), h("2026-11-04T05"), "2026-11")
    days = {d.date: d for d in r.days}
    assert list(days) == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert days["2026-11-01"].billed == D("0.15")  # Z 24/720 + S 12 x 0.01 = 0.1533
    assert days["2026-11-02"].billed == D("0.27")  # 0.0333 + 0.24 = 0.2733
    assert days["2026-11-04"].billed == D("0.07")  # 6/720 + 0.06 = 0.0683
    assert days["2026-11-03"].billed == D("0.27")  # as the 2nd
    assert (days["2026-11-03"].accounts, days["2026-11-03"].addons) == (2, 1)
    # The running column adds the rounded days: 0.15 + 0.27 + 0.27 + 0.07.
    assert [d.running for d in r.days] == [D("0.15"), D("0.42"), D("0.69"), D("0.76")]
    # Lines: Z 78 h at 1.00 = 0.1083 -> 0.11; S 66 h at 7.20 = 0.66; billed 0.77.
    assert (r.totals.billed, r.totals.day_rounding) == (D("0.77"), D("0.01"))


def test_9_day_rounding_is_billed_less_the_sum_of_the_days_worked_example_october(db):
    # Z alone in October (744 h): 168 h at 72.00 = 16.2580.. -> 16.26 on its line,
    # 24 h a day = 2.3225.. -> 2.32 on each of 7 days, which add up to 16.24.
    w = World().account("Z", "p72", h("2026-10-25"))
    r = w.report(db, h("2026-10-25"), h("2026-11-20T23"), "2026-10")
    billed_days = [d for d in r.days if d.billed]
    assert [d.billed for d in billed_days] == [D("2.32")] * 7
    assert r.days[-1].running == D("16.24")
    assert (r.totals.billed, r.totals.day_rounding) == (D("16.26"), D("0.02"))
    assert r.days[-1].running + r.totals.day_rounding == r.totals.billed


# -- 10. Aggregates -------------------------------------------------------------------------


def test_10_service_packs_used_group_billed_and_pending_lines(db):
    w = World().account("Z", "p72", h("2026-11-01")).account("E", "p72", h("2026-11-19T18"))
    w.account("B", "p72", h("2026-11-05"), h("2026-11-06"))  # exempt: left out
    w.account("D", "p144", h("2026-11-01"))
    r = w.report(db, h("2026-11-01"), h("2026-11-20T23"), "2026-11")
    uses = {u.product: u for u in r.products}
    assert (uses["p72"].items, uses["p72"].hours, uses["p72"].amount) == (2, 510, D("51.00"))
    assert (uses["p144"].items, uses["p144"].amount) == (1, D("96.00"))


def test_10_customers_group_lines_under_the_account_customer(db):
    w = World(prices={"p72": [("2020-01-01", "72.00")], "ssl": [("2020-01-01", "7.20")]})
    w.account("A", "p72", h("2026-11-01"), customer="C-1").addon("S", "A", "ssl", h("2026-11-01"))
    w.account("B", "p72", h("2026-11-01"), customer=None)
    r = w.report(db, h("2026-11-01"), h("2026-11-10T23"), "2026-11")
    by = {c.customer: c for c in r.customers}
    assert (by["C-1"].accounts, by["C-1"].lines, by["C-1"].billed) == (1, 2, D("24.00") + D("2.40"))
    assert by[None].billed == D("24.00")


# -- the worked example ----------------------------------------------------------------


def test_worked_example_table_numbers(db):
    w = World().account("Z", "p72", h("2026-10-25"))
    w.account("A", "p72", h("2026-11-03T10")).account("B", "p72", h("2026-11-05"), h("2026-11-06T12"))
    w.account("C", "p72", h("2026-11-05"), h("2026-11-07"))
    w.account("D", "p72", h("2026-11-08"), h("2026-11-12T04"))
    w.account("D", "p144", h("2026-11-12T04"), h("2026-11-20T12"))
    w.account("E", "p72", h("2026-11-19T18"))
    r = w.report(db, h("2026-10-25"), h("2026-11-20T23"), "2026-11")
    got = {(ln.id, ln.product): (ln.state, ln.hours, ln.amount) for ln in r.lines}
    assert got == {
        ("A", "p72"): ("billed", 422, D("42.20")), ("B", "p72"): ("exempt", 36, D("0.00")),
        ("C", "p72"): ("billed", 48, D("4.80")), ("D", "p72"): ("billed", 100, D("10.00")),
        ("D", "p144"): ("billed", 200, D("40.00")), ("E", "p72"): ("pending", 30, D("3.00")),
        ("Z", "p72"): ("billed", 480, D("48.00")),
    }
    assert (r.totals.billed, r.totals.pending, r.totals.estimate) == (D("145.00"), D("3.00"), D("220.00"))


def test_report_of_a_period_without_data_is_refused(db):
    w = World().account("Z", "p72", h("2026-11-01"))
    with pytest.raises(BillingError, match="no data for period 2026-08"):
        build_report(w.ledger(db, h("2026-11-01"), h("2026-11-02")), "2026-08")
