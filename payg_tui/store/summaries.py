"""The period list's summaries, kept in the cache between runs.

They are derived data: valid for the data version they were computed from
and for this summary format, and recomputed whenever either differs. A
summary that cannot be read back is simply ignored.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from payg_tui.engine.model import Period, PeriodSummary, Totals

META_KEY = "period_summaries"
FORMAT = 1  # bump whenever the engine's rules or PeriodSummary change


def dump(summaries: list[PeriodSummary], version: int) -> str:
    return json.dumps({
        "format": FORMAT,
        "version": version,
        "periods": [
            [s.period.key, s.period.start, s.period.end, s.status, s.accounts, s.addons,
             str(s.totals.billed), str(s.totals.pending), str(s.totals.estimate), s.totals.incomplete,
             s.hours_observed, s.missing_hours]
            for s in summaries
        ],
    })


def load(text: str | None, version: int) -> list[PeriodSummary] | None:
    """The saved summaries if they are for `version`, else None."""
    if not text:
        return None
    try:
        saved: Any = json.loads(text)
        if saved.get("format") != FORMAT or saved.get("version") != version:
            return None
        return [
            PeriodSummary(period=Period(key, start, end), status=status, accounts=accounts,
                          addons=addons,
                          totals=Totals(Decimal(billed), Decimal(pending), Decimal(estimate), incomplete),
                          hours_observed=observed, missing_hours=missing)
            for key, start, end, status, accounts, addons, billed, pending, estimate, incomplete,
            observed, missing in saved["periods"]
        ]
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation):
        return None
