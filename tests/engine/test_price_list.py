"""resale.toml as a reseller writes it (resale.md and docs/resale.md), checked key by key."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from payg_tui.engine.price_list import PriceListError, key_path, parse_price_list, percent_text

D = Decimal


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_price_list(tomllib.loads(text))


def test_the_spec_example_is_read_as_written() -> None:
    prices = parse('currency = "EUR"\nrule = "daily"\nmarkup = "25%"\n'
                   '[products.pack-pro]\nmonthly = "19.00"\n'
                   '[customers.C-17]\nname = "Bakkerij Janssens"\ndiscount = "10%"\nrule = "monthly"\n')
    assert (prices.currency, prices.rule, prices.markup, prices.products) == ("EUR", "daily", D(25),
                                                                              {"pack-pro": D("19.00")})
    terms = prices.terms("C-17")
    assert (terms.name, terms.discount, terms.rule, terms.keeps) == ("Bakkerij Janssens", D(10), "monthly",
                                                                     D("0.9"))
    assert prices.markup_factor == D("1.25")


def test_defaults_daily_no_markup_and_customers_take_the_files_rule() -> None:
    prices = parse('currency = "EUR"\n[customers.C-1]\nname = "x"\n')
    assert (prices.rule, prices.markup) == ("daily", D(0))
    assert prices.terms("C-1").rule == "daily"
    prices = parse('currency = "EUR"\nrule = "hourly"\n[customers.C-1]\ndiscount = "5%"\n')
    assert prices.terms("C-1").rule == "hourly"
    assert prices.terms("unknown") == prices.terms(None)
    assert (prices.terms(None).discount, prices.terms(None).rule) == (D(0), "hourly")


@pytest.mark.parametrize(("text", "value"), [("12.5%", D("12.5")), ("0%", D(0)), ("100%", D(100)),
                                             (" 7% ", D(7))])
def test_discounts_are_decimal_percentages_up_to_100(text: str, value: Decimal) -> None:
    assert parse(f'currency = "EUR"\n[customers.C]\ndiscount = "{text}"\n').terms("C").discount == value


def test_an_integer_price_is_exact_and_accepted_a_float_is_not() -> None:
    assert parse('currency = "EUR"\n[products.p]\nmonthly = 19\n').products == {"p": D(19)}
    with pytest.raises(PriceListError) as refused:
        parse('currency = "EUR"\n[products.p]\nmonthly = 19.99\n')
    assert refused.value.problems == [
        'products.p.monthly: must be an amount as a decimal string, not a number (write it as a string: '
        '"19.99")']


def test_markup_has_no_ceiling_but_a_discount_does() -> None:
    assert parse('currency = "EUR"\nmarkup = "300%"\n').markup_factor == 4
    with pytest.raises(PriceListError) as refused:
        parse('currency = "EUR"\n[customers.C]\ndiscount = "100.01%"\n')
    assert refused.value.problems == ['customers.C.discount: "100.01%" is over 100%']


def test_every_problem_is_reported_at_once_each_naming_its_key() -> None:
    with pytest.raises(PriceListError) as refused:
        parse('rule = "weekly"\nmarkup = "25"\nextra = 1\n[products.a]\nmonthly = "-1"\n'
              '[customers."a.b"]\nrule = 3\n')
    keys = sorted(problem.split(": ")[0] for problem in refused.value.problems)
    assert keys == ['currency', 'customers."a.b".rule', "extra", "markup", "products.a.monthly", "rule"]


def test_key_paths_quote_what_toml_would_quote_and_show_controls() -> None:
    assert key_path("customers", "C-17", "rule") == "customers.C-17.rule"
    assert key_path("customers", 'a "b"\x1b') == 'customers."a \\"b\\"\\u001b"'


def test_percentages_are_written_back_as_in_the_file() -> None:
    assert [percent_text(D(x)) for x in ("10", "12.50", "0", "100")] == ["10%", "12.5%", "0%", "100%"]
