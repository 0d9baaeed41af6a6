"""The dashboard's sync, run in a child process: both ends of `sync --progress json`.

`run` (on a dashboard worker thread) starts `payg-tui sync --progress json`
and reads its lines; `JsonProgress` (in the child, `commands/sync.py`) writes
them. The child writes through its own connection to the cache file (SQLite
WAL lets the screens keep reading meanwhile).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from payg_tui.errors import (
    EXIT_CACHE,
    EXIT_CONTRACT,
    EXIT_NETWORK,
    CacheError,
    DataContractError,
    NetworkError,
    UsageError,
    UserError,
)
from payg_tui.service import children

if TYPE_CHECKING:
    from payg_tui.config import Config
    from payg_tui.service.sync import SyncProgress, SyncSummary


@dataclass(frozen=True, slots=True)
class SyncRequest:
    cache: Path
    url: str
    token: str
    connect_timeout: float
    read_timeout: float
    request_timeout: float
    max_page_mb: int
    quick: bool = False  # the check at start: give up fast when the API is unreachable


def request_from(config: Config, cache: Path, *, quick: bool = False) -> SyncRequest:
    if not config.api_url:
        raise UsageError("no API URL set: press c for Settings or run `payg-tui config set api.url URL`")
    if not config.api_token:
        raise UsageError("no API token set: press c for Settings or set PAYG_API_TOKEN")
    return SyncRequest(cache, config.api_url, config.api_token, config.connect_timeout,
                       config.read_timeout, config.request_timeout, config.max_page_mb, quick)


def running_elsewhere(cache: Path) -> str | None:
    """Who runs a sync on `cache` now (`pid 123 on host since ...`), or None."""
    from payg_tui.store.synclock import holder

    found = holder(cache)
    return None if found is None else str(found)


def run(request: SyncRequest, progress: Callable[[SyncProgress], None],
        should_stop: Callable[[], bool]) -> SyncSummary:
    """Bring the cache at `request.cache` up to date; raises `UserError`s.

    The sync runs as `payg-tui sync --progress json` in a child process and
    this thread only reads its lines: decoding and storing a large reseller's
    pages in the dashboard's own interpreter would stall the UI thread (the
    GIL, and the garbage collector's pauses) for a tenth of a second at times.
    The token travels in the child's environment, never on its command line.
    """
    from payg_tui.service.sync import SyncProgress

    command = [sys.executable, "-m", "payg_tui.cli", "sync", "--progress", "json",
               "--api-url", request.url, "--cache-file", str(request.cache),
               "--connect-timeout", str(request.connect_timeout),
               "--read-timeout", str(request.read_timeout),
               "--request-timeout", str(request.request_timeout),
               "--max-page-mb", str(request.max_page_mb), *(["--quick"] if request.quick else [])]
    env = {**os.environ, "PAYG_API_TOKEN": request.token}
    env.pop("PAYG_API_URL", None)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env, text=True,
                                 encoding="utf-8")
        children.started(child)
        summary = None
        try:
            assert child.stdout is not None
            for line in child.stdout:
                if should_stop() and child.poll() is None:
                    child.send_signal(signal.SIGINT)  # it stops after the page it is storing
                message = json.loads(line)
                if "progress" in message:
                    progress(SyncProgress(**message["progress"]))
                elif "summary" in message:
                    summary = _summary(message["summary"])
            code = child.wait()
        finally:
            children.ended(child)
        errors.seek(0)
        lines = [line for line in errors.read().splitlines() if line.strip()]
    if code != 0 or summary is None:
        raise _error(code, lines[-1] if lines else f"sync stopped (exit {code})")
    return summary


class JsonProgress:
    """Progress and summary as JSON lines, flushed at once (the dashboard reads them live)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def update(self, progress: SyncProgress) -> None:
        self._write({"progress": dataclasses.asdict(progress)})

    def summary(self, summary: SyncSummary) -> None:
        self._write({"summary": dataclasses.asdict(summary)})

    def finish(self) -> None:
        pass

    def _write(self, obj: dict[str, object]) -> None:
        self.stream.write(json.dumps(obj) + "\n")
        self.stream.flush()


def _summary(fields: dict[str, Any]) -> SyncSummary:
    from payg_tui.service.sync import SyncSummary

    fields["missing"] = [tuple(run) for run in fields["missing"]]
    fields["periods"] = tuple(fields["periods"])
    return SyncSummary(**fields)


def _error(code: int, line: str) -> UserError:
    message = line.removeprefix("payg-tui: ")
    kind = {EXIT_NETWORK: NetworkError, EXIT_CONTRACT: DataContractError, EXIT_CACHE: CacheError}
    return kind.get(code, UsageError)(message)


def describe(summary: SyncSummary) -> str:
    from payg_tui.service.sync import describe_range

    hours = summary.hours_added
    text = f"sync done: {hours} hour{'s' if hours != 1 else ''} added ({describe_range(summary)})"
    if summary.missing_hours:
        text += f", {summary.missing_hours} missing"
    if summary.stopped:
        text += "; stopped early, press s to go on"
    return text
