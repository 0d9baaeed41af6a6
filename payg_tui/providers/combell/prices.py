"""The reseller's Combell price list (`prices.toml`), as the engine's products.

Combell's API has no prices, so the reseller writes them down once:

```toml
name = "Combell"                # shown as the provider in reports
currency = "EUR"
currency_exponent = 2
timezone = "Europe/Brussels"    # billing months run in this zone

[service_packs.1234]            # the Combell service pack id
name = "Linux Basic"
prices = [
  { from = 2025-01-01, monthly = "4.95" },   # a date: local midnight in `timezone`
  { from = 2026-07-01, monthly = "5.45" },
]

[addons."Extra storage 10 GB"]  # the add-on's name as Combell shows it
prices = [{ from = 2025-01-01, monthly = "2.00" }]
```

Monthly prices are decimal strings (or whole numbers), never TOML floats: a
float is binary and money must be exact. `from` is a date (local midnight in
the billing zone) or an hour-aligned time with an offset
(`2026-07-01T00:00:00Z`). The result is exactly what the project's own API
would have sent: a `Provider` and `Product`s with `PriceVersion`s.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from payg_tui.engine import clock
from payg_tui.engine.model import (
    BillingError,
    PriceVersion,
    Product,
    ProductKind,
    Provider,
    Slot,
    slot_iso,
)
from payg_tui.errors import UsageError
from payg_tui.locations import load_toml
from payg_tui.providers.combell.collector import addon_code, pack_code

DEFAULT_CURRENCY = "EUR"
DEFAULT_TIMEZONE = "Europe/Brussels"
_MONEY_RE = re.compile(r"\d{1,12}(\.\d{1,12})?\Z")
_TOP_KEYS = {"name", "currency", "currency_exponent", "timezone", "service_packs", "addons"}


@dataclass(frozen=True, slots=True)
class PriceList:
    provider: Provider
    products: dict[str, Product]
    warnings: list[str]  # things that are legal but will show as unpriced lines


class PriceListError(UsageError):
    """prices.toml is missing or wrong; the message names the file and the key."""


def load_price_list(path: Path) -> PriceList:
    try:
        with path.open("rb") as handle:
            doc = load_toml(handle)
    except FileNotFoundError:
        raise PriceListError(
            f"no price list at {path}: run `payg-tui prices init` to start one") from None
    except tomllib.TOMLDecodeError as error:
        raise PriceListError(f"{path} is not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PriceListError(f"cannot read {path}: {error}") from None
    return parse_price_list(doc, str(path))


def parse_price_list(doc: dict[str, Any], where: str = "prices.toml") -> PriceList:
    def fail(key: str, problem: str) -> PriceListError:
        return PriceListError(f"{where}: {key}: {problem}")

    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
    name = doc.get("name", "Combell")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "expected a non-empty string")
    currency = doc.get("currency", DEFAULT_CURRENCY)
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise fail("currency", f"expected an ISO 4217 code such as \"EUR\", got {currency!r:.20}")
    exponent = doc.get("currency_exponent", 2)
    if type(exponent) is not int or not 0 <= exponent <= 6:
        raise fail("currency_exponent", f"expected a whole number 0 to 6, got {exponent!r:.20}")
    zone_name = doc.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(zone_name, str):
        raise fail("timezone", "expected an IANA zone name such as \"Europe/Brussels\"")
    try:
        clock.zone(zone_name)
    except BillingError:
        raise fail("timezone", f"unknown time zone {zone_name!r:.60}") from None
    provider = Provider(name=name.strip(), currency=currency, currency_exponent=exponent,
                        timezone=zone_name)

    products: dict[str, Product] = {}
    warnings: list[str] = []
    sections: tuple[tuple[str, ProductKind], ...] = (("service_packs", "service_pack"),
                                                     ("addons", "addon"))
    for section, kind in sections:
        table = doc.get(section, {})
        if not isinstance(table, dict):
            raise fail(section, "expected a table")
        for key, entry in table.items():
            path = f"{section}.{_toml_key(key)}"
            if kind == "service_pack":
                if not re.fullmatch(r"\d{1,10}", key):
                    raise fail(path, "service packs are keyed by their Combell id (a number)")
                code = pack_code(int(key))
            else:
                if not key.strip() or not key.isprintable():
                    raise fail(path, "add-ons are keyed by their name as Combell shows it")
                code = addon_code(key.strip())
            if not isinstance(entry, dict):
                raise fail(path, "expected a table")
            extra = sorted(set(entry) - {"name", "prices"})
            if extra:
                raise fail(f"{path}.{extra[0]}", "unknown key (expected name, prices)")
            label = entry.get("name", key)
            if not isinstance(label, str):
                raise fail(f"{path}.name", "expected a string")
            versions = _versions(entry.get("prices", []), zone_name, f"{path}.prices", fail)
            if not versions:
                warnings.append(f"{path} has no price: its lines will show as unpriced")
            if code in products:
                raise fail(path, f"listed twice (as {code!r})")
            products[code] = Product(code=code, kind=kind, name=label, prices=versions)
    return PriceList(provider=provider, products=products, warnings=warnings)


def _versions(raw: Any, zone_name: str, path: str, fail: Any) -> tuple[PriceVersion, ...]:
    if not isinstance(raw, list):
        raise fail(path, "expected an array of { from = ..., monthly = \"...\" }")
    versions: list[PriceVersion] = []
    for i, item in enumerate(raw):
        here = f"{path}[{i}]"
        if not isinstance(item, dict) or set(item) != {"from", "monthly"}:
            raise fail(here, "expected exactly { from = 2025-01-01, monthly = \"4.95\" }")
        start = _effective_from(item["from"], zone_name, f"{here}.from", fail)
        versions.append(PriceVersion(effective_from=start,
                                     monthly=_monthly(item["monthly"], f"{here}.monthly", fail)))
    versions.sort(key=lambda v: v.effective_from)
    for a, b in itertools.pairwise(versions):
        if a.effective_from == b.effective_from:
            raise fail(path, f"two prices from {slot_iso(a.effective_from)}")
    return tuple(versions)


def _monthly(value: Any, key: str, fail: Any) -> Decimal:
    if isinstance(value, bool):
        raise fail(key, "expected a price such as \"4.95\"")
    if isinstance(value, int):
        if value < 0:
            raise fail(key, "a price cannot be negative")
        return Decimal(value)
    if isinstance(value, float):
        raise fail(key, f"write the price as a string, \"{value}\": a TOML float is not exact")
    if not isinstance(value, str) or not _MONEY_RE.match(value.strip()):
        raise fail(key, f"expected a price such as \"4.95\", got {value!r:.40}")
    return Decimal(value.strip())


def _effective_from(value: Any, zone_name: str, key: str, fail: Any) -> Slot:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (dt.date.fromisoformat(text) if len(text) == 10
                     else dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise fail(key, f"expected a date such as 2025-01-01, got {text!r:.40}") from None
    if not isinstance(value, dt.date):
        raise fail(key, "expected a date such as 2025-01-01")
    try:
        return clock.local_slot(value, zone_name)
    except BillingError:
        raise fail(key, f"{value} is not on a whole UTC hour (billing counts whole hours)") from None


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


TEMPLATE_HEADER = """\
# payg-tui price list for Combell (prices.toml).
#
# Combell's API has no prices: write here what Combell bills you per month
# for each service pack and add-on. A product without a price shows up as an
# "unpriced" line in reports (never as a silent zero).
#
# currency, currency_exponent: your bill's currency and its decimals.
# timezone: billing months run from local midnight on the 1st in this zone.
#
# Each product lists its prices with the date they take effect; a date means
# local midnight in `timezone`. Write prices as strings ("4.95"), not floats:
#
#   prices = [
#     { from = 2025-01-01, monthly = "4.95" },
#     { from = 2026-07-01, monthly = "5.45" },   # a price change
#   ]
#
# Service packs are keyed by their Combell id (filled in below from the API).
# Add-ons are keyed by their name as Combell shows it, for example:
#
#   [addons."Extra storage 10 GB"]
#   prices = [{ from = 2025-01-01, monthly = "2.00" }]
#
# Check this file with `payg-tui prices check`.

"""


def render_template(pack_names: dict[int, str], *, currency: str = DEFAULT_CURRENCY,
                    timezone: str = DEFAULT_TIMEZONE) -> str:
    """A commented prices.toml listing `pack_names` (Combell id -> name), unpriced."""
    import tomli_w

    doc: dict[str, Any] = {
        "name": "Combell",
        "currency": currency,
        "currency_exponent": 2,
        "timezone": timezone,
        "service_packs": {str(pid): {"name": name, "prices": []}
                          for pid, name in sorted(pack_names.items())},
    }
    return TEMPLATE_HEADER + tomli_w.dumps(doc)
