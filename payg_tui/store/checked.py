"""When the cache's integrity check can be skipped: once per change of the file.

`PRAGMA quick_check` reads every page of the cache (about 25 ms for a year
of a large reseller), and every command and the dashboard open the cache,
so checking on each open was a tenth of the dashboard's start-up. It is
needed only when the file may have changed since it was last seen whole:

- after a check passes, or when a file known to be whole is left by the last
  payg-tui that had it open, `vouch` writes a stamp of the file beside it
  (`<cache>-checked`: device, inode, size, modification and change times);
- `is_vouched` is true only when that stamp matches the file exactly and no
  write-ahead log is pending (a log left behind means a crash, or another
  connection still open: check then).

Anything that touches the file (another program, a copy, a restore, a
truncation, a scribble) changes its times, so the next open checks it
again. The stamp is only written once the file's modification time is
older than the clock's granularity: a change made in the same tick as our
last write would otherwise keep the same time. Any doubt (no stamp, an
unreadable one, a folder we cannot write) means: check.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

_VERSION = "payg-tui quick_check 1"
SETTLED = 0.05  # seconds: file times move in ticks of a few ms; allow several


def stamp_path(cache: Path) -> Path:
    return cache.with_name(cache.name + "-checked")


_damaged: set[Path] = set()  # files this process found damaged: never vouched for


def _describe(st: os.stat_result) -> str:
    return f"{_VERSION} {st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"


def _stamp(cache: Path) -> str | None:
    try:
        return _describe(os.stat(cache))
    except OSError:
        return None


def _log_pending(cache: Path) -> bool | None:
    """True when a write-ahead log with frames exists; None when that cannot be told."""
    try:
        return os.stat(cache.with_name(cache.name + "-wal")).st_size > 0
    except FileNotFoundError:
        return False
    except OSError:
        return None


def is_vouched(cache: Path) -> bool:
    """True when the file is exactly as a payg-tui left it after it was found whole."""
    if _log_pending(cache) is not False:
        return False
    try:
        kept = stamp_path(cache).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return False
    stamp = _stamp(cache)
    return stamp is not None and kept == stamp


def vouch(cache: Path) -> None:
    """Remember the file, found whole, as it is now; call after closing the connection.

    Left to whoever closes last when another connection still holds the log
    open; skipped when the file changed too recently for its time to tell a
    later change apart, and for a file found damaged by this process.
    """
    if cache in _damaged or cache.with_name(cache.name + "-wal").exists():
        return
    try:
        st = os.stat(cache)
        if time.time() - st.st_mtime < SETTLED:
            return
        target = stamp_path(cache)
        scratch = target.with_name(f"{target.name}.{os.getpid()}")
        scratch.write_text(_describe(st), encoding="ascii")
        os.replace(scratch, target)
    except OSError:
        pass  # a read-only folder: every open checks, as before


def distrust(cache: Path) -> None:
    """The file was found damaged: drop its stamp, so every open checks it again."""
    _damaged.add(cache)
    with contextlib.suppress(OSError):
        stamp_path(cache).unlink(missing_ok=True)
