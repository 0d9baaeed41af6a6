"""The reseller's sell price list (resale.md, `resale.toml`), checked.

`parse_price_list` turns the TOML document (a plain mapping) into a
`PriceList`, or raises `PriceListError` with one problem per bad key, each
naming the key, so that a reseller fixes the whole file in one go. Amounts
and percentages are decimal strings: a TOML float would be a binary float,
which money never is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

Rule = Literal["hourly", "daily", "monthly"]
RULES: tuple[Rule, ...] = ("hourly", "daily", "monthly")
DEFAULT_RULE: Rule = "daily"

_TOP_KEYS = ("currency", "rule", "markup", "products", "customers")
_PRODUCT_KEYS = ("monthly",)
_CUSTOMER_KEYS = ("name", "discount", "rule")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?\Z")  # ASCII digits, no sign, no exponent


@dataclass(frozen=True, slots=True)
class CustomerTerms:
    """What one customer pays on top of (or off) the list: their name, discount and rule."""

    name: str | None
    discount: Decimal  # a percentage: Decimal("10") is 10 %
    rule: Rule

    @property
    def keeps(self) -> Fraction:
        """The share of the list price the customer pays: 1 - discount."""
        return 1 - Fraction(self.discount) / 100


@dataclass(frozen=True, slots=True)
class PriceList:
    currency: str
    rule: Rule = DEFAULT_RULE
    markup: Decimal = Decimal(0)  # a percentage on the cost price
    products: dict[str, Decimal] = field(default_factory=dict)  # code -> sell price per month
    customers: dict[str, CustomerTerms] = field(default_factory=dict)

    def terms(self, customer: str | None) -> CustomerTerms:
        """A listed customer's terms; anyone else: no name, no discount, the default rule."""
        listed = self.customers.get(customer) if customer is not None else None
        return listed or CustomerTerms(name=None, discount=Decimal(0), rule=self.rule)

    @property
    def markup_factor(self) -> Fraction:
        return 1 + Fraction(self.markup) / 100


class PriceListError(ValueError):
    """A refused price list: one line per bad key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def key_path(*parts: str) -> str:
    """`customers.C-17.rule`, quoting a part as TOML would when it is not a bare key."""
    return ".".join(p if _BARE_KEY.match(p) else _quoted(p) for p in parts)


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped) + '"'


def percent_text(value: Decimal) -> str:
    """`10%`, `12.5%`: a percentage as the price list writes it."""
    return f"{value.normalize():f}%" if value else "0%"


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, why: str) -> None:
        self.problems.append(f"{path}: {why}")

    def table(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.fail(path, "must be a table")
        return None

    def unknown(self, doc: Mapping[str, Any], known: tuple[str, ...], *prefix: str) -> None:
        for key in doc:
            if key not in known:
                self.fail(key_path(*prefix, key), f"unknown key (known: {', '.join(known)})")

    def string(self, value: Any, path: str) -> str | None:
        if isinstance(value, str):
            return value
        self.fail(path, f"must be a string, not {_type_name(value)}")
        return None

    def amount(self, value: Any, path: str) -> Decimal | None:
        """A decimal string (or a TOML integer), zero or more."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            hint = f' (write it as a string: "{value}")' if isinstance(value, float) else ""
            self.fail(path, f"must be an amount as a decimal string, not {_type_name(value)}{hint}")
            return None
        text = str(value).strip()
        if text.startswith("-"):
            self.fail(path, f"{_shown(value)} is negative: a price is zero or more")
            return None
        if not _NUMBER.match(text):
            self.fail(path, f"{_shown(value)} is not an amount (expected e.g. \"19.00\")")
            return None
        return Decimal(text)

    def percent(self, value: Any, path: str, *, most: int | None) -> Decimal | None:
        """A decimal string ending in `%`, zero or more (and at most `most` %)."""
        if not isinstance(value, str):
            self.fail(path, f"must be a percentage as a string such as \"10%\", not {_type_name(value)}")
            return None
        text = value.strip()
        number = text[:-1].strip() if text.endswith("%") else None
        if number is not None and number.startswith("-"):
            self.fail(path, f"{_shown(value)} is negative: a percentage here is zero or more")
            return None
        if number is None or not _NUMBER.match(number):
            self.fail(path, f"{_shown(value)} is not a percentage (expected e.g. \"10%\")")
            return None
        try:
            result = Decimal(number)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            self.fail(path, f"{_shown(value)} is not a percentage")
            return None
        if most is not None and result > most:
            self.fail(path, f"{_shown(value)} is over {most}%")
            return None
        return result

    def rule(self, value: Any, path: str) -> Rule | None:
        if isinstance(value, str) and value in RULES:
            return value
        self.fail(path, f"{_shown(value)} is not a rule (hourly, daily or monthly)")
        return None


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "an array",
            dict: "a table"}.get(type(value), f"a {type(value).__name__}")


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else _quoted(value)
    return text if len(text) <= 40 else text[:39] + "…"


