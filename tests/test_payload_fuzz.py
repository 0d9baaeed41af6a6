"""The payload parser on anything at all: a valid result or one clean `ContractError`.

Arbitrary JSON-like values, and valid documents with one thing broken (a key
dropped, a type changed, a weird string or number put in, a value buried
deep), go through `parse_provider`, `parse_products`, `parse_snapshot` and
`parse_dump`. No other exception may escape, and the error is one short line
that names a field. What the parser accepts, the cache must store (or refuse
as bad data), never crash on.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from payg_tui.engine.model import PriceVersion, Product, Provider
from payg_tui.errors import DataContractError
from payg_tui.providers.payload import (
    ContractError,
    Dump,
    Snapshot,
    parse_dump,
    parse_products,
    parse_provider,
    parse_snapshot,
)
from payg_tui.store.cache import Store

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BASE: dict[str, Any] = {
    "provider": {"name": "Example Hosting", "currency": "EUR", "currency_exponent": 2,
                 "timezone": "Europe/Brussels"},
    "products": [
        {"code": "pack-starter", "kind": "service_pack", "name": "Starter",
         "prices": [{"effective_from": "2025-01-01T00:00:00Z", "monthly": "4.95"},
                    {"effective_from": "2026-07-01T00:00:00Z", "monthly": "5.45"}]},
        {"code": "ssl", "kind": "addon", "name": "SSL certificate",
         "prices": [{"effective_from": "2025-01-01T00:00:00Z", "monthly": "2.00"}]},
    ],
    "snapshots": [
        {"taken_at": f"2026-11-01T0{hour}:00:00Z", "accounts": [
            {"id": "acc-1001", "name": "shop.example.be", "customer": "C-17", "pack": "pack-starter",
             "addons": [{"id": "add-77", "product": "ssl"}]},
            {"id": "acc-1002", "name": "blog.example.be", "customer": None, "pack": "pack-starter",
             "addons": []},
        ]}
        for hour in range(3)
    ],
}
KEYS = ["provider", "products", "snapshots", "name", "currency", "currency_exponent", "timezone",
        "code", "kind", "prices", "effective_from", "monthly", "taken_at", "accounts", "id",
        "customer", "pack", "addons", "product"]
WEIRD_STRINGS = [
    "", " ", "\ud800", "a\udfffb", "\x00", "a\nb", "\r", "\x1b[31m", "\u202e", "\u200b", "x" * 10_000,
    "٢٠٢٦-11-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-11-01T00:30:00Z", "2026-02-30T00:00:00Z",
    "0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z", "12.50", "１２.５０", "1e5", "NaN", "-1.00",
    "UTC", "Europe/Brussels", "Asia/Kolkata", "America", "../../etc/passwd", "a" * 5000, "EUR",
    "service_pack", "addon", "pack-starter", "ssl", "acc-1001",
]
WEIRD_NUMBERS = [2 ** 64, -1, 0, 7, 2, True, False, math.nan, math.inf, -math.inf, 1e308, -0.0, 2.5]
# Numbers of 5,000 digits: valid JSON, but `repr()` of one raises ValueError.
huge_numbers = st.sampled_from([5000, -5000, 4301]).map(lambda n: (10 ** abs(n)) * (1 if n > 0 else -1))

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
           | st.sampled_from(range(len(WEIRD_STRINGS))).map(WEIRD_STRINGS.__getitem__)
           | st.sampled_from(WEIRD_NUMBERS) | huge_numbers)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)


def deep(value: Any, depth: int, as_dict: bool) -> Any:
    for _ in range(depth):
        value = {"id": value} if as_dict else [value]
    return value


weird = (scalars | json_like
         | st.builds(deep, scalars, st.integers(1, 50_000), st.booleans()))


def _locations(doc: Any, out: list[tuple[Any, Any]], depth: int = 0) -> list[tuple[Any, Any]]:
    """Every (container, key) of the document down to the depth of the contract's shapes."""
    if depth > 6:
        return out
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in list(items):
        out.append((doc, key))
        _locations(value, out, depth + 1)
    return out


@st.composite
def mutated(draw: st.DrawFn, base: Any = BASE) -> Any:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        places = _locations(doc, [])
        if not places:
            break
        parent, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["drop", "replace", "replace", "add", "duplicate", "wrap"]))
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(weird)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(weird)
        elif action == "duplicate" and isinstance(parent, list):
            # The same object twice, not a deep copy: `weird` values can be nested
            # thousands deep, past what copy.deepcopy's recursion can take.
            parent.append(parent[key])
        elif action == "wrap":
            parent[key] = [parent[key]]
    return doc


