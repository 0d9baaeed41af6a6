"""Invariants of billing.md checked on generated histories (hypothesis)."""

from __future__ import annotations

import random
import sqlite3
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payg_tui.engine.billing import build_report, period_keys
from payg_tui.engine.model import ItemHistory, Ledger, PriceVersion, Product, Provider, Run
from payg_tui.engine.periods import period
from payg_tui.store.cache import Store
from tests.builders import World, h

ZONES = ["UTC", "Europe/Brussels", "America/New_York", "Australia/Sydney", "Pacific/Auckland"]
START = h("2026-10-27")
SPAN = 240  # hours: crosses the October/November boundary in every zone
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- a whole month on one pack costs exactly its monthly price --------------------------


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), year=st.integers(2020, 2035), month=st.integers(1, 12),
       cents=st.integers(0, 10_000_00))
def test_whole_month_on_one_pack_costs_exactly_the_monthly_price(zone, year, month, cents):
    key = f"{year}-{month:02d}"
    p = period(key, zone)
    assert 672 <= p.hours <= 745
    monthly = Decimal(cents).scaleb(-2)
    ledger = Ledger(
        provider=Provider("P", "EUR", 2, zone),
        products={"p": Product("p", "service_pack", "p", (PriceVersion(0, monthly),))},
        observed=[(p.start - 100, p.end + 100)],
        items=[ItemHistory("account", "A", "A", [Run(p.start - 100, p.end + 100, "p")])],
    )
    line = build_report(ledger, key).lines[0]
    assert (line.hours, line.amount) == (p.hours, monthly)


# -- generated histories -------------------------------------------------------------------


@st.composite
def worlds(draw: st.DrawFn) -> World:
    prices = {
        f"p{i}": sorted({(f"2026-{draw(st.sampled_from(['01', '10', '11']))}-0{draw(st.integers(1, 9))}",
                          f"{draw(st.integers(0, 500))}.{draw(st.integers(0, 99)):02d}")
                         for _ in range(draw(st.integers(1, 2)))})
        for i in range(3)
    }
    prices = {code: list({start: (start, m) for start, m in versions}.values())
              for code, versions in prices.items()}
    w = World(timezone=draw(st.sampled_from(ZONES)), prices=prices)
    for n in range(draw(st.integers(1, 6))):
        at = START + draw(st.integers(0, SPAN - 1))
        for _ in range(draw(st.integers(1, 3))):
            length = draw(st.sampled_from([1, 5, 30, 47, 48, 49, 100, 300]))
            w.account(f"A{n}", draw(st.sampled_from(["p0", "p1", "p2", "ghost"])), at, at + length)
            if draw(st.booleans()):
                w.addon(f"S{n}", f"A{n}", "p2", at + draw(st.integers(0, 10)), at + length)
            at += length + draw(st.sampled_from([0, 0, 1, 5]))
    w.missing = set(draw(st.lists(st.integers(START + 1, START + SPAN - 2), max_size=6)))
    return w


def _reports(w: World) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = w.ledger(Path(tmp) / "c.sqlite3", START, START + SPAN - 1)
    return [build_report(ledger, key) for key in period_keys(ledger)]


def _price_at(w: World, product: str, slot: int) -> Decimal | None:
    versions = [(h(start), Decimal(m)) for start, m in w.prices.get(product, [])]
    in_force = [m for start, m in sorted(versions) if start <= slot]
    return in_force[-1] if in_force else None


