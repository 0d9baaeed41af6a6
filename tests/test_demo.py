"""The built-in demo shows every billing rule, whatever today's date is."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import pytest

from payg_tui.engine.clock import month_start
from payg_tui.engine.model import GRACE_HOURS, Dump, Slot, slot_of
from payg_tui.sandbox.demo import DEMO_TIMEZONE, demo_dump
from payg_tui.sandbox.generator import PACKS

BRUSSELS = DEMO_TIMEZONE

# Today may be anything: mid-month, the first hour of a month, the last hour
# of one, a DST change (Brussels), a leap day.
NOWS = [
    slot_of(datetime(2026, 11, 20, 13, tzinfo=UTC)),
    slot_of(datetime(2026, 10, 31, 23, tzinfo=UTC)),  # 00:00 local on 1 Nov
    slot_of(datetime(2026, 10, 31, 22, tzinfo=UTC)),  # the month's last local hour
    slot_of(datetime(2027, 3, 28, 2, tzinfo=UTC)),  # just after the spring change
    slot_of(datetime(2028, 2, 29, 12, tzinfo=UTC)),
]


@cache
def demo(now: Slot) -> Dump:
    return demo_dump(now)


@cache
def lifetimes(now: Slot) -> dict[str, list[tuple[Slot, Slot]]]:
    """Item id -> inclusive (first, last) runs, bridging missing hours (billing.md 2)."""
    runs: dict[str, list[tuple[Slot, Slot]]] = {}
    previous: set[str] = set()
    for snap in demo(now).snapshots:
        here = set(snap.packs) | set(snap.addons)
        for item in here:
            if item in previous:
                runs[item][-1] = (runs[item][-1][0], snap.slot)
            else:
                runs.setdefault(item, []).append((snap.slot, snap.slot))
        previous = here
    return runs


def ended_lengths(now: Slot) -> list[int]:
    first = demo(now).snapshots[0].slot
    return [last - start + 1 for runs in lifetimes(now).values() for start, last in runs
            if start != first and last != now]


def test_the_demo_is_deterministic_for_a_given_hour() -> None:
    now = NOWS[0]
    assert demo_dump(now) == demo(now)
    assert demo_dump(now + 1) != demo(now)


@pytest.mark.parametrize("now", NOWS)
def test_covers_three_calendar_months_up_to_now(now: Slot) -> None:
    dump = demo(now)
    assert dump.provider.timezone == "Europe/Brussels"
    assert dump.provider.currency == "EUR"
    assert dump.snapshots[0].slot == month_start(now, BRUSSELS, months_back=2)
    assert dump.snapshots[-1].slot == now
    assert 50 <= len(dump.snapshots[-1].packs) <= 75  # "about 60 accounts"


@pytest.mark.parametrize("now", NOWS)
def test_exactly_two_missing_hours(now: Slot) -> None:
    slots = [snap.slot for snap in demo(now).snapshots]
    assert (slots[-1] - slots[0] + 1) - len(slots) == 2


@pytest.mark.parametrize("now", NOWS)
def test_short_stays_on_both_sides_of_the_grace_window(now: Slot) -> None:
    lengths = ended_lengths(now)
    assert any(length < GRACE_HOURS for length in lengths)  # exempt
    assert any(GRACE_HOURS <= length <= 50 for length in lengths)  # billed, just
    assert GRACE_HOURS - 1 in lengths and GRACE_HOURS in lengths  # the edge itself


@pytest.mark.parametrize("now", NOWS)
def test_an_item_is_in_its_grace_window_now(now: Slot) -> None:
    first = demo(now).snapshots[0].slot
    pending = [start for runs in lifetimes(now).values() for start, last in runs
               if last == now and start != first and now - start + 1 < GRACE_HOURS]
    assert pending
    assert any(now - start >= 15 for start in pending)  # created ~20 h ago


@pytest.mark.parametrize("now", NOWS)
def test_accounts_exist_from_the_first_hour(now: Slot) -> None:
    dump = demo(now)
    first = dump.snapshots[0]
    assert len(first.packs) >= 40
    survivors = set(first.packs) & set(dump.snapshots[-1].packs)
    assert survivors  # pre-existing and still billed at now


@pytest.mark.parametrize("now", NOWS)
def test_an_account_leaves_and_comes_back(now: Slot) -> None:
    assert any(len(runs) >= 2 for item, runs in lifetimes(now).items() if item.startswith("acc-"))


@pytest.mark.parametrize("now", NOWS)
def test_churn_upgrades_and_downgrades(now: Slot) -> None:
    dump = demo(now)
    first, last = dump.snapshots[0], dump.snapshots[-1]
    assert set(first.packs) - set(last.packs)  # accounts left
    assert set(last.packs) - set(first.packs)  # others arrived
    moves: set[int] = set()
    previous: dict[str, str] = {}
    for snap in dump.snapshots:
        for acc, pack in snap.packs.items():
            if acc in previous and previous[acc] != pack:
                moves.add(PACKS.index(pack) - PACKS.index(previous[acc]))
        previous = snap.packs
    assert any(m > 0 for m in moves) and any(m < 0 for m in moves)


@pytest.mark.parametrize("now", NOWS)
def test_addons_come_and_go(now: Slot) -> None:
    dump = demo(now)
    first = dump.snapshots[0].slot
    addon_runs = [(start, last) for item, runs in lifetimes(now).items() if item.startswith("add-")
                  for start, last in runs]
    assert any(first < start and last < now for start, last in addon_runs)
    assert any(first < start and last - start + 1 < GRACE_HOURS and last < now
               for start, last in addon_runs)  # an exempt add-on


@pytest.mark.parametrize("now", NOWS)
def test_a_price_changes_inside_the_demo(now: Slot) -> None:
    dump = demo(now)
    first = dump.snapshots[0].slot
    changes = [v for p in dump.products.values() for v in p.prices[1:]
               if first < v.effective_from <= now]
    assert changes
    used = {pack for snap in dump.snapshots for pack in snap.packs.values()}
    used |= {product for snap in dump.snapshots for _, product in snap.addons.values()}
    assert used <= set(dump.products)  # every product used has a price


def test_a_price_rises_later_this_month_so_the_estimate_must_use_it() -> None:
    now = NOWS[0]
    end = month_start(now, BRUSSELS, months_back=-1)
    announced = [v for p in demo(now).products.values() for v in p.prices if now < v.effective_from]
    assert any(v.effective_from < end for v in announced)


@pytest.mark.parametrize("now", NOWS[:2])
def test_names_that_look_like_markup_or_are_unusual(now: Slot) -> None:
    names = {name for snap in demo(now).snapshots for name, _ in snap.labels.values()}
    assert any("[" in name and "]" in name for name in names)
    assert any("\x1b" in name for name in names)
    assert any(len(name) > 300 for name in names)
    assert any(not name.isascii() for name in names)
    customers = {c for snap in demo(now).snapshots for _, c in snap.labels.values()}
    assert None in customers
