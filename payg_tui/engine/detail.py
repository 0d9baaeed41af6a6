"""The engine's detailed data: snapshots and ledgers in, lines and reports out.

Named in `engine/model.py` too (`from payg_tui.engine.model import Line` works),
but loaded only when first used: see there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from payg_tui.engine.model import (
    GRACE_HOURS,
    GraceState,
    ItemKind,
    LineStart,
    Period,
    PeriodStatus,
    Product,
    ProductKind,
    Provider,
    Slot,
    Totals,
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One hourly image, reduced to what billing needs.

    `packs`: account id -> service pack code. `addons`: add-on id ->
    (account id, add-on product code). `labels`: account id -> (name, customer).
    """

    slot: Slot
    packs: dict[str, str]
    addons: dict[str, tuple[str, str]]
    labels: dict[str, tuple[str, str | None]]


@dataclass(frozen=True, slots=True)
class Dump:
    provider: Provider
    products: dict[str, Product]
    snapshots: list[Snapshot]


@dataclass(slots=True)  # not frozen: built by the ten thousand, frozen init is slow
class Run:
    """An item present with one product at every snapshot from `first` to `last`.

    Both ends are snapshot slots; the run covers the snapshots between them *in
    snapshot order*, so a run may span missing hours (billing.md 2, bridging).
    """

    first: Slot
    last: Slot
    product: str


@dataclass(slots=True)
class ItemHistory:
    kind: ItemKind
    id: str
    account_id: str
    runs: list[Run]  # sorted by first, not overlapping


@dataclass(frozen=True, slots=True)
class AccountLabel:
    """An account's latest name and customer reference (untrusted text)."""

    name: str
    customer: str | None


@dataclass(slots=True)
class Ledger:
    """Everything the engine needs: what was observed, and when.

    `observed` lists the runs of consecutive hours that have a snapshot, as
    inclusive `(first, last)` pairs, sorted; the gaps between them are the
    missing hours. Empty when nothing has been stored yet.
    """

    provider: Provider
    products: dict[str, Product]
    observed: list[tuple[Slot, Slot]]
    items: list[ItemHistory]
    labels: dict[str, AccountLabel] = field(default_factory=dict)

    @property
    def first_slot(self) -> Slot | None:
        return self.observed[0][0] if self.observed else None

    @property
    def as_of(self) -> Slot | None:
        return self.observed[-1][1] if self.observed else None


@dataclass(slots=True)  # not frozen: built by the ten thousand, frozen init is slow
class Lifetime:
    """A maximal run of consecutive present slots of one item (billing.md 3)."""

    first: Slot
    end: Slot  # exclusive
    state: GraceState
    ongoing: bool
    pre_existing: bool

    @property
    def hours(self) -> int:
        return self.end - self.first

    @property
    def grace_deadline(self) -> Slot:
        """The hour of the image that would be the lifetime's 48th (billing.md 3, v1.1).

        `first + 47 h`, not `+ 48 h`: an item still there when that image is
        taken has 48 hours and is billed, so it must be deleted before it.
        """
        return self.first + GRACE_HOURS - 1


@dataclass(slots=True)  # not frozen: a large report builds 15,000 of them
class Line:
    kind: ItemKind
    id: str
    account_id: str
    name: str
    customer: str | None
    product: str
    start: Slot  # first slot in the period
    end: Slot  # last slot + 1
    hours: int
    billed_days: int
    state: GraceState
    amount: Decimal | None  # None: unpriced (billed/pending only)
    would_cost: Decimal | None  # the charge ignoring the grace state
    estimate: Decimal | None  # the month's cost if nothing changes (0 when exempt)
    reaches_as_of: bool
    lifetime: Lifetime
    moved_from: str | None = None  # set when the line starts with a move from this product

    @property
    def starts(self) -> LineStart:
        """Why the line starts where it does: what the rule text tells the reseller.

        A pack change (`moved_from`), the period's first hour (the segment
        began before the period), the first snapshot (pre-existing, its real
        start unknown), or the item's first hour.
        """
        if self.moved_from is not None:
            return "pack change"
        if self.start > self.lifetime.first:
            return "period start"
        return "pre-existing" if self.lifetime.pre_existing else "lifetime start"

    @property
    def deadline(self) -> Slot | None:
        """A pending line's grace deadline; None for billed and exempt lines (billing.md 6)."""
        return self.lifetime.grace_deadline if self.state == "pending" else None


@dataclass(frozen=True, slots=True)
class DayTotal:
    date: str  # local calendar date, "2026-11-01"
    billed: Decimal  # the day's billed slot charges, rounded once
    running: Decimal  # the sum of the `billed` values up to this day: adds up on paper
    accounts: int
    addons: int


@dataclass(frozen=True, slots=True)
class ProductUse:
    product: str
    kind: ProductKind
    name: str
    items: int
    hours: int
    amount: Decimal | None  # None when a line of it is unpriced; billed + pending otherwise
    billed: Decimal = Decimal(0)  # its billed lines (unpriced ones left out)
    pending: Decimal = Decimal(0)  # its pending lines: not billed yet


@dataclass(frozen=True, slots=True)
class CustomerUse:
    customer: str | None
    accounts: int
    lines: int
    billed: Decimal
    pending: Decimal
    estimate: Decimal
    incomplete: bool


@dataclass(frozen=True, slots=True)
class ReportTotals(Totals):
    """A report's totals: the money, plus the counts and the days' rounding (billing.md 8, 9).

    `accounts` and `addons` count distinct items with a billed or pending
    line; `lines` counts every line, exempt ones included. `day_rounding` is
    `billed` minus the sum of the days' `billed`.
    """

    accounts: int
    addons: int
    lines: int
    day_rounding: Decimal


@dataclass(frozen=True, slots=True)
class PriceChange:
    """A product's monthly price changing inside a period (what the estimate assumes)."""

    product: str
    name: str
    old: Decimal | None  # None: the product had no price before
    new: Decimal
    effective_from: Slot
    after_as_of: bool  # not in force yet: the estimate prices the hours from then at `new`


@dataclass(frozen=True, slots=True)
class PeriodReport:
    provider: Provider
    period: Period
    status: PeriodStatus
    as_of: Slot
    hours_observed: int
    missing_hours: int
    lines: list[Line]
    totals: ReportTotals
    days: list[DayTotal]
    products: list[ProductUse]
    customers: list[CustomerUse]
    warnings: list[str]
    missing: list[tuple[Slot, Slot]]  # missing hours of the period, inclusive runs
    price_changes: list[PriceChange] = field(default_factory=list)  # inside the period, by time
