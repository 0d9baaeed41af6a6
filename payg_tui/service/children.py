"""Child processes the dashboard starts (a sync, the periods' revenue), ended when it quits.

The worker thread that reads a child's output is joined when the app exits;
a child still running would keep it, and the exit, waiting. SIGTERM, not
SIGINT: a sync stuck in a read of a stalled server would only see SIGINT
after that read. Ending a child loses nothing: a sync stores each page in
one transaction and the next resumes after it; the revenue is worked out
again at the next start.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import subprocess

_running: set[subprocess.Popen[str]] = set()
_closing = False  # `end_all` has run: a child started after it (by a late worker) is ended at once


def started(child: subprocess.Popen[str]) -> None:
    _running.add(child)
    if _closing:
        end_all()


def ended(child: subprocess.Popen[str]) -> None:
    """Forget `child`, killing it if it still runs (its reader stopped early)."""
    _running.discard(child)
    if child.poll() is None:
        child.kill()


def reopen() -> None:
    """A new dashboard in this process (tests run many): children may be started again."""
    global _closing
    _closing = False


def end_all() -> None:
    """End every running child at once: the dashboard is quitting."""
    global _closing
    _closing = True
    for child in list(_running):
        if child.poll() is None:
            child.terminate()
            with contextlib.suppress(ProcessLookupError, AttributeError):  # no SIGCONT on Windows
                child.send_signal(signal.SIGCONT)  # a stopped child acts on SIGTERM once continued


atexit.register(end_all)
