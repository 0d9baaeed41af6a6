"""A deterministic synthetic reseller, in the API's own shapes (api.md).

The history is a pure function of `(seed, accounts, slot)`: the snapshot of an
hour never changes as time passes, so the sandbox can serve "everything up to
the current hour" and a cache filled yesterday still agrees with it today.

How it is built: the reseller has `accounts` *seats*, plus a few *trial seats*.
A seat holds one hosting account at a time; when that account is deleted a
new one takes the seat after a gap (churn). Each seat draws its tenants, one
after the other, from its own `random.Random(f"{seed}:{seat}")`, so a seat's
story does not depend on how far the others have been drawn, nor on when
someone asked. Every tenant is an `AccountPlan` (creation, deletion, pack
segments, add-ons with their own lifetimes), turned once into *change points*:
the hours where the account's JSON changes, each with its encoded bytes. A
snapshot is then the join of every seat's current bytes: no per-hour JSON
encoding, which keeps a 5,000-account sandbox fast.

All seats are occupied from `ANCHOR` on (those accounts are older than any
served history); trial seats host the short-lived accounts on both sides of
the 48-hour rule.
"""

from __future__ import annotations

import json
import random
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from payg_tui.engine.model import Slot, slot_iso, slot_of

ANCHOR: Slot = slot_of(datetime(2025, 1, 1, tzinfo=UTC))
"""The first hour of every generated history (fixed, so history never shifts)."""

HORIZON: Slot = slot_of(datetime(2030, 1, 1, tzinfo=UTC))
"""How far ahead the price list is written when nobody says (`products()`)."""

MONTH_HOURS = 730  # an average month: rates below are "per month"
_FOREVER = 1 << 40  # a slot no history reaches

# (code, kind, display name, monthly price at ANCHOR)
CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("pack-starter", "service_pack", "Starter", "4.95"),
    ("pack-pro", "service_pack", "Pro", "9.95"),
    ("pack-business", "service_pack", "Business", "19.95"),
    ("pack-enterprise", "service_pack", "Enterprise", "39.00"),
    ("ssl", "addon", "SSL certificate", "2.00"),
    ("backup", "addon", "Daily backup", "3.50"),
    ("extra-mailbox", "addon", "Extra mailbox", "1.00"),
    ("dedicated-ip", "addon", "Dedicated IP address", "4.00"),
)
PACKS = tuple(code for code, kind, _, _ in CATALOGUE if kind == "service_pack")
ADDONS = tuple(code for code, kind, _, _ in CATALOGUE if kind == "addon")
_PACK_WEIGHTS = (50, 30, 15, 5)
_ADDON_WEIGHTS = (45, 25, 20, 10)

# Lifetimes that sit on both sides of the 48-hour grace rule.
EDGE_LIFETIMES = (20, 47, 48, 50)

_WORDS = (
    "bakkerij", "fietsen", "atelier", "studio", "garage", "pizza", "kapsalon",
    "dental", "immo", "yoga", "brasserie", "fleur", "tech", "bio", "auto",
    "media", "photo", "wijn", "velo", "jardin", "cafe", "hotel", "print",
    "events", "bouw", "advocaat", "schoenen", "chocolat", "frituur", "tuin",
)
_TLDS = (".be", ".be", ".be", ".nl", ".fr", ".eu", ".com", ".shop", ".org")

# Names and references typed by the reseller's customers: the display must
# show them as text, never interpret them (STYLE.md, "Untrusted text").
HOSTILE_NAMES = (
    "[bold]x[/]",
    "shop[/",
    "[link=https://evil.example]click me[/link]",
    "\x1b[31mred-alert\x1b[0m.example",
    "\x1b]8;;https://evil.example\x07osc-link\x1b]8;;\x07.example",
    "very-long-name-" * 21 + "end.example",
    "καφενείο-αθήνα.gr",
    "寿司の店.jp",
    "مطعم-بيروت.example",
    "🍕🍕 pizza-napoli.it",
    "Ünïcödé-Straße.de",
    "tab\there.example",
    "new\nline.example",
    "<script>alert(1)</script>.example",
    ":smile: emoji-code.example",
    "rtl-\u202eexe.txt",
    "[/]",
)
HOSTILE_CUSTOMERS = (
    "[red]C-666[/red]",
    "\x1b[1mC-001\x1b[0m",
    "C-" + "9" * 300,
    "客户-42",
    "[/",
)


