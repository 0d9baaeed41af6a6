"""What every batch of snapshots must pass before it is stored, whatever its source.

`payload.py` checks each snapshot on its own (shapes, ids, lengths); this
checks what needs the clock or the cache: a snapshot from the future (a
clock set ahead, on the provider's side or ours), and data of another
provider than the one the cache holds. `import` and `sync` both call it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from payg_tui.engine.model import Slot, slot_iso, slot_of, slot_time
from payg_tui.errors import DataContractError

if TYPE_CHECKING:
    from payg_tui.engine.detail import Snapshot

# How far ahead of our clock a snapshot may be: the provider's clock and ours
# may disagree by minutes, and an hour's snapshot is dated at its start.
CLOCK_SKEW = timedelta(hours=1)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_allowed(now: datetime) -> Slot:
    """The newest snapshot hour that is not in the future at `now` (skew allowed)."""
    return slot_of(now + CLOCK_SKEW)


def refuse_future(snapshots: Sequence[Snapshot], now: datetime, where: str = "") -> None:
    """Raise `DataContractError` (exit 4) naming the first snapshot dated after now + 1 h.

    Stored, it would make the months up to it look closed, and every later
    sync would start after it and add nothing, for ever.
    """
    limit = latest_allowed(now)
    future = [snap.slot for snap in snapshots if snap.slot > limit]
    if future:
        first = min(future)
        prefix = f"{where}: " if where else ""
        raise DataContractError(
            f"{prefix}snapshot {slot_iso(first)}: field 'taken_at': in the future (this computer's "
            f"clock says {now.astimezone(UTC):%Y-%m-%dT%H:%MZ}; {len(future)} snapshot"
            f"{'s' if len(future) != 1 else ''} after it); check the provider's clock and this one's: "
            "nothing was stored")


def future_hours(observed: Sequence[tuple[Slot, Slot]], now: datetime) -> tuple[Slot, Slot, int] | None:
    """The stored hours dated after now + 1 h: (first, last, count), or None."""
    limit = latest_allowed(now)
    runs = [(max(a, limit + 1), b) for a, b in observed if b > limit]
    if not runs:
        return None
    return runs[0][0], runs[-1][1], sum(b - a + 1 for a, b in runs)


def future_warning(observed: Sequence[tuple[Slot, Slot]], now: datetime) -> str | None:
    """One line for `periods` and the Quality tab when the cache holds future hours."""
    found = future_hours(observed, now)
    if found is None:
        return None
    first, last, count = found
    return (f"the cache holds {count} hour{'s' if count != 1 else ''} dated after now "
            f"({slot_iso(first)} to {slot_time(last):%Y-%m-%dT%H:00Z}), from a clock set ahead: months "
            "up to then may show as closed and sync adds nothing before them; move the cache away "
            "and sync again, or `payg-tui import --replace` a good dump")
