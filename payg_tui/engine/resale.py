"""Revenue, margin and customer statements (resale.md).

The billing engine decides each line's cost; this module prices the same
lines at the reseller's sell prices. `S(t)`, the sell price per month in
force at slot `t`, is the product's own sell price, or the provider's price
in force at `t` times (1 + markup): the same `PriceBook` that prices the
cost prices the markup, so it follows price versions slot by slot.

Every revenue is an exact fraction until the end, then rounded once,
half-up, to the currency's minor unit, like the cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from payg_tui.engine.model import Line, Period, PeriodReport, PeriodStatus, Product, Provider, Slot
from payg_tui.engine.periods import days_of
from payg_tui.engine.price_list import CustomerTerms, PriceList, Rule
from payg_tui.engine.pricing import PriceBook, round_half_up


@dataclass(frozen=True, slots=True)
class Sale:
    """One statement line: a billing line with what it is sold for."""

    line: Line
    revenue: Decimal | None  # None: neither a sell price nor a cost price
    margin: Decimal | None  # revenue - cost; None if either is None

    @property
    def cost(self) -> Decimal | None:
        return self.line.amount

    @property
    def charged(self) -> bool:
        """Billed or pending; exempt lines are listed as free, never charged."""
        return self.line.state != "exempt"


@dataclass(frozen=True, slots=True)
class Statement:
    """One customer's lines in one period and what to invoice them."""

    customer: str | None  # None: lines of accounts without a customer reference
    terms: CustomerTerms
    sales: list[Sale]
    cost: Decimal
    revenue: Decimal
    margin: Decimal
    incomplete: bool  # a charged line lacks a cost or a revenue: the totals leave it out

    @property
    def accounts(self) -> int:
        """Distinct accounts with a billed or pending line, as billing.md 8 counts them."""
        return len({s.line.account_id for s in self.sales if s.charged})

    @property
    def margin_percent(self) -> Decimal | None:
        """Margin as a share of revenue (what is left of each euro invoiced); None on no revenue."""
        return None if not self.revenue else self.margin * 100 / self.revenue


@dataclass(frozen=True, slots=True)
class ResaleTotals:
    cost: Decimal
    revenue: Decimal
    margin: Decimal
    incomplete: bool


@dataclass(frozen=True, slots=True)
class Statements:
    """Every customer's statement of one period, and the sums of them all."""

    provider: Provider
    period: Period
    status: PeriodStatus
    as_of: Slot
    prices: PriceList
    statements: list[Statement]
    totals: ResaleTotals

    def of(self, customer: str | None) -> Statement | None:
        return next((s for s in self.statements if s.customer == customer), None)


class _Seller:
    """Sell prices of one period: exact until the one rounding of each line's revenue."""

    def __init__(self, report: PeriodReport, products: dict[str, Product], prices: PriceList) -> None:
        self.book = PriceBook(products)
        self.prices = prices
        self.hours = report.period.hours
        self.days = len(days_of(report.period, report.provider.timezone).dates)
        self.markup = prices.markup_factor
        self._unit = Fraction(1, 10**self.book.scale)
        self.exponent = report.provider.currency_exponent
        self.minor = 10**self.exponent
        self.zero = _decimal(0, self.exponent)
        self._known: dict[tuple[object, ...], Decimal | None] = {}

    def monthly_at(self, product: str, slot: Slot) -> Fraction | None:
        """S(t): the sell price per month in force at `slot`."""
        own = self.prices.products.get(product)
        if own is not None:
            return Fraction(own)
        steps = self.book.steps.get(product)
        pieces = steps.pieces(slot, slot + 1) if steps is not None else None
        return None if pieces is None else pieces[0][2] * self._unit * self.markup

    def hourly(self, product: str, start: Slot, end: Slot) -> Fraction | None:
        """The exact sum of S(t) / N over `[start, end)`, cut where the cost price changes."""
        own = self.prices.products.get(product)
        if own is not None:
            return Fraction(own) * (end - start) / self.hours
        charge = self.book.charge(product, start, end)
        return None if charge is None else charge * self._unit * self.markup / self.hours

    def daily(self, product: str, last: Slot, billed_days: int) -> Fraction | None:
        monthly = self.monthly_at(product, last)
        return None if monthly is None else monthly * billed_days / self.days

    def revenue(self, terms: CustomerTerms, line: Line, charged_once: bool) -> Decimal | None:
        """List price under the customer's rule x (1 - discount), rounded once, half-up.

        Remembered: most lines of a month share product, hours and terms.
        """
        if line.state == "exempt":
            return self.zero
        key = (terms.rule, terms.discount, line.product, line.start, line.end, line.billed_days,
               charged_once)
        if key in self._known:
            return self._known[key]
        gross = self._gross(terms.rule, line, charged_once)
        if gross is None:
            result = None
        else:
            exact = gross * terms.keeps * self.minor
            result = Decimal(round_half_up(exact.numerator, exact.denominator)).scaleb(-self.exponent)
        self._known[key] = result
        return result

    def _gross(self, rule: Rule, line: Line, charged_once: bool) -> Fraction | None:
        """The line's list price under `rule`, before the customer's discount."""
        if rule == "hourly":
            return self.hourly(line.product, line.start, line.end)
        if rule == "daily":
            return self.daily(line.product, line.end - 1, line.billed_days)
        return self.monthly_at(line.product, line.end - 1) if charged_once else Fraction(0)


