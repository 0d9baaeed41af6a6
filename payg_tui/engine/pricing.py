"""Exact charges and the one rounding of billing.md 7.

The charge of slot `t` in a period of `N` slots is `monthly(t) / N`. To keep
the hot loops in plain integers, a monthly price is held as an integer count
of `10**-scale` currency units; a charge is then the exact fraction
`units * hours / (N * 10**scale)`, and only the final amount is rounded,
half-up, to the currency's minor unit. No float ever touches money.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal

from payg_tui.engine.model import Product, Slot


@dataclass(frozen=True, slots=True)
class PriceSteps:
    """One product's price versions as integer units, ready for range sums."""

    starts: tuple[Slot, ...]
    units: tuple[int, ...]

    def pieces(self, start: Slot, end: Slot) -> list[tuple[Slot, Slot, int]] | None:
        """`[start, end)` cut where the price changes, or None if a slot has no price."""
        if not self.starts or start < self.starts[0]:
            return None
        i = bisect.bisect_right(self.starts, start) - 1
        out = []
        while start < end:
            stop = self.starts[i + 1] if i + 1 < len(self.starts) else end
            stop = min(stop, end)
            out.append((start, stop, self.units[i]))
            start = stop
            i += 1
        return out


class PriceBook:
    """All products' prices on one integer scale."""

    def __init__(self, products: dict[str, Product]) -> None:
        places = [_places(v.monthly) for p in products.values() for v in p.prices]
        self.scale = max(places, default=0)
        factor = 10**self.scale
        self.steps: dict[str, PriceSteps] = {
            code: PriceSteps(
                starts=tuple(v.effective_from for v in p.prices),
                units=tuple(int(v.monthly * factor) for v in p.prices),
            )
            for code, p in products.items()
        }

    def charge(self, product: str, start: Slot, end: Slot) -> int | None:
        """Sum of `units * hours` over `[start, end)`; None if a slot is unpriced."""
        steps = self.steps.get(product)
        if steps is None:
            return None
        pieces = steps.pieces(start, end)
        if pieces is None:
            return None
        return sum(units * (b - a) for a, b, units in pieces)


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def round_half_up(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded to an integer, halves away from zero."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


class Money:
    """Turns charge numerators of one period into rounded currency amounts."""

    def __init__(self, book: PriceBook, hours_in_period: int, exponent: int) -> None:
        self.exponent = exponent
        self.denominator = hours_in_period * 10**book.scale
        self._minor = 10**exponent

    def minor(self, numerator: int) -> int:
        """The amount in minor units (cents), rounded once, half-up."""
        return round_half_up(numerator * self._minor, self.denominator)

    def amount(self, numerator: int) -> Decimal:
        return self.decimal(self.minor(numerator))

    def decimal(self, minor_units: int) -> Decimal:
        return Decimal(minor_units).scaleb(-self.exponent)


def format_amount(value: Decimal | None, exponent: int) -> str | None:
    """A decimal string with exactly `exponent` decimals, as the report wants."""
    if value is None:
        return None
    return f"{value:.{exponent}f}"
