"""Invariants of resale.md on the demo and on generated months (hypothesis)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payg_tui.engine.billing import build_report, period_keys
from payg_tui.engine.model import Dump, slot_of
from payg_tui.engine.price_list import CustomerTerms, PriceList
from payg_tui.engine.resale import Statements, build_statements
from payg_tui.providers.payload import parse_dump
from payg_tui.sandbox.demo import demo_dump
from payg_tui.sandbox.generator import Reseller
from payg_tui.store.cache import Store

AT_COST = PriceList(currency="EUR", rule="hourly", markup=Decimal(0))
NOW = slot_of(datetime(2026, 12, 2, 5, tzinfo=UTC))
SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def every_period(dump: Dump, price_list: PriceList) -> list[Statements]:
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "c.sqlite3") as store:
        store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
        ledger = store.load_ledger()
    return [build_statements(build_report(ledger, key), dump.products, price_list)
            for key in period_keys(ledger)]


def generated_month(seed: int, accounts: int, zone: str) -> Dump:
    reseller = Reseller(seed, accounts, zone)
    first = slot_of(datetime(2026, 8, 1, tzinfo=UTC)) - 2  # a little before 1 August, local
    return parse_dump(reseller.dump(first, first + 31 * 24 + 4), "generated")


def assert_revenue_is_cost(found: list[Statements]) -> int:
    lines = 0
    for statements in found:
        for statement in statements.statements:
            for sale in statement.sales:
                assert sale.revenue == sale.cost, sale.line
                assert sale.margin == (None if sale.cost is None else 0)
                lines += 1
            assert statement.revenue == statement.cost
    return lines


@SLOW
@given(hours_back=st.integers(0, 24 * 60))
def test_at_cost_hourly_without_discount_revenue_is_cost_on_every_demo_line(hours_back: int) -> None:
    dump = demo_dump(NOW - hours_back)
    assert assert_revenue_is_cost(every_period(dump, AT_COST)) > 100


@SLOW
@given(seed=st.integers(0, 10_000), accounts=st.integers(5, 60),
       zone=st.sampled_from(["UTC", "Europe/Brussels", "America/New_York"]))
def test_at_cost_hourly_without_discount_revenue_is_cost_on_every_generated_line(
        seed: int, accounts: int, zone: str) -> None:
    assert assert_revenue_is_cost(every_period(generated_month(seed, accounts, zone), AT_COST)) > 0


@SLOW
@given(seed=st.integers(0, 10_000), rule=st.sampled_from(["hourly", "daily", "monthly"]),
       markup=st.integers(0, 300), discount=st.integers(0, 100))
def test_totals_add_up_and_a_full_discount_leaves_nothing_to_invoice(
        seed: int, rule: str, markup: int, discount: int) -> None:
    terms = CustomerTerms(name=None, discount=Decimal(discount), rule=rule)  # type: ignore[arg-type]
    price_list = PriceList(currency="EUR", rule=rule, markup=Decimal(markup),  # type: ignore[arg-type]
                           customers={f"C-{i:03d}": terms for i in range(1, 40)})
    for found in every_period(generated_month(seed, 40, "Europe/Brussels"), price_list):
        for statement in found.statements:
            charged = [s for s in statement.sales if s.charged]
            assert statement.revenue == sum((s.revenue for s in charged if s.revenue is not None),
                                            Decimal(0))
            if statement.customer in price_list.customers and discount == 100:
                assert statement.revenue == 0
        assert found.totals.revenue == sum((s.revenue for s in found.statements), Decimal(0))


@SLOW
@given(seed=st.integers(0, 10_000))
def test_monthly_charges_each_item_once_at_its_last_price(seed: int) -> None:
    price_list = PriceList(currency="EUR", rule="monthly", markup=Decimal(0))
    for found in every_period(generated_month(seed, 30, "UTC"), price_list):
        charged: dict[tuple[str, str], list[Decimal]] = {}
        for statement in found.statements:
            for sale in statement.sales:
                if sale.charged and sale.revenue:
                    charged.setdefault((sale.line.kind, sale.line.id), []).append(sale.revenue)
        assert all(len(revenues) == 1 for revenues in charged.values())
