"""Issue 10, network half: how long `payg-tui sync` takes to give up on a hostile
server, and how much memory it needs meanwhile, with the default settings.

    python benchmarks/bench_hostile.py [FAULT ...]

For each fault of tests/hostile_server.py (default: the ones below), a cache
seeded from the worked example, then `payg-tui sync` in a fresh process,
from start to exit: its exit code, wall time, peak resident memory (the
child's ru_maxrss) and the requests the server saw. Defaults:
`api.request_timeout` 60 s, `api.max_page_mb` 64 MB, the normal retry
policy (the trickling servers send a byte every 2 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from payg_tui.service.importing import import_dump  # noqa: E402
from tests.hostile_server import DUMP, HostileServer, bomb  # noqa: E402

FAULTS = {  # fault -> server options
    "trickle_headers": {"interval": 2.0},
    "trickle": {"interval": 2.0},
    "silent": {},
    "endless": {},
    "gzip_bomb": {"size": 1 << 30},
    "cycle": {},
    "empty_pages": {},
}


def run(fault: str) -> str:
    options = FAULTS.get(fault, {})
    if fault == "gzip_bomb":
        bomb(options["size"])  # made before the clock starts
    with HostileServer(fault, **options) as server, tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        import_dump(DUMP, cache=cache / "cache.sqlite3")
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PAYG_")},
               "PAYG_TUI_CACHE_DIR": str(cache), "PAYG_TUI_CONFIG_DIR": f"{tmp}/config",
               "PAYG_API_URL": server.url, "PAYG_API_TOKEN": "t0ken"}
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "payg_tui.cli", "sync"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        took = time.monotonic() - started
        err = child.stderr.read().strip() if child.stderr else ""
        requests = len(server.requests)
    return (f"{fault:16} exit {os.waitstatus_to_exitcode(status)}  {took:6.1f} s  "
            f"peak {usage.ru_maxrss / 1024:5.0f} MB  {requests:3} requests  {err[:110]}")


if __name__ == "__main__":
    for name in sys.argv[1:] or list(FAULTS):
        print(run(name), flush=True)