@dataclass(frozen=True, slots=True)
class AddonPlan:
    """An add-on attached at `attached`, gone from `detached` on (None: never)."""

    id: str
    product: str
    attached: Slot
    detached: Slot | None = None


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """One hosting account's whole story.

    Present from `created` to `deleted` (exclusive; None: never deleted).
    `packs` lists `(from_slot, pack_code)`, the first one from `created`.
    Add-ons are clipped to the account's own lifetime.
    """

    id: str
    name: str
    customer: str | None
    created: Slot
    deleted: Slot | None
    packs: tuple[tuple[Slot, str], ...]
    addons: tuple[AddonPlan, ...] = ()

    def change_points(self) -> list[tuple[Slot, bytes | None]]:
        """The hours where this account's JSON changes, with the new bytes."""
        end = _FOREVER if self.deleted is None else self.deleted
        hours = {self.created}
        hours.update(start for start, _ in self.packs if self.created < start < end)
        for add in self.addons:
            for edge in (add.attached, add.detached):
                if edge is not None and self.created < edge < end:
                    hours.add(edge)
        points: list[tuple[Slot, bytes | None]] = []
        for hour in sorted(hours):
            pack = self.packs[0][1]
            for start, code in self.packs:
                if start <= hour:
                    pack = code
            attached = [
                {"id": a.id, "product": a.product}
                for a in self.addons
                if a.attached <= hour and (a.detached is None or hour < a.detached)
            ]
            points.append((hour, encode_account(self.id, self.name, self.customer, pack,
                                                attached)))
        if self.deleted is not None:
            points.append((self.deleted, None))
        return points


def encode_account(acc_id: str, name: str, customer: str | None, pack: str,
                   addons: list[dict[str, str]]) -> bytes:
    """One account as compact ASCII JSON (non-ASCII names escaped, so bytes join safely)."""
    doc = {"id": acc_id, "name": name, "customer": customer, "pack": pack, "addons": addons}
    return json.dumps(doc, separators=(",", ":")).encode("ascii")


@dataclass(slots=True)
class _Seat:
    """One seat's tenants so far, and what is needed to draw the next one."""

    rng: random.Random
    trial: bool
    next_free: Slot  # the hour the next tenant may be created
    tenants: int = 0
    slots: list[Slot] = field(default_factory=list)
    frags: list[bytes | None] = field(default_factory=list)

    def add(self, plan: AccountPlan) -> None:
        for hour, frag in plan.change_points():
            if self.slots and self.slots[-1] == hour:  # an account deleted as the next starts
                self.frags[-1] = frag
            else:
                self.slots.append(hour)
                self.frags.append(frag)


