"""prices.toml: the reseller's Combell price list, read as the engine's products."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from payg_tui.engine.model import PriceVersion, Product, slot_of
from payg_tui.errors import UsageError
from payg_tui.providers.combell.prices import load_price_list, parse_price_list, render_template

EXAMPLE = """
name = "Combell"
currency = "EUR"
currency_exponent = 2
timezone = "Europe/Brussels"

[service_packs.1234]
name = "Linux Basic"
prices = [
  { from = 2025-01-01, monthly = "4.95" },
  { from = 2026-07-01, monthly = "5.45" },
]

[addons."Extra storage 10 GB"]
prices = [{ from = 2025-01-01T00:00:00Z, monthly = 2 }]
"""


def _hour(text: str) -> int:
    from datetime import datetime

    return slot_of(datetime.fromisoformat(text))


def test_price_list_becomes_provider_and_products() -> None:
    prices = parse_price_list(tomllib.loads(EXAMPLE))
    assert prices.provider.name == "Combell"
    assert prices.provider.currency == "EUR"
    assert prices.provider.timezone == "Europe/Brussels"
    assert prices.products == {
        "pack:1234": Product("pack:1234", "service_pack", "Linux Basic", (
            # A date is local midnight in Brussels: 23:00 UTC the day before in winter,
            # 22:00 UTC in summer.
            PriceVersion(_hour("2024-12-31T23:00:00+00:00"), Decimal("4.95")),
            PriceVersion(_hour("2026-06-30T22:00:00+00:00"), Decimal("5.45")),
        )),
        "addon:Extra storage 10 GB": Product(
            "addon:Extra storage 10 GB", "addon", "Extra storage 10 GB",
            (PriceVersion(_hour("2025-01-01T00:00:00+00:00"), Decimal("2")),)),
    }
    assert prices.warnings == []


def test_a_float_price_is_refused() -> None:
    doc = tomllib.loads('[service_packs.1]\nprices = [{ from = 2025-01-01, monthly = 4.95 }]')
    with pytest.raises(UsageError, match=r"service_packs\.1\.prices\[0\]\.monthly.*string"):
        parse_price_list(doc)


@pytest.mark.parametrize(("toml", "key"), [
    ('[service_packs.basic]\nprices = []', "service_packs.basic"),
    ('[service_packs.1]\nprices = [{ from = "someday", monthly = "1" }]', "from"),
    ('[service_packs.1]\nprices = [{ from = 2025-01-01, monthly = "-1" }]', "monthly"),
    ('[service_packs.1]\nprices = [{ from = 2025-01-01, monthly = "1" }, '
     '{ from = 2025-01-01, monthly = "2" }]', "two prices"),
    ('currency = "euro"', "currency"),
    ('timezone = "Mars/Olympus"', "timezone"),
    ('timezone = "Asia/Kolkata"\n[service_packs.1]\nprices = [{ from = 2025-01-01, monthly = "1" }]',
     "whole UTC hour"),
    ('colour = "blue"', "colour"),
])
def test_mistakes_are_named(toml: str, key: str) -> None:
    with pytest.raises(UsageError, match=key):
        parse_price_list(tomllib.loads(toml))


def test_a_product_without_price_is_kept_and_warned_about() -> None:
    prices = parse_price_list(tomllib.loads('[service_packs.7]\nname = "X"\nprices = []'))
    assert prices.products["pack:7"].prices == ()
    assert prices.warnings == ["service_packs.7 has no price: its lines will show as unpriced"]


def test_template_lists_the_packs_unpriced_and_reads_back(tmp_path: Path) -> None:
    text = render_template({12: "Linux Basic", 3: 'Windows "Pro"'})
    assert text.startswith("# payg-tui price list for Combell")
    path = tmp_path / "prices.toml"
    path.write_text(text, encoding="utf-8")
    prices = load_price_list(path)
    assert prices.products["pack:12"] == Product("pack:12", "service_pack", "Linux Basic", ())
    assert prices.products["pack:3"].name == 'Windows "Pro"'
    assert prices.provider.timezone == "Europe/Brussels"
    assert len(prices.warnings) == 2


def test_missing_file_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="prices init"):
        load_price_list(tmp_path / "prices.toml")