def parse_price_list(doc: Mapping[str, Any]) -> PriceList:
    """The checked price list of a `resale.toml` document; `PriceListError` lists every problem."""
    check = _Checker()
    check.unknown(doc, _TOP_KEYS)
    currency = None
    if "currency" not in doc:
        check.fail("currency", 'missing: the currency of the sell prices, e.g. currency = "EUR"')
    else:
        currency = check.string(doc["currency"], "currency")
        if currency is not None and not _CURRENCY.match(currency):
            check.fail("currency", f"{_shown(currency)} is not a currency code such as \"EUR\"")
            currency = None
    rule = check.rule(doc["rule"], "rule") if "rule" in doc else DEFAULT_RULE
    # Markup has no ceiling (selling at three times cost is a choice), but never below cost
    # by accident: a product sold for less than it costs gets its own monthly price.
    markup = check.percent(doc["markup"], "markup", most=None) if "markup" in doc else Decimal(0)
    products = _products(check, doc.get("products", {}))
    customers = _customers(check, doc.get("customers", {}), rule or DEFAULT_RULE)
    if check.problems:
        raise PriceListError(check.problems)
    assert currency is not None and rule is not None and markup is not None
    return PriceList(currency=currency, rule=rule, markup=markup, products=products, customers=customers)


def _products(check: _Checker, value: Any) -> dict[str, Decimal]:
    table = check.table(value, "products")
    found: dict[str, Decimal] = {}
    for code, entry in (table or {}).items():
        product = check.table(entry, key_path("products", code))
        if product is None:
            continue
        check.unknown(product, _PRODUCT_KEYS, "products", code)
        path = key_path("products", code, "monthly")
        if "monthly" not in product:
            check.fail(path, 'missing: the sell price per month, e.g. "19.00"')
            continue
        monthly = check.amount(product["monthly"], path)
        if monthly is not None:
            found[code] = monthly
    return found


def _customers(check: _Checker, value: Any, default_rule: Rule) -> dict[str, CustomerTerms]:
    table = check.table(value, "customers")
    found: dict[str, CustomerTerms] = {}
    for ref, entry in (table or {}).items():
        customer = check.table(entry, key_path("customers", ref))
        if customer is None:
            continue
        check.unknown(customer, _CUSTOMER_KEYS, "customers", ref)
        name = check.string(customer["name"], key_path("customers", ref, "name")) \
            if "name" in customer else None
        discount = check.percent(customer["discount"], key_path("customers", ref, "discount"), most=100) \
            if "discount" in customer else Decimal(0)
        rule = check.rule(customer["rule"], key_path("customers", ref, "rule")) \
            if "rule" in customer else default_rule
        if discount is not None and rule is not None:
            found[ref] = CustomerTerms(name=name, discount=discount, rule=rule)
    return found