class Reseller:
    """A reseller's provider, products and hourly snapshots, generated.

    `accounts`: how many accounts are alive at a time, roughly. `start`: the
    first hour served (default `ANCHOR`); the story itself always begins at
    `ANCHOR`, so `start` only hides older hours. `missing`: the absent hours;
    by default one to three hours of every 30 days, drawn from the seed.
    `extra`: hand-written accounts added to the generated ones (the demo's
    scenario); their ids must not clash with generated ids (`acc-<number>`).
    """

    def __init__(
        self,
        seed: int,
        accounts: int,
        timezone: str = "Europe/Brussels",
        *,
        name: str = "Sandbox Hosting",
        start: Slot | None = None,
        missing: Iterable[Slot] | None = None,
        extra: Sequence[AccountPlan] = (),
        price_changes: bool = True,
    ) -> None:
        if accounts < 1:
            raise ValueError("a reseller needs at least one account")
        self.seed = seed
        self.accounts = accounts
        self.timezone = timezone
        self.name = name
        self.start = ANCHOR if start is None else start
        self._explicit_missing = None if missing is None else frozenset(missing)
        self._price_changes = price_changes
        self._seat_total = accounts + max(2, accounts // 25)
        self._seats = [self._new_seat(i) for i in range(self._seat_total)]
        for plan in extra:
            seat = _Seat(rng=random.Random(0), trial=False, next_free=_FOREVER)
            seat.add(plan)
            self._seats.append(seat)
        self._gaps: dict[int, tuple[Slot, ...]] = {}
        self._drawn_until = ANCHOR  # every seat is drawn for hours below this
        self._lock = threading.Lock()

    # -- what the API serves -------------------------------------------------

    def provider(self) -> dict[str, Any]:
        return {"name": self.name, "currency": "EUR", "currency_exponent": 2,
                "timezone": self.timezone}

    def products(self, until: Slot | None = None) -> list[dict[str, Any]]:
        """The catalogue with its price versions that take effect before `until`.

        One product's price moves on the 15th of every month (00:00 UTC), in
        turn, so every few months of history hold a price change. Versions
        never change once they exist; `until` only hides later ones.
        """
        limit = HORIZON if until is None else until
        versions: dict[str, list[dict[str, str]]] = {
            code: [{"effective_from": slot_iso(ANCHOR), "monthly": price}]
            for code, _, _, price in CATALOGUE
        }
        current = {code: Decimal(price) for code, _, _, price in CATALOGUE}
        if self._price_changes:
            for index, moment in enumerate(_fifteenths(limit)):
                code = CATALOGUE[index % len(CATALOGUE)][0]
                step = random.Random(f"{self.seed}:price:{index}").choice((-5, 5, 8, 10, 12))
                price = (current[code] * (100 + step) / 100).quantize(Decimal("0.01"),
                                                                     ROUND_HALF_UP)
                current[code] = price
                versions[code].append({"effective_from": slot_iso(moment),
                                       "monthly": str(price)})
        return [
            {"code": code, "kind": kind, "name": label, "prices": versions[code]}
            for code, kind, label, _ in CATALOGUE
        ]

    def is_missing(self, slot: Slot) -> bool:
        if self._explicit_missing is not None:
            return slot in self._explicit_missing
        block = (slot - ANCHOR) // (30 * 24)
        gaps = self._gaps.get(block)
        if gaps is None:
            gaps = self._gaps[block] = self._block_gaps(block)
        return slot in gaps

    def missing_hours(self, from_slot: Slot, to_slot: Slot) -> list[Slot]:
        """The absent hours in `[from_slot, to_slot)`, within the served history."""
        return [h for h in range(max(from_slot, self.start), to_slot) if self.is_missing(h)]

    def snapshot_json(self, slot: Slot) -> bytes | None:
        """The snapshot of `slot` as API JSON bytes; None for an absent hour."""
        if slot < self.start or self.is_missing(slot):
            return None
        self._draw_until(slot + 1)
        frags = []
        for seat in self._seats:
            i = bisect_right(seat.slots, slot) - 1
            if i >= 0 and seat.frags[i] is not None:
                frags.append(seat.frags[i])
        return _snapshot_bytes(slot, frags)  # type: ignore[arg-type]

    def iter_snapshot_json(self, from_slot: Slot, to_slot: Slot) -> Iterator[tuple[Slot, bytes]]:
        """Snapshots of `[from_slot, to_slot)` as JSON bytes, ascending, absent hours skipped."""
        for hour, frags in self._walk(from_slot, to_slot):
            yield hour, _snapshot_bytes(hour, frags)

    def snapshot(self, slot: Slot) -> dict[str, Any] | None:
        raw = self.snapshot_json(slot)
        return None if raw is None else json.loads(raw)

    def snapshots(self, from_slot: Slot, to_slot: Slot) -> Iterator[dict[str, Any]]:
        """Snapshots of `[from_slot, to_slot)` as API dicts.

        An account that did not change between two hours is the *same* dict
        object in both (decoding each state once is what makes the demo quick):
        copy before mutating.
        """
        decoded: dict[bytes, dict[str, Any]] = {}
        for hour, frags in self._walk(from_slot, to_slot):
            accounts = []
            for frag in frags:
                doc = decoded.get(frag)
                if doc is None:
                    doc = decoded[frag] = json.loads(frag)
                accounts.append(doc)
            yield {"taken_at": slot_iso(hour), "accounts": accounts}

    def _walk(self, from_slot: Slot, to_slot: Slot) -> Iterator[tuple[Slot, list[bytes]]]:
        """Each present hour of `[from_slot, to_slot)` with its accounts' bytes.

        Walks forward applying each seat's changes as their hour comes, so
        an hour costs one pass over the seats, not one search per seat.
        """
        from_slot = max(from_slot, self.start)
        if from_slot >= to_slot:
            return
        self._draw_until(to_slot)
        current: list[bytes | None] = []
        changes: list[tuple[Slot, int, bytes | None]] = []
        for n, seat in enumerate(self._seats):
            i = bisect_right(seat.slots, from_slot) - 1
            current.append(seat.frags[i] if i >= 0 else None)
            j = i + 1
            while j < len(seat.slots) and seat.slots[j] < to_slot:
                changes.append((seat.slots[j], n, seat.frags[j]))
                j += 1
        changes.sort(key=lambda change: change[0])
        k = 0
        for hour in range(from_slot, to_slot):
            while k < len(changes) and changes[k][0] <= hour:
                current[changes[k][1]] = changes[k][2]
                k += 1
            if not self.is_missing(hour):
                yield hour, [f for f in current if f is not None]

    def dump(self, from_slot: Slot, to_slot: Slot) -> dict[str, Any]:
        """An import file (cli.md `import`) of `[from_slot, to_slot)`."""
        return {"provider": self.provider(), "products": self.products(until=to_slot),
                "snapshots": list(self.snapshots(from_slot, to_slot))}

    # -- drawing the story ---------------------------------------------------

    def _new_seat(self, index: int) -> _Seat:
        rng = random.Random(f"{self.seed}:{index}")
        trial = index >= self.accounts
        if trial:
            first = ANCHOR + int(rng.expovariate(1 / 240))
        elif rng.random() < 0.95:
            first = ANCHOR  # older than the story: there from the first hour
        else:
            first = ANCHOR + rng.randrange(1, 4 * MONTH_HOURS)
        return _Seat(rng=rng, trial=trial, next_free=first)

    def prepare(self, until: Slot) -> None:
        """Draw the story up to `until` now, so the first request is not the slow one."""
        self._draw_until(until)

    def _draw_until(self, slot: Slot) -> None:
        """Draw tenants until every seat's story covers the hours before `slot`."""
        if slot <= self._drawn_until:
            return
        with self._lock:
            if slot <= self._drawn_until:
                return
            for index, seat in enumerate(self._seats[: self._seat_total]):
                while seat.next_free < slot:
                    plan, gap = self._next_tenant(index, seat)
                    seat.add(plan)
                    seat.tenants += 1
                    seat.next_free = (plan.deleted or _FOREVER) + gap
            self._drawn_until = slot

    def _next_tenant(self, index: int, seat: _Seat) -> tuple[AccountPlan, int]:
        """The seat's next account and the hours before another takes its place."""
        rng = seat.rng
        created = seat.next_free
        number = 1001 + seat.tenants * self._seat_total + index
        if seat.trial:
            # Trials: mostly short stays, either side of 48 hours; some stay on.
            roll = rng.random()
            if roll < 0.6:
                life = rng.choice(EDGE_LIFETIMES)
            elif roll < 0.8:
                life = rng.randrange(2, 96)
            else:
                life = _lifetime(rng, MONTH_HOURS)
            gap = 1 + int(rng.expovariate(1 / (5 * 24)))
        else:
            short = seat.tenants > 0 and rng.random() < 0.05
            life = rng.choice(EDGE_LIFETIMES) if short else _lifetime(rng, 50 * MONTH_HOURS)
            gap = 1 + int(rng.expovariate(1 / 72))
        deleted = created + life
        return self._plan(rng, f"acc-{number}", created, deleted), gap

    def _plan(self, rng: random.Random, acc_id: str, created: Slot, deleted: Slot) -> AccountPlan:
        packs = [(created, rng.choices(PACKS, _PACK_WEIGHTS)[0])]
        hour = created
        while True:  # about 3 % of accounts change pack in a month
            hour += max(1, _lifetime(rng, 33 * MONTH_HOURS))
            if hour >= deleted:
                break
            # Upgrades outnumber downgrades, and both move one pack at a time.
            level = PACKS.index(packs[-1][1])
            step = 1 if rng.random() < 0.6 else -1
            if not 0 <= level + step < len(PACKS):
                step = -step
            packs.append((hour, PACKS[level + step]))
        addons: list[AddonPlan] = []
        # ~1.5 add-ons per account: 1.5 at creation, and new ones arriving at
        # the rate the old ones leave, each staying 20 months on average.
        count = rng.choices((0, 1, 2, 3, 4), (20, 30, 30, 15, 5))[0]
        arrivals = [created] * count
        hour = created
        while True:
            hour += max(1, int(rng.expovariate(1.5 / (20 * MONTH_HOURS))))
            if hour >= deleted:
                break
            arrivals.append(hour)
        for j, attached in enumerate(arrivals):
            if attached > created and rng.random() < 0.1:
                life = rng.choice(EDGE_LIFETIMES)
            else:
                life = _lifetime(rng, 20 * MONTH_HOURS)
            detached = attached + life
            addons.append(AddonPlan(
                id=f"add-{acc_id[4:]}-{j + 1}",
                product=rng.choices(ADDONS, _ADDON_WEIGHTS)[0],
                attached=attached,
                detached=detached if detached < deleted else None,
            ))
        return AccountPlan(id=acc_id, name=_name(rng), customer=self._customer(rng),
                           created=created, deleted=deleted, packs=tuple(packs),
                           addons=tuple(addons))

    def _customer(self, rng: random.Random) -> str | None:
        roll = rng.random()
        if roll < 0.12:
            return None
        if roll < 0.14:
            return rng.choice(HOSTILE_CUSTOMERS)
        return f"C-{rng.randrange(1, max(10, self.accounts // 3)):03d}"

    def _block_gaps(self, block: int) -> tuple[Slot, ...]:
        """The absent hours of one 30-day block: one, sometimes two or three in a row."""
        rng = random.Random(f"{self.seed}:gap:{block}")
        first = ANCHOR + block * 30 * 24 + rng.randrange(24, 30 * 24 - 24)
        length = 1 if rng.random() < 0.75 else rng.choice((2, 3))
        return tuple(range(first, first + length))


def _lifetime(rng: random.Random, mean_hours: float) -> int:
    return 1 + int(rng.expovariate(1 / mean_hours))


def _name(rng: random.Random) -> str:
    if rng.random() < 0.06:
        return rng.choice(HOSTILE_NAMES)
    first, second = rng.sample(_WORDS, 2)
    joiner = rng.choice(("", "-", ""))
    prefix = "www." if rng.random() < 0.1 else ""
    return f"{prefix}{first}{joiner}{second}{rng.choice(_TLDS)}"


def _fifteenths(limit: Slot) -> Iterator[Slot]:
    """00:00 UTC on the 15th of every month from ANCHOR on, before `limit`."""
    year, month = 2025, 1
    while True:
        moment = slot_of(datetime(year, month, 15, tzinfo=UTC))
        if moment >= limit:
            return
        yield moment
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _snapshot_bytes(slot: Slot, frags: list[bytes]) -> bytes:
    return b"".join((b'{"taken_at":"', slot_iso(slot).encode(), b'","accounts":[',
                     b",".join(frags), b"]}"))
