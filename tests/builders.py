"""A small world-builder for tests: accounts and add-ons with their hours.

Tests describe presence as `[start, end)` hours, the builder turns it into
hourly snapshots in the API's shapes, which then go through the real parser,
the real SQLite store and the engine, like production data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from payg_tui.engine.billing import build_report, list_periods
from payg_tui.engine.model import EPOCH, Ledger, PeriodReport, PriceVersion, Product, Provider, Slot, Snapshot
from payg_tui.providers.payload import parse_snapshot
from payg_tui.store.cache import Store


def h(text: str) -> Slot:
    """`2026-11-05T10` or `2026-11-05` (midnight) as a UTC slot."""
    fmt = "%Y-%m-%dT%H" if "T" in text else "%Y-%m-%d"
    moment = datetime.strptime(text.rstrip("Z")[:13], fmt).replace(tzinfo=EPOCH.tzinfo)
    return int((moment - EPOCH).total_seconds()) // 3600


@dataclass
class Stay:
    kind: str  # account | addon
    id: str
    account: str
    product: str
    start: Slot
    end: Slot | None  # None: until the last snapshot


@dataclass
class World:
    timezone: str = "UTC"
    exponent: int = 2
    currency: str = "EUR"
    prices: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {"p72": [("2020-01-01", "72.00")], "p144": [("2020-01-01", "144.00")]})
    addon_products: set[str] = field(default_factory=set)
    stays: list[Stay] = field(default_factory=list)
    missing: set[Slot] = field(default_factory=set)
    customers: dict[str, str | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def account(self, acc: str, pack: str, start: Slot, end: Slot | None = None,
                customer: str | None = None) -> World:
        self.stays.append(Stay("account", acc, acc, pack, start, end))
        self.customers.setdefault(acc, customer)
        return self

    def addon(self, add: str, acc: str, product: str, start: Slot, end: Slot | None = None) -> World:
        self.addon_products.add(product)
        self.stays.append(Stay("addon", add, acc, product, start, end))
        return self

    def provider(self) -> Provider:
        return Provider("Test Hosting", self.currency, self.exponent, self.timezone)

    def products(self) -> dict[str, Product]:
        return {
            code: Product(code, "addon" if code in self.addon_products else "service_pack", code,
                          tuple(PriceVersion(h(start), Decimal(monthly)) for start, monthly in versions))
            for code, versions in self.prices.items()
        }

    def snapshot_doc(self, slot: Slot) -> dict[str, Any]:
        accounts: dict[str, dict[str, Any]] = {}
        for stay in self.stays:
            if stay.kind == "account" and stay.start <= slot and (stay.end is None or slot < stay.end):
                accounts[stay.id] = {"id": stay.id, "name": self.names.get(stay.id, stay.id),
                                     "customer": self.customers.get(stay.id), "pack": stay.product,
                                     "addons": []}
        for stay in self.stays:
            if (stay.kind == "addon" and stay.start <= slot and (stay.end is None or slot < stay.end)
                    and stay.account in accounts):
                accounts[stay.account]["addons"].append({"id": stay.id, "product": stay.product})
        return {"taken_at": _iso(slot), "accounts": list(accounts.values())}

    def snapshots(self, first: Slot, last: Slot) -> list[Snapshot]:
        """One snapshot per hour of `[first, last]`, except the missing ones."""
        return [parse_snapshot(self.snapshot_doc(s), "test") for s in range(first, last + 1)
                if s not in self.missing]

    def store(self, path: Path, first: Slot, last: Slot) -> Store:
        store = Store.open(path)
        store.add_snapshots(self.snapshots(first, last), provider=self.provider(),
                            products=self.products())
        return store

    def ledger(self, path: Path, first: Slot, last: Slot) -> Ledger:
        with self.store(path, first, last) as store:
            return store.load_ledger()

    def report(self, path: Path, first: Slot, last: Slot, period: str) -> PeriodReport:
        return build_report(self.ledger(path, first, last), period)

    def periods(self, path: Path, first: Slot, last: Slot) -> list[Any]:
        return list_periods(self.ledger(path, first, last))


def _iso(slot: Slot) -> str:
    from payg_tui.engine.model import slot_iso

    return slot_iso(slot)


def line_of(report: PeriodReport, item: str, product: str | None = None) -> Any:
    found = [ln for ln in report.lines if ln.id == item and (product is None or ln.product == product)]
    assert len(found) == 1, f"expected one line for {item} {product}, got {found}"
    return found[0]
