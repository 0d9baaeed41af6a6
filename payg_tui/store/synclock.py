"""One sync at a time per cache: a lock file beside it saying who holds it.

Two syncs at once would each fetch the same hours and wait on each other's
writes. `payg-tui sync` (and so the dashboard's child sync) holds an
exclusive `flock` on `<cache>.sync-lock` while it runs, and writes its pid,
host and start time into the file, so that another sync, or the dashboard's
`s`, can say who is running. The kernel drops the lock when the process ends,
even by `kill -9`: a stale file never blocks anyone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from payg_tui.engine.text import printable
from payg_tui.errors import CacheError

# A sync that finds the lock taken tries again for this long, so that a
# dashboard merely looking (`holder`) never makes a starting sync fail.
_GRACE = 0.5


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int | None
    host: str | None
    since: str | None

    def __str__(self) -> str:
        parts = [f"pid {self.pid}" if self.pid is not None else "pid unknown"]
        if self.host:
            parts.append(f"on {printable(self.host, 60)}")
        if self.since:
            parts.append(f"since {printable(self.since, 25)}")
        return " ".join(parts)


def lock_path(cache: Path) -> Path:
    return cache.with_name(cache.name + ".sync-lock")


@contextlib.contextmanager
def sync_lock(cache: Path, doing: str = "sync") -> Iterator[None]:
    """Hold the cache's sync lock, or raise `CacheError` (exit 5) naming its holder.

    `import` takes it too (`doing="import"`): an import in the middle of a sync,
    `--replace` above all, would leave the sync writing pages over other data.
    """
    path = lock_path(cache)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise CacheError(f"cannot write the cache's sync lock {path}: {error.strerror or error}; check "
                         "the permissions of the folder, or set PAYG_TUI_CACHE_DIR") from None
    try:
        if not _take(fd):
            holder = _read(fd)
            running = "another sync" if doing == "sync" else "a sync"
            raise CacheError(f"{running} is running on the cache {cache} ({holder}); "
                             f"wait for it to finish{'' if doing == 'sync' else ' before the ' + doing}, "
                             "or stop it")
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": stamp})
                  .encode(), 0)
        yield
    finally:
        os.close(fd)  # drops the lock; the file stays, empty of meaning once unlocked


def holder(cache: Path) -> Holder | None:
    """Who holds the cache's sync lock now, or None (no sync is running)."""
    try:
        fd = os.open(lock_path(cache), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _take(fd: int) -> bool:
    deadline = time.monotonic() + _GRACE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _read(fd: int) -> Holder:
    try:
        fields = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        fields = {}
    if not isinstance(fields, dict):
        fields = {}
    pid = fields.get("pid")
    host, since = fields.get("host"), fields.get("since")
    return Holder(pid if type(pid) is int else None, host if isinstance(host, str) else None,
                  since if isinstance(since, str) else None)
