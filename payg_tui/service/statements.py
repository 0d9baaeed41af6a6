"""Customer statements: the sell price list read and checked, and statements of a period.

`resale.toml` is optional (resale.md): without it `load_price_list` returns
None and nothing of resale is shown. A bad one is refused with one line per
bad key (`UsageErrors`, exit 2); only the commands and screens that show
resale ask for it, so `report`, `periods` and the rest keep working. The
demo brings its own price list and never reads the user's.
"""

from __future__ import annotations

import threading
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from payg_tui import locations
from payg_tui.engine.price_list import PriceList, PriceListError, parse_price_list
from payg_tui.engine.resale import ResaleTotals, Statement, Statements, build_statements, empty_statement
from payg_tui.errors import UsageError, UsageErrors

if TYPE_CHECKING:
    from payg_tui.service.books import Books

NO_PRICE_LIST = ("no sell price list: write {path} (currency, markup, products, customers; "
                 "see docs/resale.md) or try `--demo`")


def load_price_list(path: Path | None = None) -> PriceList | None:
    """The checked `resale.toml`, or None when there is none."""
    path = path or locations.resale_path()
    try:
        with path.open("rb") as handle:
            doc = tomllib.load(handle)
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not valid UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return parse_price_list(doc)
    except PriceListError as error:
        raise UsageErrors([f"{path}: {problem}" for problem in error.problems]) from None


def price_list_for(*, demo: bool, path: Path | None = None) -> PriceList | None:
    """The demo's own price list in demo mode, else the user's `resale.toml` (or None)."""
    if demo:
        from payg_tui.sandbox.demo import demo_price_list

        return demo_price_list()
    return load_price_list(path)


class Resale:
    """Statements of any period for one price list; remembered until the data changes."""

    def __init__(self, books: Books, prices: PriceList) -> None:
        self.books = books
        self.prices = prices
        self._lock = threading.Lock()
        self._known: dict[tuple[int, str], Statements] = {}

    def statements(self, key: str) -> Statements:
        version = self.books.data_version()
        with self._lock:
            known = self._known.get((version, key))
        if known is not None:
            return known
        report = self.books.report(key)
        provider = report.provider
        if provider.currency != self.prices.currency:
            raise UsageError(f"{locations.resale_path()}: currency: {self.prices.currency!r} but the "
                             f"provider bills in {provider.currency!r}; sell prices must be in "
                             f"{provider.currency}")
        result = build_statements(report, self.books.products(), self.prices)
        with self._lock:
            self._known = {k: v for k, v in self._known.items() if k[0] == version}
            self._known[(version, key)] = result
        return result

    def totals(self, key: str) -> ResaleTotals:
        return self.statements(key).totals

    def statement(self, key: str, customer: str) -> Statement:
        """One customer's statement; a listed customer without lines gets an empty one."""
        found = self.statements(key)
        statement = found.of(customer)
        if statement is not None:
            return statement
        if customer in self.prices.customers:
            return empty_statement(customer, self.prices, found.provider.currency_exponent)
        known = ", ".join(repr(s.customer) for s in found.statements if s.customer is not None)
        raise UsageError(f"no customer {customer!r} in {key} nor in the price list"
                         + (f" (customers of {key}: {known})" if known else ""))
