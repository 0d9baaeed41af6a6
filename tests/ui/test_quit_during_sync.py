"""`q` while a sync hangs on a stalled server quits at once and ends the sync's child process.

The real dashboard in a pseudo-terminal: its start-up sync (a child `payg-tui
sync` process) is stuck on a server that trickles one byte every 2 s. The
dashboard's exit joins the worker thread that reads the child, so before
issue 10 it waited for the child, for ever.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from payg_tui.service.importing import import_dump
from tests.hostile_server import HostileServer
from tests.ui.conftest import EXAMPLE


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _drain(fd: int, seconds: float) -> None:
    ready, _, _ = select.select([fd], [], [], seconds)
    if ready:
        with contextlib.suppress(OSError):  # the terminal is gone once the app has quit
            os.read(fd, 65536)


def _exited(pid: int, within: float, fd: int) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < within:
        _drain(fd, 0.05)
        if os.waitpid(pid, os.WNOHANG)[0]:
            return time.monotonic() - started
    return None


def test_q_during_a_stalled_sync_quits_at_once_and_ends_the_child(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    import_dump(EXAMPLE, cache=cache / "cache.sqlite3")
    with HostileServer("trickle", on="/v1/provider", interval=2.0) as server:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PAYG_")},
               "PAYG_TUI_CACHE_DIR": str(cache), "PAYG_TUI_CONFIG_DIR": str(tmp_path / "config"),
               "PAYG_API_URL": server.url, "PAYG_API_TOKEN": "t0ken", "TERM": "xterm-256color"}
        pid, fd = pty.fork()
        if pid == 0:  # the dashboard
            os.execve(sys.executable, [sys.executable, "-m", "payg_tui.cli"], env)
        children: list[int] = []
        try:
            deadline = time.monotonic() + 30
            while not (server.requests and children) and time.monotonic() < deadline:
                _drain(fd, 0.1)
                children = _children(pid)
            assert server.requests and children, "the start-up sync never began"
            os.write(fd, b"q")
            took = _exited(pid, 10.0, fd)
            assert took is not None, "the dashboard did not quit within 10 s"
            assert took < 3.0, took
            assert not any(Path(f"/proc/{child}").exists() for child in children)
        finally:
            for stray in [pid, *children]:
                try:
                    os.kill(stray, signal.SIGKILL)
                    os.waitpid(stray, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
            os.close(fd)
