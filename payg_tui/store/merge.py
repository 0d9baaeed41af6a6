"""Folding new snapshots into stored presence runs, in memory.

The store hands over the runs that touch a *window* of snapshots (the new
ones, any stored ones between them, and the stored neighbour on each side)
and gets back the runs that replace them. Rebuilding a window, rather than
patching runs one hour at a time, makes the result independent of the order
in which snapshots arrive and lets an hour be replaced cleanly.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from payg_tui.engine.model import ItemKind, Slot
from payg_tui.sources.payload import Snapshot


@dataclass(frozen=True, slots=True)
class StoredRun:
    kind: ItemKind
    key: str
    product: str
    first: Slot
    last: Slot


def rebuild(stored_slots: list[Slot], loaded: list[StoredRun], new: list[Snapshot]) -> list[StoredRun]:
    """The runs over `stored_slots` (kept) and `new` (added or replacing).

    `stored_slots` are the window's stored snapshots that are not replaced,
    sorted; `loaded` are all stored runs that touch the window.
    """
    timeline = _timeline(stored_slots, loaded, new)
    slots = [slot for slot, _, _ in timeline]
    out: list[StoredRun] = []
    accounts: dict[str, list] = {}  # key -> [product, first, last]
    addons: dict[str, list] = {}
    previous: Slot | None = None
    for slot, packs, extras in timeline:
        for key, product in packs.items():
            run = accounts.get(key)
            if run is not None:
                if run[2] == previous and run[0] == product:
                    run[2] = slot
                    continue
                out.append(StoredRun("account", key, run[0], run[1], run[2]))
            accounts[key] = [product, slot, slot]
        for key, (_, product) in extras.items():
            run = addons.get(key)
            if run is not None:
                if run[2] == previous and run[0] == product:
                    run[2] = slot
                    continue
                out.append(StoredRun("addon", key, run[0], run[1], run[2]))
            addons[key] = [product, slot, slot]
        previous = slot
    out.extend(StoredRun("account", k, r[0], r[1], r[2]) for k, r in accounts.items())
    out.extend(StoredRun("addon", k, r[0], r[1], r[2]) for k, r in addons.items())
    return _reattach(out, loaded, slots[0], slots[-1]) if slots else out


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
