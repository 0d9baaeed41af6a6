"""The dashboard's glue to `payg_tui.sources.sync`: one function, run on a worker thread.

Kept small and alone so it follows the sync module's API when that moves.
httpx and the client are imported here, inside the call, so the dashboard
starts without them. The sync writes through its own connection to the
cache file (SQLite WAL lets the screens keep reading meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from payg_tui.errors import UsageError

if TYPE_CHECKING:
    from payg_tui.config import Config
    from payg_tui.sources.sync import SyncProgress, SyncSummary


@dataclass(frozen=True, slots=True)
class SyncRequest:
    cache: Path
    url: str
    token: str
    connect_timeout: float
    read_timeout: float
    quick: bool = False  # the check at start: give up fast when the API is unreachable


def request_from(config: Config, cache: Path, *, quick: bool = False) -> SyncRequest:
    if not config.api_url:
        raise UsageError("no API URL set: open Settings (ctrl+s) or run `payg-tui config set api.url URL`")
    if not config.api_token:
        raise UsageError("no API token set: open Settings (ctrl+s) or set PAYG_API_TOKEN")
    return SyncRequest(cache, config.api_url, config.api_token, config.connect_timeout,
                       config.read_timeout, quick)


def run(request: SyncRequest, progress: Callable[[SyncProgress], None],
        should_stop: Callable[[], bool]) -> SyncSummary:
    """Bring the cache at `request.cache` up to date; raises `UserError`s."""
    from payg_tui.books import UPDATED_KEY
    from payg_tui.sources.client import ApiClient, RetryPolicy
    from payg_tui.sources.sync import run_sync
    from payg_tui.store.cache import Store

    retry = RetryPolicy(tries=2, total=10.0) if request.quick else None
    with Store.open(request.cache) as store, ApiClient(
        request.url, request.token, connect_timeout=request.connect_timeout,
        read_timeout=request.read_timeout, retry=retry,
    ) as client:
        summary = run_sync(store, client, progress=progress, should_stop=should_stop)
        if summary.hours_added:
            # Books.age_text() reads this key; the sync module keeps its own "last_sync".
            store.set_meta(UPDATED_KEY, datetime.now(UTC).isoformat(timespec="seconds"))
    return summary


def describe(summary: SyncSummary) -> str:
    from payg_tui.sources.sync import describe_range

    hours = summary.hours_added
    text = f"sync done: {hours} hour{'s' if hours != 1 else ''} added ({describe_range(summary)})"
    if summary.missing_hours:
        text += f", {summary.missing_hours} missing"
    if summary.stopped:
        text += "; stopped early, press s to go on"
    return text
