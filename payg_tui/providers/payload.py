"""Strict reading of the hosting API's JSON shapes (api.md) into plain data.

Every source (the HTTP client, `import`, the demo generator, the Combell
collector) goes through here, so a payload that breaks the contract is
refused the same way everywhere: a `ContractError` naming the snapshot and
the field. Nothing here touches the cache; callers store only what passed.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from payg_tui.engine.clock import zone
from payg_tui.engine.model import (
    EPOCH,
    BillingError,
    Dump,
    PriceVersion,
    Product,
    Provider,
    Slot,
    Snapshot,
    slot_iso,
    slot_of,
)
from payg_tui.engine.text import storable

# ASCII digits only: `\d` would also take "٢٠٢٦" or "１２.５０", which int() and Decimal() accept.
_HOUR_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:00:00Z\Z")
_DECIMAL_RE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?\Z")
# Limits on both paths (the per-field checks and the snapshot fast path):
# an id or product code is at most 200 printable characters; a name or a
# customer reference at most 1,000 characters of any kind (it is free text,
# shown escaped). Anything longer is a broken or hostile payload, and would
# otherwise make a cache and its warning lines as big as the value.
_CODE_MAX = 200  # also written as a literal in parse_snapshot's hot loop
_TEXT_MAX = 1_000  # likewise
_second = operator.itemgetter(1)
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
# Years a timestamp may name: any real bill falls well inside, and the calendar
# arithmetic of periods stays inside `datetime`'s range (a period of 9999-12
# would end in year 10000).
_YEARS = ("1970", "2999")


class ContractError(ValueError):
    """A payload that breaks the API contract. `str()` is the one line to show."""

    def __init__(self, where: str, field: str, problem: str) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        super().__init__(f"{where}: field {field!r}: {problem}")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__.replace("dict", "object").replace(
        "list", "array"
    ).replace("str", "string").replace("int", "number").replace("float", "number")


def _show(value: Any, limit: int = 60) -> str:
    """A short, one-line picture of a bad value for an error message.

    Never the whole value: a 10,000-character id, a number of 5,000 digits
    (whose `repr` raises) or an array nested 100,000 deep (whose `repr`
    recurses) each become a few dozen characters. `repr` escapes newlines and
    control characters, so user data cannot break the message's one line.
    """
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    if type(value) is int and value.bit_length() > 64:
        return f"a number of {value.bit_length()} bits"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return _kind(value)


_WANTED: dict[type, str] = {str: "a string", list: "an array", dict: "an object"}


def _need(obj: Any, key: str, kind: type, where: str, path: str) -> Any:
    if not isinstance(obj, dict):
        raise ContractError(where, path or "(document)", f"expected an object, got {_kind(obj)}")
    if key not in obj:
        raise ContractError(where, _join(path, key), "missing")
    value = obj[key]
    if kind is int and (type(value) is not int):
        raise ContractError(where, _join(path, key), f"expected a number, got {_kind(value)}")
    if kind is not int and not isinstance(value, kind):
        want = _WANTED[kind]
        raise ContractError(where, _join(path, key), f"expected {want}, got {_kind(value)}")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _code(value: str, where: str, path: str) -> str:
    if not value or len(value) > _CODE_MAX or not value.isprintable():
        raise ContractError(where, path, f"not a usable identifier: {_show(value, 40)}")
    return value


def parse_hour(value: Any, where: str, path: str) -> Slot:
    """An hour-aligned UTC timestamp `YYYY-MM-DDTHH:00:00Z` as a slot."""
    if not isinstance(value, str) or not _HOUR_RE.match(value):
        raise ContractError(where, path, f"expected an hour-aligned UTC time, got {_show(value)}")
    if not _YEARS[0] <= value[:4] <= _YEARS[1]:
        raise ContractError(where, path, f"year out of range ({_YEARS[0]} to {_YEARS[1]}): {value!r}")
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=EPOCH.tzinfo)
    except ValueError:
        raise ContractError(where, path, f"not a real date: {value!r}") from None
    return slot_of(moment)


def parse_decimal(value: Any, where: str, path: str) -> Decimal:
    """A money amount: a decimal string such as `"12.50"`, never a JSON number."""
    if not isinstance(value, str) or not _DECIMAL_RE.match(value):
        raise ContractError(where, path, f"expected a decimal string like \"12.50\", got {_show(value)}")
    return Decimal(value)


def parse_provider(obj: Any, where: str = "provider") -> Provider:
    name = storable(_text(_need(obj, "name", str, where, ""), where, "name"))
    currency = _need(obj, "currency", str, where, "")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ContractError(where, "currency", f"expected an ISO 4217 code, got {_show(currency, 20)}")
    exponent = obj.get("currency_exponent", 2)
    if type(exponent) is not int or not 0 <= exponent <= 6:
        raise ContractError(where, "currency_exponent", f"expected 0 to 6, got {_show(exponent, 20)}")
    timezone = obj.get("timezone", "UTC")
    if timezone is None:
        timezone = "UTC"
    if not isinstance(timezone, str) or not timezone:
        raise ContractError(where, "timezone", f"expected an IANA zone name, got {_show(timezone, 40)}")
    _check_zone(timezone, where)
    return Provider(name=name, currency=currency, currency_exponent=exponent, timezone=timezone)


def _check_zone(name: str, where: str) -> None:
    try:
        zone(name)
    except BillingError:
        raise ContractError(where, "timezone", f"unknown time zone {_show(name)}") from None


def parse_products(items: Any, where: str = "products") -> dict[str, Product]:
    if isinstance(items, dict):
        items = _need(items, "products", list, where, "")
    if not isinstance(items, list):
        raise ContractError(where, "products", f"expected an array, got {_kind(items)}")
    products: dict[str, Product] = {}
    for i, item in enumerate(items):
        product = _parse_product(item, where, f"products[{i}]")
        if product.code in products:
            raise ContractError(where, f"products[{i}].code", f"duplicate code {_show(product.code)}")
        products[product.code] = product
    return products


def _parse_product(item: Any, where: str, path: str) -> Product:
    code = _code(_need(item, "code", str, where, path), where, f"{path}.code")
    kind = _need(item, "kind", str, where, path)
    if kind not in ("service_pack", "addon"):
        raise ContractError(where, f"{path}.kind", f"expected service_pack or addon, got {_show(kind, 40)}")
    name = item.get("name", code)
    if not isinstance(name, str):
        raise ContractError(where, f"{path}.name", f"expected a string, got {_kind(name)}")
    name = storable(_text(name, where, f"{path}.name"))
    versions = []
    for j, price in enumerate(_need(item, "prices", list, where, path)):
        ppath = f"{path}.prices[{j}]"
        start = parse_hour(_need(price, "effective_from", str, where, ppath), where,
                           f"{ppath}.effective_from")
        monthly = parse_decimal(_need(price, "monthly", str, where, ppath), where,
                                f"{ppath}.monthly")
        versions.append(PriceVersion(effective_from=start, monthly=monthly))
    versions.sort(key=lambda v: v.effective_from)
    for a, b in itertools.pairwise(versions):
        if a.effective_from == b.effective_from:
            raise ContractError(where, f"{path}.prices", f"two prices from {slot_iso(a.effective_from)}")
    return Product(code=code, kind=kind, name=name, prices=tuple(versions))


def parse_snapshot(obj: Any, where: str) -> Snapshot:
    """One element of `snapshots`. `where` names it until its time is known."""
    slot = parse_hour(_need(obj, "taken_at", str, where, ""), where, "taken_at")
    where = f"snapshot {obj['taken_at']}"
    accounts = _need(obj, "accounts", list, where, "")
    packs: dict[str, str] = {}
    addons: dict[str, tuple[str, str]] = {}
    labels: dict[str, tuple[str, str | None]] = {}
    attached = 0
    for acc in accounts:
        # The hot loop of every import and sync: read each field once, check
        # types with `type() is`, count instead of probing for duplicates, and
        # only work out a precise message (with indexes) when something is off.
        try:
            acc_id = acc["id"]
            name = acc["name"]
            customer = acc["customer"]
            pack = acc["pack"]
            acc_addons = acc["addons"]
        except (KeyError, TypeError):
            _explain_account(acc, where, _account_path(accounts, acc))
            raise
        if (
            type(acc_id) is not str
            or type(name) is not str
            or type(pack) is not str
            or type(acc_addons) is not list
            or not (customer is None or type(customer) is str)
            or not acc_id
            or not pack
            # Literal limits (_CODE_MAX, _TEXT_MAX): a constant is cheaper than a global here.
            or len(acc_id) > 200
            or len(pack) > 200
            or len(name) > 1000
            or (customer is not None and len(customer) > 1000)
        ):
            _explain_account(acc, where, _account_path(accounts, acc))
        packs[acc_id] = pack
        labels[acc_id] = (name, customer)
        attached += len(acc_addons)
        for add in acc_addons:
            try:
                add_id = add["id"]
                product = add["product"]
            except (KeyError, TypeError):
                _explain_addon(add, where, _addon_path(accounts, acc, add))
                raise
            if (type(add_id) is not str or type(product) is not str or not add_id or not product
                    or len(add_id) > 200 or len(product) > 200):
                _explain_addon(add, where, _addon_path(accounts, acc, add))
            addons[add_id] = (acc_id, product)
    if len(packs) != len(accounts) or len(addons) != attached:
        _explain_duplicate(accounts, where)
    if not _printable(packs, addons):
        _explain_limits(accounts, where)
    return Snapshot(slot=slot, packs=packs, addons=addons, labels=labels)


def _printable(packs: dict[str, str], addons: dict[str, tuple[str, str]]) -> bool:
    """Whether every id and code of a snapshot is printable (the loop checked their
    lengths), in C: dicts join at a few ns an entry, add-on products repeat so
    only their distinct values are looked at, and ASCII text (the usual case)
    is checked by deleting its printable bytes, 15 times faster than
    `str.isprintable`."""
    text = "".join(packs) + "".join(packs.values()) + "".join(addons)
    if addons:
        text += "".join(set(map(_second, addons.values())))
    if text.isascii():
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return text.isprintable()


def _explain_limits(accounts: list[Any], where: str) -> None:
    """Name the first id, code, name or customer reference that is too long or not printable."""
    for i, acc in enumerate(accounts):
        for key in ("id", "pack"):
            _code(acc[key], where, f"accounts[{i}].{key}")
        _text(acc["name"], where, f"accounts[{i}].name")
        if acc["customer"] is not None:
            _text(acc["customer"], where, f"accounts[{i}].customer")
        for j, add in enumerate(acc["addons"]):
            for key in ("id", "product"):
                _code(add[key], where, f"accounts[{i}].addons[{j}].{key}")
    raise AssertionError("a value out of limits was seen but not found")  # pragma: no cover


def _text(value: str, where: str, path: str) -> str:
    if len(value) > _TEXT_MAX:
        raise ContractError(where, path, f"longer than {_TEXT_MAX:,} characters ({len(value):,}): "
                                         f"{_show(value, 40)}")
    return value


def _account_path(accounts: list[Any], acc: Any) -> str:
    return f"accounts[{next(i for i, a in enumerate(accounts) if a is acc)}]"


def _addon_path(accounts: list[Any], acc: Any, add: Any) -> str:
    index = next(j for j, a in enumerate(acc["addons"]) if a is add)
    return f"{_account_path(accounts, acc)}.addons[{index}]"


def _explain_duplicate(accounts: list[Any], where: str) -> None:
    """Name the first repeated account or add-on id of a snapshot."""
    seen_accounts: set[str] = set()
    seen_addons: set[str] = set()
    for i, acc in enumerate(accounts):
        if acc["id"] in seen_accounts:
            raise ContractError(where, f"accounts[{i}].id", f"duplicate account id {_show(acc['id'], 80)}")
        seen_accounts.add(acc["id"])
        for j, add in enumerate(acc["addons"]):
            if add["id"] in seen_addons:
                raise ContractError(where, f"accounts[{i}].addons[{j}].id",
                                    f"duplicate add-on id {_show(add['id'], 80)}")
            seen_addons.add(add["id"])
    raise AssertionError("a duplicate was counted but not found")  # pragma: no cover


def _explain_account(acc: Any, where: str, path: str) -> None:
    _need(acc, "id", str, where, path)
    _need(acc, "name", str, where, path)
    if "customer" not in acc:
        raise ContractError(where, f"{path}.customer", "missing")
    if acc["customer"] is not None and not isinstance(acc["customer"], str):
        raise ContractError(where, f"{path}.customer",
                            f"expected a string or null, got {_kind(acc['customer'])}")
    _need(acc, "pack", str, where, path)
    _need(acc, "addons", list, where, path)
    for key in ("id", "pack"):
        _code(acc[key], where, f"{path}.{key}")
    _text(acc["name"], where, f"{path}.name")
    if acc["customer"] is not None:
        _text(acc["customer"], where, f"{path}.customer")
    raise ContractError(where, path, "malformed account")


def _explain_addon(add: Any, where: str, path: str) -> None:
    _code(_need(add, "id", str, where, path), where, f"{path}.id")
    _code(_need(add, "product", str, where, path), where, f"{path}.product")
    raise ContractError(where, path, "malformed add-on")


def parse_snapshots(items: Any, where: str = "snapshots") -> Iterator[Snapshot]:
    """Snapshots of one page or dump, each checked; strictly ascending in time."""
    if not isinstance(items, list):
        raise ContractError(where, "snapshots", f"expected an array, got {_kind(items)}")
    previous: Slot | None = None
    for i, obj in enumerate(items):
        snap = parse_snapshot(obj, f"{where}[{i}]")
        if previous is not None and snap.slot <= previous:
            raise ContractError(f"snapshot {slot_iso(snap.slot)}", "taken_at",
                                f"out of order: comes after {slot_iso(previous)}")
        previous = snap.slot
        yield snap


def parse_dump(doc: Any, where: str = "dump") -> Dump:
    """An import file: `{"provider": {...}, "products": [...], "snapshots": [...]}`.

    Unlike an API page, a dump may list snapshots in any order (it may be
    hand-assembled); two snapshots for one hour are refused.
    """
    if not isinstance(doc, dict):
        raise ContractError(where, "(document)", f"expected an object, got {_kind(doc)}")
    provider = parse_provider(_need(doc, "provider", dict, where, ""), "provider")
    products = parse_products(_need(doc, "products", list, where, ""))
    raw = _need(doc, "snapshots", list, where, "")
    snapshots = [parse_snapshot(obj, f"snapshots[{i}]") for i, obj in enumerate(raw)]
    snapshots.sort(key=lambda s: s.slot)
    for a, b in itertools.pairwise(snapshots):
        if a.slot == b.slot:
            raise ContractError(f"snapshot {slot_iso(b.slot)}", "taken_at",
                                "two snapshots for the same hour")
    return Dump(provider=provider, products=products, snapshots=snapshots)
