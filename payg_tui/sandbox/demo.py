"""Built-in demo data: a small reseller where every billing rule shows up.

`demo_dump(now)` covers the last three calendar months (Europe/Brussels) up
to the current hour. Most accounts come from the generator; a hand-written
scenario, placed relative to `now` and to the period starts, guarantees the
cases billing.md talks about whatever today's date is: short stays on both
sides of 48 hours, upgrades and downgrades, add-ons coming and going, an
account that leaves and comes back, an item still in its grace window,
exactly two missing hours, a price change and names that look like markup.

The result goes through `payload.parse_dump`, so the demo is checked exactly
like an imported file.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from payg_tui.engine.clock import month_start
from payg_tui.engine.model import Dump, Slot, slot_iso
from payg_tui.engine.price_list import PriceList, parse_price_list
from payg_tui.providers import payload
from payg_tui.sandbox.generator import AccountPlan, AddonPlan, Reseller

DEMO_SEED = 2026
DEMO_ACCOUNTS = 46  # plus 2 trial seats and the scenario: about 60 accounts
DEMO_TIMEZONE = "Europe/Brussels"
DAY = 24

# The demo's own resale.toml (resale.md), kept in memory: a customer on each
# rule, a discount, and one customer (C-104) whose 35 % discount leaves less
# than the cost, so a negative margin shows.
DEMO_RESALE_TOML = """\
currency = "EUR"
rule = "daily"
markup = "25%"

[products.pack-pro]
monthly = "14.95"

[products.ssl]
monthly = "3.00"

[customers.C-017]
name = "Bakkerij Janssens"
discount = "10%"
rule = "monthly"

[customers.C-102]
name = "Pop-up Events"
rule = "hourly"

[customers.C-104]
name = "Winkel & Opvolger"
discount = "35%"

[customers.C-105]
name = "Καφενείο Αθήνα"

[customers."[red]C-666[/red]"]
name = "<script>alert(1)</script> [bold]Hostile[/bold]"
"""


def demo_dump(now_slot: Slot) -> Dump:
    """The demo reseller's provider, products and snapshots up to `now_slot`."""
    return payload.parse_dump(demo_document(now_slot), "demo")


def demo_price_list() -> PriceList:
    """The demo's sell prices, checked like a user's resale.toml."""
    import tomllib

    return parse_price_list(tomllib.loads(DEMO_RESALE_TOML))


def demo_document(now_slot: Slot) -> dict[str, Any]:
    """The same demo as an import file in the API's shapes (JSON-ready)."""
    previous = month_start(now_slot, DEMO_TIMEZONE, months_back=1)
    first = month_start(now_slot, DEMO_TIMEZONE, months_back=2)
    reseller = Reseller(
        DEMO_SEED, DEMO_ACCOUNTS, DEMO_TIMEZONE, name="Demo Hosting", start=first,
        missing=missing_hours(first, previous), extra=scenario(now_slot, first, previous),
    )
    doc = reseller.dump(first, now_slot + 1)
    announce_price(doc["products"], now_slot, month_start(now_slot, DEMO_TIMEZONE, months_back=-1))
    return doc


def missing_hours(first: Slot, previous: Slot) -> tuple[Slot, Slot]:
    """Exactly two absent hours, one in each of the two closed months."""
    return first + 10 * DAY + 13, previous + 18 * DAY + 3


def announce_price(products: list[dict[str, Any]], now: Slot, next_period: Slot) -> None:
    """A pack price that rises later this month, so the estimate must use it."""
    effective = now + (next_period - now) // 2
    if effective <= now:
        return  # the last hour of the month: nothing left to announce
    pro = next(p for p in products if p["code"] == "pack-pro")
    if effective <= payload.parse_hour(pro["prices"][-1]["effective_from"], "demo", "prices"):
        return
    monthly = Decimal(pro["prices"][-1]["monthly"]) + Decimal("1.00")
    pro["prices"].append({"effective_from": slot_iso(effective), "monthly": str(monthly)})


def scenario(now: Slot, first: Slot, previous: Slot) -> list[AccountPlan]:
    """The hand-placed accounts. `previous` is always a whole month behind `now`."""

    def account(number: int, name: str, customer: str | None, created: Slot,
                deleted: Slot | None, packs: list[tuple[Slot, str]] | str,
                addons: Sequence[tuple[str, Slot, Slot | None]] = ()) -> AccountPlan:
        if isinstance(packs, str):
            packs = [(created, packs)]
        return AccountPlan(
            id=f"acc-{number}", name=name, customer=customer, created=created,
            deleted=deleted, packs=tuple(packs),
            addons=tuple(AddonPlan(f"add-{number}-{j}", product, on, off)
                         for j, (product, on, off) in enumerate(addons, start=1)),
        )

    return [
        # Deleted inside the grace window: never billed (exempt).
        account(7001, "[bold]flash-sale[/].be", "C-101", previous + 5 * DAY + 10,
                previous + 5 * DAY + 30, "pack-starter", [("ssl", previous + 5 * DAY + 10, None)]),
        account(7002, "pop-up-store.be", "C-102", previous + 9 * DAY,
                previous + 9 * DAY + 47, "pack-pro"),
        # Just past the grace window: billed from the first hour.
        account(7003, "weekend-event.nl", "C-102", previous + 12 * DAY,
                previous + 12 * DAY + 48, "pack-starter"),
        account(7004, "\x1b[31mansi-shop\x1b[0m.be", None, previous + 15 * DAY,
                previous + 15 * DAY + 50, "pack-business"),
        # Upgrade then downgrade, and add-ons coming and going, one still in grace.
        account(7005, "bakkerij-janssens.be", "C-017", first, None,
                [(first, "pack-starter"), (first + 20 * DAY, "pack-pro"),
                 (previous + 20 * DAY, "pack-starter")],
                [("ssl", first, None), ("backup", previous + 3 * DAY, now - 30),
                 ("extra-mailbox", now - 100, None), ("dedicated-ip", now - 10, None),
                 ("backup", previous + 7 * DAY, previous + 8 * DAY + 6)]),
        # A new customer in the grace window right now (pending).
        account(7006, "nieuwe-klant.be", "C-103", now - 20, None, "pack-pro",
                [("ssl", now - 20, None)]),
        # Churn: an account leaves after weeks and another takes its place.
        account(7007, "[link=https://evil.example]winkel[/link]", "C-104",
                first + 3 * DAY, previous + 25 * DAY, "pack-pro",
                [("backup", first + 3 * DAY, None)]),
        account(7008, "opvolger.be", "C-104", previous + 25 * DAY + 6, None, "pack-pro",
                [("backup", previous + 25 * DAY + 6, None)]),
        # Leaves and comes back under the same id: two lifetimes.
        account(7009, "καφενείο-αθήνα.gr", "C-105", first, previous + DAY, "pack-starter"),
        account(7009, "καφενείο-αθήνα.gr", "C-105", previous + DAY + 30, None, "pack-starter"),
        account(7010, "寿司の店 🍣.jp", None, first, None, "pack-business",
                [("dedicated-ip", first, None), ("ssl", first, None)]),
        account(7011, "very-long-name-" * 21 + "end.example", "[red]C-666[/red]", first, None,
                "pack-starter"),
        # A short stay across a month boundary: two exempt lines.
        account(7012, "grensgeval.be", "C-106", previous - 10, previous + 20, "pack-starter"),
    ]
