"""Lines, totals, estimate and status of billing periods (billing.md 6 to 8).

`build_report` gives everything about one period; `list_periods` gives the
cheaper per-period summary that the period list shows. Both read a `Ledger`
and nothing else: no I/O happens here.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from payg_tui.engine.aggregates import customer_uses, daily_totals, product_uses
from payg_tui.engine.lifetimes import Coverage, Segment, segments
from payg_tui.engine.model import (
    GRACE_HOURS,
    AccountLabel,
    BillingError,
    DayTotal,
    GraceState,
    ItemHistory,
    Ledger,
    Line,
    Period,
    PeriodReport,
    PeriodStatus,
    PeriodSummary,
    PriceChange,
    Product,
    ReportTotals,
    Slot,
    Totals,
    slot_iso,
)
from payg_tui.engine.periods import days_of, period, periods_between
from payg_tui.engine.pricing import Money, PriceBook

_NO_LABEL = AccountLabel(name="", customer=None)
_LINE_ORDER = attrgetter("kind", "id", "start")  # a report's lines: by item, then in time


@dataclass(frozen=True, slots=True)
class _Context:
    """What every line of one period is priced with."""

    period: Period
    book: PriceBook
    money: Money
    as_of: Slot
    tz: str

    @property
    def holds_as_of(self) -> bool:
        return self.period.start <= self.as_of < self.period.end


def report_window(timezone: str, key: str) -> tuple[Slot, Slot]:
    """Slots whose runs decide a period's lines: the period plus the grace margin.

    A lifetime that reaches the period from outside this window is at least
    48 hours long, so runs beyond it cannot change any line (see docs/engine.md).
    """
    p = period(key, timezone)
    return p.start - GRACE_HOURS - 1, p.end + GRACE_HOURS + 1


def period_keys(ledger: Ledger) -> list[str]:
    """The periods that overlap the coverage, oldest first."""
    if ledger.first_slot is None or ledger.as_of is None:
        return []
    tz = ledger.provider.timezone
    return [p.key for p in periods_between(ledger.first_slot, ledger.as_of, tz)]


def build_report(ledger: Ledger, key: str) -> PeriodReport:
    """The full report of period `key` ("2026-11")."""
    coverage = _coverage(ledger)
    assert coverage.as_of is not None
    tz = ledger.provider.timezone
    p = period(key, tz)
    if p.end <= (coverage.first or 0) or p.start > coverage.as_of:
        raise BillingError(f"no data for period {key}: the cache covers "
                           f"{slot_iso(coverage.first or 0)} to {slot_iso(coverage.as_of)}")
    ctx = _context(ledger, p, coverage.as_of)
    all_segments = [(item, seg) for item in ledger.items for seg in segments(item, coverage)
                    if seg.start < p.end and seg.end > p.start]
    lines = _lines(ctx, all_segments, ledger.labels)
    lines.sort(key=_LINE_ORDER)
    totals = _totals(((ln.state, ln.amount, ln.estimate) for ln in lines), ctx.money)
    days = daily_totals(lines, days_of(p, tz), ctx.book, ctx.money, coverage.as_of)
    missing = coverage.missing_in(p.start, p.end)
    return PeriodReport(
        provider=ledger.provider,
        period=p,
        status=_status(ctx, any(ln.state == "pending" for ln in lines)),
        as_of=coverage.as_of,
        hours_observed=coverage.observed_in(p.start, p.end),
        missing_hours=sum(b - a + 1 for a, b in missing),
        lines=lines,
        totals=_report_totals(totals, lines, days, ctx.money.decimal(0)),
        days=days,
        products=product_uses(lines, ledger.products),
        customers=customer_uses(lines, ctx.money.decimal(0)),
        warnings=_warnings(lines, p),
        missing=missing,
        price_changes=price_changes(ledger.products, p, coverage.as_of),
    )


def list_periods(ledger: Ledger) -> list[PeriodSummary]:
    """A summary of every period that overlaps the coverage, newest first."""
    coverage = _coverage(ledger)
    if coverage.as_of is None or coverage.first is None:
        return []
    tz = ledger.provider.timezone
    periods = periods_between(coverage.first, coverage.as_of, tz)
    starts = [p.start for p in periods]
    per_period: list[list[tuple[ItemHistory, Segment]]] = [[] for _ in periods]
    for item in ledger.items:
        for seg in segments(item, coverage):
            i = max(0, bisect.bisect_right(starts, seg.start) - 1)
            while i < len(periods) and periods[i].start < seg.end:
                per_period[i].append((item, seg))
                i += 1
    summaries = [_summary(_context(ledger, p, coverage.as_of), segs, coverage)
                 for p, segs in zip(periods, per_period, strict=True)]
    summaries.reverse()
    return summaries


def _summary(ctx: _Context, segs: list[tuple[ItemHistory, Segment]], coverage: Coverage) -> PeriodSummary:
    """A period's row in the period list, without building its lines."""
    active: dict[str, set[str]] = {"account": set(), "addon": set()}
    entries = []
    for item, _, _, _, state, (amount, _, estimate, _) in _priced(ctx, segs):
        if state != "exempt":
            active[item.kind].add(item.id)
            entries.append((state, amount, estimate))
    p = ctx.period
    return PeriodSummary(
        period=p,
        status=_status(ctx, any(state == "pending" for state, _, _ in entries)),
        accounts=len(active["account"]),
        addons=len(active["addon"]),
        totals=_totals(entries, ctx.money),
        hours_observed=coverage.observed_in(p.start, p.end),
        missing_hours=sum(b - a + 1 for a, b in coverage.missing_in(p.start, p.end)),
    )