def check_error(error: ContractError) -> None:
    message = str(error)
    assert message.isprintable(), repr(message)  # one line: no newline or control char from the data
    assert len(message) < 400, message[:400]
    assert error.field and f"field {error.field!r}" in message


def usable(text: Any) -> bool:
    return isinstance(text, str) and bool(text)


def check_provider(provider: Provider) -> None:
    assert isinstance(provider.name, str)
    provider.name.encode("utf-8")  # storable
    assert provider.currency.isascii() and provider.currency.isupper() and len(provider.currency) == 3
    assert type(provider.currency_exponent) is int and 0 <= provider.currency_exponent <= 6
    assert isinstance(provider.timezone, str) and provider.timezone


def check_products(products: dict[str, Product]) -> None:
    for code, product in products.items():
        assert code == product.code and code.isprintable() and 0 < len(code) <= 200
        assert product.kind in ("service_pack", "addon")
        product.name.encode("utf-8")
        starts = [v.effective_from for v in product.prices]
        assert starts == sorted(set(starts))
        for version in product.prices:
            assert isinstance(version, PriceVersion) and type(version.effective_from) is int
            assert isinstance(version.monthly, Decimal) and version.monthly.is_finite()


def check_snapshot(snap: Snapshot) -> None:
    assert type(snap.slot) is int
    assert snap.packs.keys() == snap.labels.keys()
    for acc, pack in snap.packs.items():
        assert usable(acc) and usable(pack)
        name, customer = snap.labels[acc]
        assert isinstance(name, str) and (customer is None or isinstance(customer, str))
    for add, (acc, product) in snap.addons.items():
        assert usable(add) and acc in snap.packs and usable(product)


def attempt(parse, value: Any, check) -> Any:
    try:
        result = parse(value)
    except ContractError as error:
        check_error(error)
        return None
    check(result)
    return result


def check_dump(dump: Dump) -> None:
    check_provider(dump.provider)
    check_products(dump.products)
    slots = [s.slot for s in dump.snapshots]
    assert slots == sorted(set(slots))
    for snap in dump.snapshots:
        check_snapshot(snap)


def test_the_base_document_is_valid():
    dump = parse_dump(copy.deepcopy(BASE))
    assert len(dump.snapshots) == 3 and set(dump.products) == {"pack-starter", "ssl"}


@FAST
@given(json_like)
def test_anything_at_all(value):
    attempt(parse_provider, value, check_provider)
    attempt(parse_products, value, check_products)
    attempt(lambda v: parse_snapshot(v, "snapshots[0]"), value, check_snapshot)
    attempt(parse_dump, value, check_dump)


@FAST
@given(weird)
def test_weird_values_in_every_slot_of_one_account(value):
    for key in ("id", "name", "customer", "pack", "addons"):
        snap = copy.deepcopy(BASE["snapshots"][0])
        snap["accounts"][1][key] = value
        attempt(lambda v: parse_snapshot(v, "snapshots[0]"), snap, check_snapshot)
    for key in ("name", "currency", "currency_exponent", "timezone"):
        attempt(parse_provider, {**BASE["provider"], key: value}, check_provider)
    for key in ("effective_from", "monthly"):
        products = copy.deepcopy(BASE["products"])
        products[1]["prices"][0][key] = value
        attempt(parse_products, products, check_products)
    attempt(lambda v: parse_snapshot(v, "snapshots[0]"),
            {"taken_at": value, "accounts": []}, check_snapshot)


@FAST
@given(mutated())
def test_a_valid_dump_with_something_broken(doc):
    attempt(parse_dump, doc, check_dump)
    attempt(parse_provider, doc.get("provider"), check_provider)
    attempt(parse_products, doc.get("products"), check_products)
    for snap in doc.get("snapshots", [])[:3] if isinstance(doc.get("snapshots"), list) else []:
        attempt(lambda v: parse_snapshot(v, "snapshots[0]"), snap, check_snapshot)


def test_deep_nesting_and_huge_numbers_are_refused_in_one_short_line():
    for bad in (deep(None, 100_000, False), deep(1, 100_000, True), 10 ** 5000, math.nan,
                "x" * 10_000 + "\n", "\ud800"):
        for parse in (parse_provider, parse_products, parse_dump,
                      lambda v: parse_snapshot(v, "snapshots[0]")):
            with pytest.raises(ContractError) as caught:
                parse(bad)
            check_error(caught.value)
        doc = copy.deepcopy(BASE)
        doc["snapshots"][1]["taken_at"] = bad
        with pytest.raises(ContractError, match=r"snapshots\[1\]: field 'taken_at'") as caught:
            parse_dump(doc)
        check_error(caught.value)
        doc = copy.deepcopy(BASE)
        doc["provider"]["currency_exponent"] = bad
        with pytest.raises(ContractError, match="currency_exponent") as caught:
            parse_dump(doc)
        check_error(caught.value)


