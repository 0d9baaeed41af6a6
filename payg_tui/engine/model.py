"""Plain data the billing engine reads and writes.

Time is counted in *slots*: whole UTC hours since the Unix epoch. A slot `t`
is the hour `[t, t+1h)`; integers keep the hot loops cheap and exact.

Inputs (what the store hands the engine): a `Provider`, its `Product`s with
price versions, and a `Ledger` of observed hours and item presence `Run`s.
Outputs (what screens and commands show): a `PeriodReport` made of `Line`s,
`DayTotal`s, `ProductUse`s and `CustomerUse`s, or a lighter `PeriodSummary`.

The detailed types (snapshots and ledgers in, lines and reports out) live in
`engine/detail.py` and are named here too, loaded on first use: the dashboard's
first frame needs only the summaries, and making 14 more dataclasses took a
tenth of its start beyond a bare Textual app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

Slot = int
"""Whole UTC hours since 1970-01-01T00:00:00Z."""

ItemKind = Literal["account", "addon"]
ProductKind = Literal["service_pack", "addon"]
GraceState = Literal["billed", "pending", "exempt"]
PeriodStatus = Literal["open", "provisional", "closed"]
LineStart = Literal["lifetime start", "pre-existing", "pack change", "period start"]

GRACE_HOURS = 48
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def slot_of(moment: datetime) -> Slot:
    """The slot holding `moment` (an aware datetime)."""
    return int((moment - EPOCH).total_seconds() // 3600)


def slot_time(slot: Slot) -> datetime:
    """The UTC start of `slot`."""
    return EPOCH + timedelta(hours=slot)


def slot_iso(slot: Slot) -> str:
    """`2026-11-01T13:00:00Z`, the API's and the report's way to write an hour."""
    return slot_time(slot).strftime("%Y-%m-%dT%H:00:00Z")


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    currency: str = "EUR"
    currency_exponent: int = 2
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class PriceVersion:
    effective_from: Slot
    monthly: Decimal


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    kind: ProductKind
    name: str
    prices: tuple[PriceVersion, ...]  # sorted by effective_from


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # "2026-11"
    start: Slot  # local 00:00 on the 1st, as a UTC slot
    end: Slot  # exclusive: local 00:00 on the 1st of the next month

    @property
    def hours(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Totals:
    billed: Decimal
    pending: Decimal
    estimate: Decimal
    incomplete: bool


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    """One row of the period list: cheap to compute for every period."""

    period: Period
    status: PeriodStatus
    accounts: int  # distinct accounts with a billed or pending line
    addons: int
    totals: Totals
    hours_observed: int
    missing_hours: int


class BillingError(ValueError):
    """Data the billing rules cannot price (a bad time zone, for example)."""


if TYPE_CHECKING:
    from payg_tui.engine.detail import (
        AccountLabel as AccountLabel,
    )
    from payg_tui.engine.detail import (
        CustomerUse as CustomerUse,
    )
    from payg_tui.engine.detail import (
        DayTotal as DayTotal,
    )
    from payg_tui.engine.detail import (
        Dump as Dump,
    )
    from payg_tui.engine.detail import (
        ItemHistory as ItemHistory,
    )
    from payg_tui.engine.detail import (
        Ledger as Ledger,
    )
    from payg_tui.engine.detail import (
        Lifetime as Lifetime,
    )
    from payg_tui.engine.detail import (
        Line as Line,
    )
    from payg_tui.engine.detail import (
        PeriodReport as PeriodReport,
    )
    from payg_tui.engine.detail import (
        PriceChange as PriceChange,
    )
    from payg_tui.engine.detail import (
        ProductUse as ProductUse,
    )
    from payg_tui.engine.detail import (
        ReportTotals as ReportTotals,
    )
    from payg_tui.engine.detail import (
        Run as Run,
    )
    from payg_tui.engine.detail import (
        Snapshot as Snapshot,
    )

# Defined in engine/detail.py, loaded on first use (see the module's docstring).
_DETAIL = frozenset({
    "AccountLabel",
    "CustomerUse",
    "DayTotal",
    "Dump",
    "ItemHistory",
    "Ledger",
    "Lifetime",
    "Line",
    "PeriodReport",
    "PriceChange",
    "ProductUse",
    "ReportTotals",
    "Run",
    "Snapshot",
})


def __getattr__(name: str) -> Any:
    """`from payg_tui.engine.model import Line` loads `engine/detail.py` on first use."""
    if name in _DETAIL:
        from payg_tui.engine import detail

        value = getattr(detail, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
