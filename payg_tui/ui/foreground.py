"""What the user is waiting for goes first; work nobody waits for steps aside.

Worker threads share one interpreter lock. After start-up the app works
ahead on its own: the revenue of every period for the list (with a price
list, a report and its statements per period, some 0.3 s each for a large
month), the header's alerts, the report under the cursor. A period opened
meanwhile had its report and first paint slowed down by them: with a price
list, a cold open of a 15,000-line month took 0.41-0.51 s instead of 0.21-
0.30 s.

A screen loading what the user asked for says so (`started`) until its
table is painted (`finished`, also when it closes first); background
workers call `wait()` between steps, which returns at once when nothing is
loading. The wait is capped, so a screen that forgets to finish slows the
background down but never stops it.

The revenue runs in a child process (`service/resale_child.py`), which
cannot wait between steps: it is stopped (SIGSTOP) while something loads and
continued after. On this machine's two cores (hyperthreads) a child working
beside the dashboard still made a cold open 1.7x slower.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading

LONGEST_WAIT = 5.0  # seconds a background step waits for the foreground at most


class Foreground:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loading: set[int] = set()  # id() of the screens loading
        self._idle = threading.Event()
        self._idle.set()
        self._children: set[subprocess.Popen[str]] = set()

    def started(self, owner: object) -> None:
        with self._lock:
            self._loading.add(id(owner))
            self._idle.clear()
            self._signal(_STOP)

    def finished(self, owner: object) -> None:
        with self._lock:
            self._loading.discard(id(owner))
            if not self._loading and not self._idle.is_set():
                self._idle.set()
                self._signal(_CONTINUE)

    def attach(self, child: subprocess.Popen[str]) -> None:
        """A background child process: stopped whenever something loads."""
        with self._lock:
            self._children.add(child)
            if self._loading:
                _send(child, _STOP)

    def detach(self, child: subprocess.Popen[str]) -> None:
        with self._lock:
            self._children.discard(child)
            _send(child, _CONTINUE)  # never left stopped: it could not end

    def _signal(self, signum: int | None) -> None:
        for child in self._children:
            _send(child, signum)

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def wait(self, timeout: float = LONGEST_WAIT) -> None:
        """Return once nothing the user waits for is loading (or after `timeout` seconds)."""
        self._idle.wait(timeout)


# Not on Windows, which has no such signals: there the child runs on, at a lower priority.
_STOP = getattr(signal, "SIGSTOP", None)
_CONTINUE = getattr(signal, "SIGCONT", None)


def _send(child: subprocess.Popen[str], signum: int | None) -> None:
    if signum is not None and child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)
