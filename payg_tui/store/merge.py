"""Folding new snapshots into stored presence runs, in memory.

The store hands over the runs that touch a *window* of snapshots (the new
ones, any stored ones between them, and the stored neighbour on each side)
and gets back the runs that replace them. Rebuilding a window, rather than
patching runs one hour at a time, makes the result independent of the order
in which snapshots arrive and lets an hour be replaced cleanly.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from payg_tui.engine.model import ItemKind, Slot

if TYPE_CHECKING:
    from payg_tui.engine.detail import Snapshot


@dataclass(frozen=True, slots=True)
class StoredRun:
    kind: ItemKind
    key: str
    product: str
    first: Slot
    last: Slot


# A run that ended: (kind, key, product, first, last, rowid or None if not stored).
Closed = tuple[str, str, str, Slot, Slot, int | None]
Open = dict[str, tuple[str, Slot, int | None]]  # key -> (product, first, rowid)


def step(kind: str, runs: Open, before: dict[str, str], now: dict[str, str], slot: Slot,
         previous: Slot, closed: list[Closed]) -> None:
    """Move the open runs of one kind from the snapshot at `previous` to the one at `slot`."""
    for key in before.keys() - now.keys():
        product, first, rowid = runs.pop(key)
        closed.append((kind, key, product, first, previous, rowid))
    for key, product in now.items():
        run = runs.get(key)
        if run is None:
            runs[key] = (product, slot, None)
        elif run[0] != product:
            closed.append((kind, key, run[0], run[1], previous, run[2]))
            runs[key] = (product, slot, None)


def products_of(addons: Mapping[str, tuple[str | None, str]]) -> dict[str, str]:
    """Add-on id -> product: only the product splits a run (an add-on may change account)."""
    return {key: product for key, (_, product) in addons.items()}


def rebuild(stored_slots: list[Slot], loaded: list[StoredRun], new: list[Snapshot]) -> list[StoredRun]:
    """The runs over `stored_slots` (kept) and `new` (added or replacing).

    `stored_slots` are the window's stored snapshots that are not replaced,
    sorted; `loaded` are all stored runs that touch the window.
    """
    timeline = _timeline(stored_slots, loaded, new)
    closed: list[Closed] = []
    accounts: Open = {}
    addons: Open = {}
    packs_before: dict[str, str] = {}
    extras_before: dict[str, str] = {}
    raw_before: dict[str, tuple[str | None, str]] | None = None
    previous: Slot = 0
    for slot, packs, raw in timeline:
        # Most hours change nothing: one dict comparison (in C) then skips the
        # hour, since an open run's last hour is only written when it closes.
        if packs != packs_before:
            step("account", accounts, packs_before, packs, slot, previous, closed)
        if raw != raw_before:
            extras = products_of(raw)
            if extras != extras_before:
                step("addon", addons, extras_before, extras, slot, previous, closed)
            extras_before = extras
        packs_before, raw_before, previous = packs, raw, slot
    out = [StoredRun(kind, key, product, first, last) for kind, key, product, first, last, _ in closed]  # type: ignore[arg-type]
    out.extend(StoredRun("account", k, run[0], run[1], previous) for k, run in accounts.items())
    out.extend(StoredRun("addon", k, run[0], run[1], previous) for k, run in addons.items())
    return _reattach(out, loaded, timeline[0][0], previous) if timeline else out


def _timeline(stored_slots: list[Slot], loaded: list[StoredRun],
              new: list[Snapshot]) -> list[tuple[Slot, dict[str, str], dict[str, tuple[str | None, str]]]]:
    """Every snapshot of the window as (slot, packs, add-ons), oldest first."""
    rebuilt: dict[Slot, tuple[dict[str, str], dict[str, tuple[str | None, str]]]] = {
        slot: ({}, {}) for slot in stored_slots
    }
    for run in loaded:
        lo = bisect.bisect_left(stored_slots, run.first)
        hi = bisect.bisect_right(stored_slots, run.last)
        for slot in stored_slots[lo:hi]:
            packs, extras = rebuilt[slot]
            if run.kind == "account":
                packs[run.key] = run.product
            else:
                extras[run.key] = (None, run.product)  # the account is in the items table
    timeline = [(slot, packs, extras) for slot, (packs, extras) in rebuilt.items()]
    timeline.extend((snap.slot, snap.packs, snap.addons) for snap in new)  # type: ignore[misc]
    timeline.sort(key=lambda entry: entry[0])
    return timeline


def _reattach(runs: list[StoredRun], loaded: list[StoredRun], first: Slot, last: Slot) -> list[StoredRun]:
    """Give back to window-edge runs the part of their stored run outside the window."""
    before = {(r.kind, r.key, r.product): r.first for r in loaded if r.first < first <= r.last}
    after = {(r.kind, r.key, r.product): r.last for r in loaded if r.first <= last < r.last}
    out = []
    for run in runs:
        ident = (run.kind, run.key, run.product)
        start = before.get(ident, run.first) if run.first == first else run.first
        end = after.get(ident, run.last) if run.last == last else run.last
        if start != run.first or end != run.last:
            run = StoredRun(run.kind, run.key, run.product, start, end)
        out.append(run)
    return out
