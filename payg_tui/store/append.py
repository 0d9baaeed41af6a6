"""The common write: snapshots that all come after every stored hour.

An hourly sync adds one snapshot of, say, 12,500 items, of which a handful
change. The general window rebuild (`merge.rebuild`) would load, rebuild and
rewrite all 12,500 open runs; here one `UPDATE` extends every open run to the
batch's last hour, and only the runs that end, start or change inside the
batch are written one by one. The result is the same cache, row for row
(`tests/store/test_append.py` checks it against the general path).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from payg_tui.engine.model import Slot
from payg_tui.store.merge import Closed, Open, products_of, step

if TYPE_CHECKING:
    from payg_tui.engine.detail import Snapshot


def append(db: sqlite3.Connection, batch: list[Snapshot], previous: Slot) -> dict[tuple[str, str], Slot]:
    """Store `batch` (sorted, all after `previous`, the newest stored hour).

    Returns, for each item of the batch, the last batch hour that holds it.
    """
    accounts: Open = {}
    addons: Open = {}
    for rowid, kind, key, product, first in db.execute(
            "SELECT r.rowid, i.kind, i.key, r.product, r.first FROM runs r JOIN items i ON i.id = r.item "
            "WHERE r.last = ?", (previous,)):
        (accounts if kind == "account" else addons)[key] = (product, first, rowid)
    packs_before = {key: run[0] for key, run in accounts.items()}
    extras_before = {key: run[0] for key, run in addons.items()}
    closed: list[Closed] = []
    last = previous
    raw_before: dict[str, tuple[str, str]] | None = None
    for snap in batch:
        if snap.packs != packs_before:
            step("account", accounts, packs_before, snap.packs, snap.slot, last, closed)
        if snap.addons != raw_before:  # an unchanged hour costs one comparison in C
            extras = products_of(snap.addons)
            if extras != extras_before:
                step("addon", addons, extras_before, extras, snap.slot, last, closed)
            extras_before = extras
        packs_before, raw_before, last = snap.packs, snap.addons, snap.slot
    _write(db, accounts, addons, closed, previous, last)
    seen = {("account", key): last for key in accounts}
    seen.update({("addon", key): last for key in addons})
    for kind, key, _, _, end, _ in closed:
        if end > previous:  # runs that ended at `previous` were not in the batch
            seen[(kind, key)] = max(seen.get((kind, key), end), end)
    return seen


def _write(db: sqlite3.Connection, accounts: Open, addons: Open, closed: list[Closed],
           previous: Slot, last: Slot) -> None:
    # Every run open at `previous` now reaches `last`; those that ended inside
    # the batch get their real end back just after.
    db.execute("UPDATE runs SET last = ? WHERE last = ?", (last, previous))
    db.executemany("UPDATE runs SET last = ? WHERE rowid = ?",
                   [(end, rowid) for *_, end, rowid in closed if rowid is not None])
    started = [(kind, key, product, first, end) for kind, key, product, first, end, rowid in closed
               if rowid is None]
    started += [("account", key, product, first, last) for key, (product, first, rowid) in accounts.items()
                if rowid is None]
    started += [("addon", key, product, first, last) for key, (product, first, rowid) in addons.items()
                if rowid is None]
    ids = _item_ids(db, {(kind, key) for kind, key, *_ in started})
    db.executemany("INSERT INTO runs (item, product, first, last) VALUES (?, ?, ?, ?)",
                   [(ids[(kind, key)], product, first, end) for kind, key, product, first, end in started])


def _item_ids(db: sqlite3.Connection, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of the items that start a run, creating the new ones (accounts are set later)."""
    ids = {}
    for kind, key in wanted:
        row = db.execute("SELECT id FROM items WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        if row is None:
            cursor = db.execute("INSERT INTO items (kind, key, account_id, seen) VALUES (?, ?, ?, 0)",
                                (kind, key, key))
            ids[(kind, key)] = int(cursor.lastrowid or 0)
        else:
            ids[(kind, key)] = row[0]
    return ids
