"""From presence runs to lifetimes and segments (billing.md 2 to 4).

The store keeps, per item, runs of snapshots in which the item was present
with one product. Two runs of an item are *connected* when the second starts
at the very next snapshot after the first ends: the item was then present on
both sides of any missing hours between them, so it is bridged through them
with the product it had before the gap. Connected runs form one lifetime;
each run is one segment of it (a pack change starts a new segment).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from payg_tui.engine.model import GRACE_HOURS, GraceState, ItemHistory, Lifetime, Run, Slot


@dataclass(slots=True)
class Segment:
    """A stretch of one lifetime on one product: `[start, end)` in slots."""

    start: Slot
    end: Slot
    product: str
    lifetime: Lifetime
    moved_from: str | None = None  # the product of the previous segment: this one starts a pack change


class Coverage:
    """Which hours have a snapshot: answers "what is the next snapshot?"."""

    def __init__(self, observed: list[tuple[Slot, Slot]]) -> None:
        self.observed = observed
        self.first: Slot | None = observed[0][0] if observed else None
        self.as_of: Slot | None = observed[-1][1] if observed else None
        # After the last slot of a run of hours comes the first of the next run.
        self._jump = {a[1]: b[0] for a, b in itertools.pairwise(observed)}

    def next_snapshot(self, slot: Slot) -> Slot | None:
        if slot == self.as_of:
            return None
        return self._jump.get(slot, slot + 1)

    def observed_in(self, start: Slot, end: Slot) -> int:
        """How many slots of `[start, end)` have a snapshot."""
        return sum(max(0, min(b + 1, end) - max(a, start)) for a, b in self.observed)

    def missing_in(self, start: Slot, end: Slot) -> list[tuple[Slot, Slot]]:
        """Missing hours of `[start, end)` inside the coverage, as inclusive runs."""
        gaps = [(a[1] + 1, b[0] - 1) for a, b in zip(self.observed, self.observed[1:], strict=False)]
        return [(max(a, start), min(b, end - 1)) for a, b in gaps if a < end and b >= start]


def grace_state(first: Slot, end: Slot, coverage: Coverage) -> tuple[GraceState, bool, bool]:
    """The 48-hour rule for a lifetime `[first, end)`: (state, ongoing, pre-existing)."""
    ongoing = end - 1 == coverage.as_of
    pre_existing = first == coverage.first
    if end - first >= GRACE_HOURS or pre_existing:
        return "billed", ongoing, pre_existing
    return ("pending" if ongoing else "exempt"), ongoing, pre_existing


def segments(item: ItemHistory, coverage: Coverage) -> list[Segment]:
    """The item's segments, each carrying the lifetime it belongs to."""
    runs = item.runs
    if len(runs) == 1:  # most items: one run, one lifetime, one segment
        run = runs[0]
        first, end = run.first, run.last + 1
        return [Segment(first, end, run.product, Lifetime(first, end, *grace_state(first, end, coverage)))]
    out: list[Segment] = []
    group: list[tuple[Slot, Slot, str]] = []
    for index, run in enumerate(runs):
        following = runs[index + 1] if index + 1 < len(runs) else None
        end, connected = _run_end(run, following, coverage)
        if group and group[-1][2] == run.product and group[-1][1] == run.first:
            group[-1] = (group[-1][0], end, run.product)  # defensive: merge split runs
        else:
            group.append((run.first, end, run.product))
        if not connected:
            out.extend(_close(group, coverage))
            group = []
    out.extend(_close(group, coverage))
    return out


def _run_end(run: Run, following: Run | None, coverage: Coverage) -> tuple[Slot, bool]:
    """Where a run's presence ends, and whether the next run continues its lifetime."""
    after = coverage.next_snapshot(run.last)
    if following is not None and after is not None and following.first == after:
        return after, True  # present on both sides of any gap: bridged
    return run.last + 1, False


def _close(group: list[tuple[Slot, Slot, str]], coverage: Coverage) -> list[Segment]:
    if not group:
        return []
    first, end = group[0][0], group[-1][1]
    state, ongoing, pre_existing = grace_state(first, end, coverage)
    lifetime = Lifetime(first, end, state, ongoing, pre_existing)
    previous = [None, *(product for _, _, product in group[:-1])]
    return [Segment(start, stop, product, lifetime, before)
            for (start, stop, product), before in zip(group, previous, strict=True)]
