"""The synthetic reseller: deterministic, stable as time passes, realistic enough."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import pytest

from payg_tui.engine.model import Slot, Snapshot, slot_of
from payg_tui.providers import payload
from payg_tui.sandbox.generator import (
    ANCHOR,
    EDGE_LIFETIMES,
    HOSTILE_NAMES,
    MONTH_HOURS,
    PACKS,
    Reseller,
)

NOW = slot_of(datetime(2026, 11, 20, 13, tzinfo=UTC))


def present_runs(hours: Iterable[tuple[Slot, set[str]]]) -> dict[str, list[tuple[Slot, Slot]]]:
    """Item id -> its lifetimes as inclusive (first, last) snapshot slots.

    An item present on both sides of missing hours keeps its lifetime
    (billing.md 2, bridging), so runs follow snapshot order, not slot order.
    """
    runs: dict[str, list[tuple[Slot, Slot]]] = {}
    previous: set[str] = set()
    for slot, here in hours:
        for item in here:
            if item in previous:
                runs[item][-1] = (runs[item][-1][0], slot)
            else:
                runs.setdefault(item, []).append((slot, slot))
        previous = here
    return runs


def items(reseller: Reseller, begin: Slot, end: Slot) -> list[tuple[Slot, set[str]]]:
    """The ids of every account and add-on present, hour by hour."""
    return [
        (payload.parse_hour(snap["taken_at"], "test", "taken_at"),
         {acc["id"] for acc in snap["accounts"]}
         | {add["id"] for acc in snap["accounts"] for add in acc["addons"]})
        for snap in reseller.snapshots(begin, end)
    ]


def daily(reseller: Reseller, begin: Slot, days: int) -> list[Snapshot]:
    """One parsed snapshot a day (the hour after a missing one if need be)."""
    picked = []
    for day in range(days):
        hour = begin + 24 * day
        while reseller.is_missing(hour):
            hour += 1
        picked.append(payload.parse_snapshot(reseller.snapshot(hour), f"day {day}"))
    return picked


def test_same_seed_same_history_other_seed_other_history() -> None:
    one, two, other = Reseller(7, 40), Reseller(7, 40), Reseller(8, 40)
    hours = [NOW - 5000, NOW - 24, NOW]
    assert [one.snapshot_json(h) for h in hours] == [two.snapshot_json(h) for h in hours]
    assert one.products() == two.products()
    assert one.snapshot_json(NOW) != other.snapshot_json(NOW)


def test_an_hour_never_changes_however_far_the_story_is_drawn() -> None:
    early, late = Reseller(3, 50), Reseller(3, 50)
    before = early.snapshot_json(NOW)  # draws only up to NOW
    late.prepare(NOW + 24 * 400)  # draws more than a year further first
    assert late.snapshot_json(NOW) == before
    assert early.snapshot_json(NOW + 24 * 400) == late.snapshot_json(NOW + 24 * 400)


def test_walking_forward_gives_the_same_hours_as_asking_one_by_one() -> None:
    reseller = Reseller(5, 30)
    walked = dict(reseller.iter_snapshot_json(NOW - 300, NOW))
    for hour in range(NOW - 300, NOW):
        assert walked.get(hour) == reseller.snapshot_json(hour)
    hour = max(walked)
    assert next(reseller.snapshots(hour, hour + 1)) == json.loads(walked[hour])


def test_every_snapshot_keeps_the_contract() -> None:
    reseller = Reseller(11, 120)
    for slot, raw in reseller.iter_snapshot_json(NOW - 24 * 14, NOW):
        snap = payload.parse_snapshot(json.loads(raw), f"hour {slot}")  # raises on any breach
        assert snap.slot == slot
    payload.parse_products(reseller.products())
    payload.parse_provider(reseller.provider())
    assert reseller.provider()["timezone"] == "Europe/Brussels"


def test_missing_hours_are_absent_and_announced() -> None:
    reseller = Reseller(2, 10)
    begin, end = NOW - 24 * 180, NOW
    missing = reseller.missing_hours(begin, end)
    assert 6 <= len(missing) <= 20  # one to three of every 30 days
    assert all(reseller.snapshot_json(h) is None for h in missing)
    served = {slot for slot, _ in reseller.iter_snapshot_json(begin, end)}
    assert served == set(range(begin, end)) - set(missing)


def test_nothing_before_the_first_served_hour() -> None:
    reseller = Reseller(2, 10, start=NOW - 10)
    assert reseller.snapshot_json(NOW - 11) is None
    assert next(reseller.iter_snapshot_json(NOW - 100, NOW))[0] >= NOW - 10


def test_churn_pack_changes_and_addons_look_like_a_real_reseller() -> None:
    accounts, months = 400, 6
    reseller = Reseller(21, accounts)
    snaps = daily(reseller, ANCHOR + 24 * 400, months * 30)
    first, last = snaps[0], snaps[-1]
    gone = [acc for acc in first.packs if acc not in last.packs]
    assert 0.01 <= len(gone) / accounts / months <= 0.035  # "about 2 % a month"
    changed = sum(
        1 for before, after in pairwise(snaps)
        for acc, pack in after.packs.items() if before.packs.get(acc, pack) != pack
    )
    assert 0.015 <= changed / accounts / months <= 0.05  # "about 3 % a month"
    for snap in (first, last):
        assert 1.2 <= len(snap.addons) / len(snap.packs) <= 1.8  # "~1.5 add-ons an account"
    assert set(last.packs.values()) == set(PACKS)


def test_short_stays_fall_on_both_sides_of_48_hours() -> None:
    hours = items(Reseller(4, 200), NOW - 3 * MONTH_HOURS, NOW)
    ended = Counter(
        last - first + 1
        for item_runs in present_runs(hours).values()
        for first, last in item_runs
        if first != hours[0][0] and last != hours[-1][0]
    )
    for length in EDGE_LIFETIMES:
        assert ended[length] >= 2, f"too few items that lived exactly {length} h"


def test_names_include_hostile_text_and_customers_can_be_null() -> None:
    snap = Reseller(9, 600).snapshot(NOW)
    assert snap is not None
    names = {acc["name"] for acc in snap["accounts"]}
    customers = [acc["customer"] for acc in snap["accounts"]]
    assert names & set(HOSTILE_NAMES)
    assert any(name.endswith(".be") for name in names)
    assert None in customers
    assert any(c is not None and re.fullmatch(r"C-\d{3}", c) for c in customers)
    assert len({acc["id"] for acc in snap["accounts"]}) == len(snap["accounts"])


def test_prices_change_and_old_versions_never_move() -> None:
    reseller = Reseller(1, 10)
    later = payload.parse_products(reseller.products(until=NOW + 24 * 200))
    now = payload.parse_products(reseller.products(until=NOW))
    for code, product in now.items():
        assert later[code].prices[: len(product.prices)] == product.prices
        assert all(v.effective_from < NOW for v in product.prices)
        assert all(v.monthly == v.monthly.quantize(Decimal("0.01")) for v in product.prices)
    recent = [v for p in now.values() for v in p.prices if v.effective_from > NOW - 2 * MONTH_HOURS]
    assert recent, "no price change in the last two months"
    for entry in reseller.products():
        assert all(isinstance(v["monthly"], str) for v in entry["prices"])


@pytest.mark.parametrize("accounts", [1, 3])
def test_tiny_resellers_work(accounts: int) -> None:
    reseller = Reseller(1, accounts)
    hour = next(h for h in range(NOW - 10, NOW) if not reseller.is_missing(h))
    snap = reseller.snapshot(hour)
    assert snap is not None and snap["taken_at"]


def test_no_accounts_is_refused() -> None:
    with pytest.raises(ValueError):
        Reseller(1, 0)