def price_changes(products: dict[str, Product], p: Period, as_of: Slot) -> list[PriceChange]:
    """Price versions that take effect inside the period (after its first hour), by time.

    The ones after `as_of` are what the estimate assumes: it prices the hours
    from then at the new price (billing.md 8).
    """
    found = []
    for code, product in products.items():
        previous = None
        for version in product.prices:
            if p.start < version.effective_from < p.end:
                found.append(PriceChange(code, product.name, previous, version.monthly,
                                         version.effective_from, version.effective_from > as_of))
            previous = version.monthly
    found.sort(key=lambda c: (c.effective_from, c.product))
    return found


def _coverage(ledger: Ledger) -> Coverage:
    coverage = Coverage(ledger.observed)
    if coverage.as_of is None:
        raise BillingError("the cache holds no snapshot yet")
    return coverage


def _context(ledger: Ledger, p: Period, as_of: Slot) -> _Context:
    book = PriceBook(ledger.products)
    money = Money(book, p.hours, ledger.provider.currency_exponent)
    return _Context(period=p, book=book, money=money, as_of=as_of, tz=ledger.provider.timezone)


# What a line's money depends on: (product, start, end, state) -> (amount,
# would_cost, estimate, reaches_as_of). Most lines of a month share all four.
_Charges = tuple[Decimal | None, Decimal | None, Decimal | None, bool]
_Priced = tuple[ItemHistory, Segment, Slot, Slot, GraceState, _Charges]


def _priced(ctx: _Context, segs: Iterable[tuple[ItemHistory, Segment]]) -> Iterator[_Priced]:
    """Each segment cut to the period and priced (billing.md 6 to 8).

    Yields (item, segment, start, end, state, (amount, would_cost, estimate,
    reaches_as_of)). The one place where a line's money is decided.
    """
    p = ctx.period
    known: dict[tuple[str, Slot, Slot, GraceState], _Charges] = {}
    for item, seg in segs:
        start = seg.start if seg.start > p.start else p.start
        end = seg.end if seg.end < p.end else p.end
        state = seg.lifetime.state
        key = (seg.product, start, end, state)
        charges = known.get(key)
        if charges is None:
            charges = known[key] = _charges(ctx, *key)
        yield item, seg, start, end, state, charges


