"""Customer statements: the sell price list read and checked, and statements of a period.

`resale.toml` is optional (resale.md): without it `load_price_list` returns
None and nothing of resale is shown. A bad one is refused with one line per
bad key (`UsageErrors`, exit 2); only the commands and screens that show
resale ask for it, so `report`, `periods` and the rest keep working. The
demo brings its own price list and never reads the user's.
"""

from __future__ import annotations

import threading
import time
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from payg_tui import locations
from payg_tui.engine.price_list import PriceList, PriceListError, parse_price_list
from payg_tui.engine.resale import ResaleTotals, Statement, Statements, build_statements, empty_statement
from payg_tui.errors import UsageError, UsageErrors

if TYPE_CHECKING:
    from payg_tui.engine.model import Provider
    from payg_tui.service.books import Books

StatementFormat = Literal["csv", "json", "html"]

NO_PRICE_LIST = ("no sell price list: write {path} (currency, markup, products, customers; "
                 "see docs/resale.md) or try `--demo`")


def load_price_list(path: Path | None = None) -> PriceList | None:
    """The checked `resale.toml`, or None when there is none."""
    path = path or locations.resale_path()
    try:
        with path.open("rb") as handle:
            doc = locations.load_toml(handle)
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


def open_resale(books: Books, *, demo: bool) -> Resale | None:
    """The books' resale view, or None without a price list; a refused list raises `UsageErrors`.

    The currency is checked here when the cache already knows the provider's.
    """
    prices = price_list_for(demo=demo)
    if prices is None:
        return None
    provider = books.provider
    if provider is not None:
        check_currency(prices, provider)
    return Resale(books, prices)


def check_currency(prices: PriceList, provider: Provider) -> None:
    if provider.currency != prices.currency:
        raise UsageError(f"{locations.resale_path()}: currency: {prices.currency!r} but the provider "
                         f"bills in {provider.currency!r}; sell prices must be in {provider.currency}")


class Resale:
    """Statements of any period for one price list; remembered until the data changes.

    Statements hold their report's lines, so only the last few are kept (like
    `Books` keeps reports); every period's totals, which are small, are kept.
    """

    KEPT = 4

    def __init__(self, books: Books, prices: PriceList) -> None:
        self.books = books
        self.prices = prices
        self._lock = threading.Lock()
        self._known: dict[tuple[int, str], Statements] = {}  # oldest first
        self._totals: dict[tuple[int, str], ResaleTotals] = {}

    def statements(self, key: str) -> Statements:
        version = self.books.data_version()
        with self._lock:
            known = self._known.get((version, key))
        if known is not None:
            return known
        report = self.books.report(key)
        check_currency(self.prices, report.provider)
        result = build_statements(report, self.books.products(), self.prices)
        with self._lock:
            self._known = {k: v for k, v in self._known.items() if k[0] == version}
            self._known[(version, key)] = result
            while len(self._known) > self.KEPT:
                self._known.pop(next(iter(self._known)))
            self._totals = {k: v for k, v in self._totals.items() if k[0] == version}
            self._totals[(version, key)] = result.totals
        return result

    def totals(self, key: str) -> ResaleTotals:
        with self._lock:
            known = self._totals.get((self.books.data_version(), key))
        return known if known is not None else self.statements(key).totals

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


def export_statement(found: Statements, statement: Statement, fmt: StatementFormat, path: Path,
                     books: Books) -> Path:
    """Write one customer's statement as the CLI would (html: the customer's page); returns the path."""
    from payg_tui.service import statement_formats as out

    if fmt == "html":
        text = out.statement_html(found, statement, books.products())
    elif fmt == "json":
        text = out.statements_json(found, [statement])
    else:
        text = out.statements_csv(found, [statement])
    path = path.expanduser().resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{int(time.time() * 1000)}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    return path