def _half_up(value: Fraction, exponent: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


@SLOW
@given(w=worlds())
def test_line_amount_is_the_rounded_exact_sum_of_its_slot_charges(w):
    for report in _reports(w):
        for line in report.lines:
            prices = [_price_at(w, line.product, t) for t in range(line.start, line.end)]
            if line.state == "exempt":
                assert line.amount == Decimal("0.00")
            elif None in prices:
                assert line.amount is None and report.totals.incomplete and report.warnings
            else:
                exact = sum((Fraction(p) / report.period.hours for p in prices), Fraction(0))
                # Decimal division of the exact fraction is exact enough at 28 digits here.
                assert line.amount == _half_up(exact, 2)


@SLOW
@given(w=worlds())
def test_exempt_lines_cost_nothing_and_are_short_ended_lifetimes(w):
    for report in _reports(w):
        for line in report.lines:
            if line.state == "exempt":
                assert line.amount == 0 and line.estimate == 0
                assert line.lifetime.hours < 48 and not line.lifetime.ongoing
                assert not line.lifetime.pre_existing


@SLOW
@given(w=worlds())
def test_totals_and_estimate_add_up(w):
    for report in _reports(w):
        priced = [ln for ln in report.lines if ln.amount is not None and ln.state != "exempt"]
        assert report.totals.billed == sum((ln.amount for ln in priced if ln.state == "billed"), Decimal(0))
        assert report.totals.pending == sum((ln.amount for ln in priced if ln.state == "pending"), Decimal(0))
        if report.as_of >= report.period.end - 1:  # fully observed
            assert report.totals.estimate == report.totals.billed + report.totals.pending
        else:
            assert report.totals.estimate >= report.totals.billed + report.totals.pending
        assert sum((ln.estimate for ln in priced), Decimal(0)) == report.totals.estimate
        assert report.totals.lines == len(report.lines)


@SLOW
@given(w=worlds())
def test_days_add_up_and_line_rounding_closes_the_gap_to_billed(w):
    for report in _reports(w):
        running = Decimal(0)
        for day in report.days:
            running += day.billed
            assert day.running == running
        assert report.days[-1].running + report.totals.day_rounding == report.totals.billed
        # Each day is rounded once, so the gap is at most half a cent per day and per line.
        billed_lines = sum(1 for ln in report.lines if ln.state == "billed")
        assert abs(report.totals.day_rounding) <= Decimal("0.005") * (len(report.days) + billed_lines)


# -- the store: idempotent and order-independent --------------------------------------------


def _tables(path: Path) -> dict[str, list]:
    with sqlite3.connect(path) as db:
        return {
            "hours": db.execute("SELECT first, last FROM hours ORDER BY first").fetchall(),
            "runs": sorted(db.execute("SELECT i.kind, i.key, r.product, r.first, r.last FROM runs r "
                                      "JOIN items i ON i.id = r.item").fetchall()),
            "labels": sorted(db.execute("SELECT account_id, name, customer FROM labels").fetchall()),
            "items": sorted(db.execute("SELECT kind, key, account_id FROM items").fetchall()),
        }


@SLOW
@given(w=worlds())
def test_importing_the_same_snapshots_twice_changes_nothing(w):
    snaps = w.snapshots(START, START + SPAN - 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.sqlite3"
        with Store.open(path) as store:
            store.add_snapshots(snaps, provider=w.provider(), products=w.products())
            once = _tables(path)
            again = store.add_snapshots(snaps, provider=w.provider(), products=w.products())
            assert again.hours_added == 0
        assert _tables(path) == once


@SLOW
@given(w=worlds(), seed=st.integers(0, 2**32 - 1), batches=st.integers(2, 8))
def test_reports_do_not_depend_on_the_order_snapshots_were_imported(w, seed, batches):
    snaps = w.snapshots(START, START + SPAN - 1)
    shuffled = snaps[:]
    random.Random(seed).shuffle(shuffled)
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one.sqlite3", Path(tmp) / "many.sqlite3"
        with Store.open(one) as store:
            store.add_snapshots(snaps, provider=w.provider(), products=w.products())
            in_one = store.load_ledger()
        with Store.open(many) as store:
            for i in range(batches):
                store.add_snapshots(shuffled[i::batches], provider=w.provider(), products=w.products())
            in_many = store.load_ledger()
        assert _tables(one) == _tables(many)
    for key in period_keys(in_one):
        assert build_report(in_one, key) == build_report(in_many, key)