def _charges(ctx: _Context, product: str, start: Slot, end: Slot, state: GraceState) -> _Charges:
    """The money of a line: what it costs, would cost, and is estimated to cost."""
    would_cost = _rounded(ctx, product, start, end)
    reaches = ctx.holds_as_of and end == ctx.as_of + 1
    if state == "exempt":
        zero = ctx.money.decimal(0)
        return zero, would_cost, zero, reaches
    estimate = would_cost
    if reaches and would_cost is not None:
        estimate = _rounded(ctx, product, start, ctx.period.end)
    return would_cost, would_cost, estimate, reaches


def _rounded(ctx: _Context, product: str, start: Slot, end: Slot) -> Decimal | None:
    charge = ctx.book.charge(product, start, end)
    return None if charge is None else ctx.money.amount(charge)


def _lines(ctx: _Context, segs: Iterable[tuple[ItemHistory, Segment]],
           labels: dict[str, AccountLabel]) -> list[Line]:
    days = days_of(ctx.period, ctx.tz)
    day_counts: dict[tuple[Slot, Slot], int] = {}
    lines = []
    for item, seg, start, end, state, (amount, would_cost, estimate, reaches) in _priced(ctx, segs):
        billed_days = day_counts.get((start, end))
        if billed_days is None:
            billed_days = day_counts[(start, end)] = days.count(start, end)
        label = labels.get(item.account_id, _NO_LABEL)
        # Positional: the field order of `Line` (kind, id, account_id, name,
        # customer, product, start, end, hours, billed_days, state, amount,
        # would_cost, estimate, reaches_as_of, lifetime, moved_from); keywords cost more here.
        # A segment cut by the period start does not start with its pack change.
        lines.append(Line(item.kind, item.id, item.account_id, label.name or item.account_id,
                          label.customer, seg.product, start, end, end - start,
                          billed_days, state, amount, would_cost, estimate, reaches,
                          seg.lifetime, seg.moved_from if start == seg.start else None))
    return lines


def _totals(entries: Iterable[tuple[GraceState, Decimal | None, Decimal | None]], money: Money) -> Totals:
    """Sums of (state, amount, estimate) of the period's lines: rounded amounts, added."""
    billed = pending = estimate = money.decimal(0)
    incomplete = False
    for state, amount, line_estimate in entries:
        if state == "exempt":
            continue
        if amount is None or line_estimate is None:
            incomplete = True
            continue
        if state == "billed":
            billed += amount
        else:
            pending += amount
        estimate += line_estimate
    return Totals(billed=billed, pending=pending, estimate=estimate, incomplete=incomplete)


def _report_totals(totals: Totals, lines: list[Line], days: list[DayTotal], zero: Decimal) -> ReportTotals:
    """The money totals with the counts and the days' rounding (billing.md 8, 9)."""
    active = {"account": 0, "addon": 0}
    previous = None
    for ln in lines:  # sorted by item: an item's lines are neighbours
        if ln.state != "exempt" and (ln.kind, ln.id) != previous:
            previous = (ln.kind, ln.id)
            active[ln.kind] += 1
    days_billed = sum((d.billed for d in days), zero)
    return ReportTotals(
        billed=totals.billed, pending=totals.pending, estimate=totals.estimate,
        incomplete=totals.incomplete, accounts=active["account"], addons=active["addon"],
        lines=len(lines), day_rounding=totals.billed - days_billed,
    )


def _status(ctx: _Context, has_pending: bool) -> PeriodStatus:
    if ctx.as_of < ctx.period.end - 1:
        return "open"
    return "provisional" if has_pending else "closed"


def _warnings(lines: list[Line], p: Period) -> list[str]:
    """One warning per unpriced product: which product, from which slot, how many lines."""
    first: dict[str, Slot] = {}
    count: dict[str, int] = {}
    for ln in lines:
        if ln.state != "exempt" and ln.amount is None:
            first[ln.product] = min(first.get(ln.product, ln.start), ln.start)
            count[ln.product] = count.get(ln.product, 0) + 1
    return [
        f"unpriced: product {product!r} has no price at {slot_iso(first[product])} "
        f"({count[product]} line{'s' if count[product] != 1 else ''} of {p.key} left out "
        "of the totals)"
        for product in sorted(first)
    ]