def build_statements(report: PeriodReport, products: dict[str, Product], prices: PriceList) -> Statements:
    """Every customer's statement of the report's period, at the price list's prices."""
    seller = _Seller(report, products, prices)
    last = _last_charged(report.lines)
    exponent = report.provider.currency_exponent
    groups: dict[str | None, list[Line]] = defaultdict(list)
    for line in report.lines:
        groups[line.customer].append(line)
    statements = [_statement(customer, prices.terms(customer), lines, seller, last, exponent)
                  for customer, lines in groups.items()]
    statements.sort(key=lambda s: (s.customer is None, s.customer or ""))
    return Statements(
        provider=report.provider, period=report.period, status=report.status, as_of=report.as_of,
        prices=prices, statements=statements,
        totals=ResaleTotals(
            cost=_sum((s.cost for s in statements), exponent),
            revenue=_sum((s.revenue for s in statements), exponent),
            margin=_sum((s.margin for s in statements), exponent),
            incomplete=any(s.incomplete for s in statements),
        ),
    )


def empty_statement(customer: str, prices: PriceList, exponent: int) -> Statement:
    """A listed customer with no line in the period: nothing to invoice."""
    zero = _decimal(0, exponent)
    return Statement(customer=customer, terms=prices.terms(customer), sales=[], cost=zero, revenue=zero,
                     margin=zero, incomplete=False)


def _last_charged(lines: Iterable[Line]) -> set[int]:
    """`id()` of each item's last billed or pending line: where `monthly` charges the month."""
    last: dict[tuple[str, str], Line] = {}
    for line in lines:
        if line.state == "exempt":
            continue
        key = (line.kind, line.id)
        seen = last.get(key)
        if seen is None or line.end > seen.end:
            last[key] = line
    return {id(line) for line in last.values()}


def _statement(customer: str | None, terms: CustomerTerms, lines: list[Line], seller: _Seller,
               last: set[int], exponent: int) -> Statement:
    sales = []
    for line in lines:
        revenue = seller.revenue(terms, line, id(line) in last)
        margin = None if revenue is None or line.amount is None else revenue - line.amount
        sales.append(Sale(line, revenue, margin))
    charged = [s for s in sales if s.charged]
    return Statement(
        customer=customer, terms=terms, sales=sales,
        cost=_sum((s.cost for s in charged), exponent),
        revenue=_sum((s.revenue for s in charged), exponent),
        margin=_sum((s.margin for s in charged), exponent),
        incomplete=any(s.margin is None for s in charged),
    )


def _decimal(minor_units: int, exponent: int) -> Decimal:
    return Decimal(minor_units).scaleb(-exponent)


def _sum(values: Iterable[Decimal | None], exponent: int) -> Decimal:
    total = _decimal(0, exponent)
    for value in values:
        if value is not None:
            total += value
    return total
