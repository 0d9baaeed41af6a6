"""The messages workers post; handlers on the app and screens own all UI state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from payg_tui.engine.model import PeriodSummary, Product, Provider, Slot

if TYPE_CHECKING:
    from payg_tui.engine.detail import PeriodReport
    from payg_tui.engine.resale import ResaleTotals, Statements
    from payg_tui.service.alerts import AlertCheck
    from payg_tui.service.statements import Resale
    from payg_tui.service.sync import SyncProgress, SyncSummary


# Messages carry data one way and are never compared: `eq=False, repr=False` writes
# `__init__` only (a full dataclass writes `__eq__` and `__repr__` too, some 3 ms of
# the dashboard's start), and Textual's own repr of a message stays.


class CacheChanged(Message):
    """Another process (a sync, an import) wrote the cache: what is shown is stale."""


@dataclass(eq=False, repr=False)
class PeriodsLoaded(Message):
    periods: list[PeriodSummary]
    provider: Provider | None
    as_of: Slot | None
    age: str | None


@dataclass(eq=False, repr=False)
class ReportLoaded(Message):
    report: PeriodReport
    products: dict[str, Product]
    seconds: float


@dataclass(eq=False, repr=False)
class ReportBuilt(Message):
    """A report built ahead (or its build failed: the period screen will say why)."""

    key: str


@dataclass(eq=False, repr=False)
class LoadFailed(Message):
    what: str
    message: str


@dataclass(eq=False, repr=False)
class SyncProgressed(Message):
    progress: SyncProgress


@dataclass(eq=False, repr=False)
class SyncFinished(Message):
    summary: SyncSummary
    quick: bool


@dataclass(eq=False, repr=False)
class SyncFailed(Message):
    message: str
    network: bool
    quick: bool


@dataclass(eq=False, repr=False)
class ExportFinished(Message):
    path: Path


@dataclass(eq=False, repr=False)
class ExportFailed(Message):
    message: str


@dataclass(eq=False, repr=False)
class AlertsChecked(Message):
    """The alerts at this minute; None when they cannot be checked (no data yet)."""

    result: AlertCheck | None


@dataclass(eq=False, repr=False)
class ResaleLoaded(Message):
    """The price list read (None: no resale.toml, or a refused one: `problems` says why)."""

    resale: Resale | None
    problems: list[str]


@dataclass(eq=False, repr=False)
class ResaleTotalsComputed(Message):
    """A period's cost, revenue and margin, for the period list."""

    key: str
    totals: ResaleTotals


@dataclass(eq=False, repr=False)
class StatementsLoaded(Message):
    statements: Statements