@pytest.mark.parametrize("taken_at", ["٢٠٢٦-11-01T00:00:00Z", "2026-11-01T00:00:00Z\n",
                                      "9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z",
                                      "1969-12-31T23:00:00Z", "3000-01-01T00:00:00Z"])
def test_timestamps_are_ascii_and_in_a_sane_range(taken_at):
    doc = copy.deepcopy(BASE)
    doc["snapshots"][0]["taken_at"] = taken_at
    with pytest.raises(ContractError, match=r"snapshots\[0\]: field 'taken_at'"):
        parse_dump(doc)


@pytest.mark.parametrize("monthly", ["١٢.٥٠", "１２.５０", "12.50 ", "1e5", "NaN"])
def test_money_is_ascii_decimal(monthly):
    doc = copy.deepcopy(BASE)
    doc["products"][0]["prices"][0]["monthly"] = monthly
    with pytest.raises(ContractError, match=r"field 'products\[0\].prices\[0\].monthly'"):
        parse_dump(doc)


def test_names_with_a_lone_surrogate_become_storable():
    doc = copy.deepcopy(BASE)
    doc["provider"]["name"] = "Host\ud800ing"
    doc["products"][1]["name"] = "SSL\udfff"
    dump = parse_dump(doc)
    assert dump.provider.name == "Host\ufffding" and dump.products["ssl"].name == "SSL\ufffd"


def _dump_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        return {n: sorted(db.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        db.close()


@pytest.fixture(scope="module")
def seeded_cache(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "cache.sqlite3"
    dump = parse_dump(copy.deepcopy(BASE))
    with Store.open(path) as store:
        store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
    return path


any_text = (st.text(st.characters(exclude_categories=()), max_size=8)  # lone surrogates too
            | st.sampled_from(range(len(WEIRD_STRINGS))).map(WEIRD_STRINGS.__getitem__))


@st.composite
def accepted(draw: st.DrawFn) -> Any:
    """A valid dump whose free-form strings (ids, names, codes used) are anything at all."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        snap = draw(st.sampled_from(doc["snapshots"]))
        acc = draw(st.sampled_from(snap["accounts"]))
        key = draw(st.sampled_from(["id", "name", "customer", "pack", "addon id", "addon product"]))
        value = draw(any_text.filter(bool))
        if key.startswith("addon"):
            if acc["addons"]:
                acc["addons"][0][key.split()[1]] = value
        else:
            acc[key] = value
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(doc=accepted())
def test_what_the_parser_accepts_the_cache_stores_or_refuses_keeping_what_it_had(doc, seeded_cache):
    try:
        dump = parse_dump(doc)
    except ContractError:  # two accounts given the same id, say
        assume(False)
        return
    before = _dump_tables(seeded_cache)
    with Store.open(seeded_cache) as store:
        try:
            store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
        except DataContractError as error:
            assert error.message.isprintable() and "snapshot " in error.message
            assert _dump_tables(seeded_cache) == before
        else:
            # Put the seed back for the next example.
            base = parse_dump(copy.deepcopy(BASE))
            store.add_snapshots(base.snapshots, provider=base.provider, products=base.products)


def doc_id(index: int) -> str:
    return BASE["snapshots"][2]["accounts"][index]["id"]


def test_a_lone_surrogate_id_is_refused_by_the_store_naming_snapshot_and_account(seeded_cache):
    doc = copy.deepcopy(BASE)
    doc["snapshots"][2]["accounts"][1]["id"] = "acc-\ud800"
    with pytest.raises(ContractError, match="not a usable identifier"):  # the parser refuses it first
        parse_dump(doc)
    # The store's own guard, for a snapshot that did not come through the parser.
    dump = parse_dump(BASE)
    snap = dump.snapshots[2]
    packs = {("acc-\ud800" if acc == doc_id(1) else acc): pack for acc, pack in snap.packs.items()}
    dump.snapshots[2] = dataclasses.replace(snap, packs=packs)
    before = _dump_tables(seeded_cache)
    with Store.open(seeded_cache) as store, pytest.raises(DataContractError) as caught:
        store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
    assert caught.value.message.startswith("snapshot 2026-11-01T02:00:00Z: account id 'acc-\\ud800'")
    assert _dump_tables(seeded_cache) == before


def test_a_dump_written_by_json_dumps_round_trips():
    dump = parse_dump(json.loads(json.dumps(BASE)))
    check_dump(dump)
