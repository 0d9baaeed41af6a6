"""One test per rule of resale.md, hand-computed, through store, billing engine and resale engine.

Unless said otherwise: UTC, November 2026 (N = 720 hours, D = 30 days),
pack `p72` costs 72.00 a month, so an hour costs 0.10.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from payg_tui.engine.price_list import CustomerTerms, PriceList
from payg_tui.engine.resale import Sale, Statements, build_statements
from tests.builders import World, h

D = Decimal
FIRST, LAST = h("2026-11-01"), h("2026-11-30T23")  # the whole period observed: closed


@pytest.fixture
def db(tmp_path):
    return tmp_path / "cache.sqlite3"


def prices(*, rule="hourly", markup="0", products=None, customers=None) -> PriceList:
    return PriceList(currency="EUR", rule=rule, markup=D(markup),
                     products={k: D(v) for k, v in (products or {}).items()},
                     customers=customers or {})


def customer(rule="hourly", discount="0", name=None) -> CustomerTerms:
    return CustomerTerms(name=name, discount=D(discount), rule=rule)


def statements(w: World, db, price_list: PriceList, last=LAST) -> Statements:
    report = w.report(db, FIRST, last, "2026-11")
    return build_statements(report, w.products(), price_list)


def sale(found: Statements, item: str, product: str | None = None) -> Sale:
    sales = [s for st in found.statements for s in st.sales
             if s.line.id == item and (product is None or s.line.product == product)]
    assert len(sales) == 1, sales
    return sales[0]


# -- hourly: the same shape as the cost ------------------------------------------------


def test_hourly_is_the_sum_of_sell_price_over_n_per_slot(db):
    w = World().account("Z", "p72", FIRST).account("A", "p72", h("2026-11-11"))
    found = statements(w, db, prices(rule="hourly", markup="25"))
    a = sale(found, "A")
    # 480 h: cost 72 x 480 / 720 = 48.00; sold at 72 x 1.25 = 90.00 a month: 60.00.
    assert (a.line.hours, a.cost, a.revenue, a.margin) == (480, D("48.00"), D("60.00"), D("12.00"))


def test_hourly_with_a_product_sell_price_ignores_the_markup(db):
    w = World().account("Z", "p72", FIRST).account("A", "p72", h("2026-11-11"))
    found = statements(w, db, prices(rule="hourly", markup="25", products={"p72": "81.00"}))
    assert sale(found, "A").revenue == D("54.00")  # 81 x 480 / 720


def test_revenue_is_rounded_once_half_up(db):
    w = World().account("Z", "p72", FIRST).account("A", "p72", h("2026-11-02"), h("2026-11-02") + 50)
    found = statements(w, db, prices(rule="hourly", markup="12.5"))
    # 72 x 1.125 = 81.00 a month; 81 x 50 / 720 = 5.625 exactly: half-up 5.63 (banker's: 5.62).
    assert (sale(found, "A").cost, sale(found, "A").revenue) == (D("5.00"), D("5.63"))


# -- markup follows the price in force at each slot ---------------------------------------


def test_markup_applies_to_the_cost_price_in_force_at_each_slot(db):
    w = World(prices={"p": [("2020-01-01", "72.00"), ("2026-11-16", "144.00")]})
    w.account("Z", "p", FIRST)
    found = statements(w, db, prices(rule="hourly", markup="25"))
    z = sale(found, "Z")
    # 360 h at 72 and 360 h at 144: cost 36.00 + 72.00; revenue 1.25 x that.
    assert (z.cost, z.revenue, z.margin) == (D("108.00"), D("135.00"), D("27.00"))


def test_daily_and_monthly_take_the_price_in_force_at_the_last_slot(db):
    w = World(prices={"p": [("2020-01-01", "72.00"), ("2026-11-16", "144.00")]})
    w.account("Z", "p", FIRST)
    daily = statements(w, db, prices(rule="daily", markup="25"))
    assert sale(daily, "Z").revenue == D("180.00")  # 30 days x 144 x 1.25 / 30
    monthly = statements(w, db.with_name("m.sqlite3"), prices(rule="monthly", markup="25"))
    assert sale(monthly, "Z").revenue == D("180.00")


# -- daily: billed days x S(last slot) / D ------------------------------------------------


def test_daily_charges_each_billed_day_at_the_monthly_sell_price_over_days_in_month(db):
    w = World().account("Z", "p72", FIRST).account("A", "p72", h("2026-11-05T22"), h("2026-11-08T02"))
    found = statements(w, db, prices(rule="daily", products={"p72": "30.00"}))
    a = sale(found, "A")
    # 52 h over the 5th, 6th, 7th and 8th: 4 days x 30.00 / 30 = 4.00; cost 72 x 52 / 720 = 5.20.
    assert (a.line.hours, a.line.billed_days) == (52, 4)
    assert (a.cost, a.revenue, a.margin) == (D("5.20"), D("4.00"), D("-1.20"))


def test_daily_uses_the_days_of_the_periods_local_month(db):
    w = World(timezone="Europe/Brussels")
    w.account("Z", "p72", h("2026-09-30T22"))
    report = w.report(db, h("2026-09-30T22"), h("2026-11-01T00"), "2026-10")  # 31 local days
    found = build_statements(report, w.products(), prices(rule="daily", products={"p72": "31.00"}))
    z = found.statements[0].sales[0]
    assert (z.line.billed_days, z.revenue) == (31, D("31.00"))


# -- monthly: the full price once, at the pack the item ended with --------------------------


def test_monthly_charges_an_account_that_changed_pack_once_at_its_last_pack(db):
    w = World().account("Z", "p72", FIRST)
    w.account("A", "p72", h("2026-11-03"), h("2026-11-10")).account("A", "p144", h("2026-11-10"))
    found = statements(w, db, prices(rule="monthly", products={"p144": "150.00"}))
    first, last = sale(found, "A", "p72"), sale(found, "A", "p144")
    assert (first.revenue, last.revenue) == (D("0.00"), D("150.00"))
    assert first.cost == D("16.80") and first.margin == D("-16.80")  # 168 h x 0.10
    assert last.cost == D("100.80") and last.margin == D("49.20")  # 504 h x 0.20


def test_monthly_charges_the_last_billed_line_even_when_the_item_left_early(db):
    w = World().account("Z", "p72", FIRST)
    w.account("A", "p144", h("2026-11-03"), h("2026-11-10")).account("A", "p72", h("2026-11-10"),
                                                                     h("2026-11-12"))
    found = statements(w, db, prices(rule="monthly", markup="50"))
    assert sale(found, "A", "p144").revenue == D("0.00")
    assert sale(found, "A", "p72").revenue == D("108.00")  # 72 x 1.5, the whole month


def test_monthly_ignores_an_exempt_line_after_the_last_billed_one(db):
    w = World().account("Z", "p72", FIRST)
    w.account("A", "p72", h("2026-11-03"), h("2026-11-10"))  # billed
    w.account("A", "p144", h("2026-11-20"), h("2026-11-21"))  # comes back for 24 h: exempt
    found = statements(w, db, prices(rule="monthly"))
    assert sale(found, "A", "p72").revenue == D("72.00")
    assert (sale(found, "A", "p144").line.state, sale(found, "A", "p144").revenue) == ("exempt", D("0.00"))


# -- the customer's name, rule and discount --------------------------------------------------


def test_discount_comes_off_every_line_before_the_one_rounding(db):
    w = World().account("Z", "p72", FIRST, customer="C-1")
    w.account("A", "p72", h("2026-11-02"), h("2026-11-02") + 50, customer="C-1")
    terms = {"C-1": customer(rule="hourly", discount="10", name="Bakkerij")}
    found = statements(w, db, prices(rule="daily", markup="12.5", customers=terms))
    # A: 81 x 50 / 720 = 5.625, x 0.9 = 5.0625 -> 5.06 (rounding twice would give 5.07).
    assert sale(found, "A").revenue == D("5.06")
    assert sale(found, "Z").revenue == D("72.90")  # 81.00 x 0.9, hourly: the customer's rule
    (only,) = found.statements
    assert (only.customer, only.terms.name, only.terms.rule) == ("C-1", "Bakkerij", "hourly")


def test_customers_not_in_the_price_list_get_the_default_rule_and_no_discount(db):
    w = World().account("Z", "p72", FIRST, customer="C-9").account("Y", "p72", FIRST)
    found = statements(w, db, prices(rule="daily", markup="10"))
    assert [s.customer for s in found.statements] == ["C-9", None]  # no customer last
    for s in found.statements:
        assert (s.terms.rule, s.terms.discount, s.revenue) == ("daily", D(0), D("79.20"))


# -- revenue null when neither a sell price nor a cost price exists ------------------------


def test_revenue_is_null_without_sell_price_and_cost_price(db):
    w = World().account("Z", "p72", FIRST, customer="C-1").account("U", "mystery", h("2026-11-05"),
                                                                   customer="C-1")
    found = statements(w, db, prices(rule="hourly", markup="25"))
    u = sale(found, "U")
    assert (u.cost, u.revenue, u.margin) == (None, None, None)
    (st,) = found.statements
    assert st.incomplete and found.totals.incomplete
    assert (st.cost, st.revenue, st.margin) == (D("72.00"), D("90.00"), D("18.00"))  # Z only


def test_a_sell_price_without_cost_price_gives_revenue_but_no_margin(db):
    w = World().account("Z", "p72", FIRST).account("U", "mystery", h("2026-11-21"))
    found = statements(w, db, prices(rule="daily", products={"mystery": "30.00"}))
    u = sale(found, "U")
    assert (u.cost, u.revenue, u.margin) == (None, D("10.00"), None)  # 10 days x 30 / 30
    assert found.totals.incomplete


# -- exempt and pending lines ---------------------------------------------------------------


def test_exempt_lines_are_listed_free_and_never_charged(db):
    w = World().account("Z", "p72", FIRST).account("B", "p72", h("2026-11-05"), h("2026-11-06T12"))
    found = statements(w, db, prices(rule="daily", products={"p72": "100.00"}))
    b = sale(found, "B")
    assert (b.line.state, b.charged, b.cost, b.revenue, b.margin) == ("exempt", False, D("0.00"),
                                                                      D("0.00"), D("0.00"))


def test_pending_lines_have_provisional_revenue(db):
    w = World().account("Z", "p72", FIRST).account("E", "p72", h("2026-11-19T18"))
    found = statements(w, db, prices(rule="hourly", markup="50"), last=h("2026-11-20T23"))
    e = sale(found, "E")
    assert (e.line.state, e.cost, e.revenue) == ("pending", D("3.00"), D("4.50"))
    assert found.status == "open"


# -- totals -----------------------------------------------------------------------------------


def test_totals_are_sums_of_the_rounded_line_values(db):
    w = World().account("Z", "p72", FIRST, customer="C-1")
    for i in range(3):  # three lines of 5.625 each: 5.63 x 3 = 16.89, not round(16.875) = 16.88
        w.account(f"A{i}", "p72", h("2026-11-02"), h("2026-11-02") + 50, customer="C-2")
    found = statements(w, db, prices(rule="hourly", markup="12.5"))
    c1, c2 = found.statements
    assert c2.revenue == D("16.89") and c2.cost == D("15.00") and c2.margin == D("1.89")
    assert found.totals.revenue == c1.revenue + c2.revenue == D("97.89")
    assert found.totals.margin == found.totals.revenue - found.totals.cost
    assert c2.margin_percent == D("1.89") * 100 / D("16.89")
