"""The dashboard's first frame loads only what it shows (docs/performance.md, "Dashboard")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIRST_FRAME = """
import sys
from payg_tui.cli import build_parser
args = build_parser([]).parse_args([])
from payg_tui.ui.app import run_dashboard
code = run_dashboard(demo=False, headless=True, size=(100, 30), exit_when_loaded=True)
print(sorted(m for m in ("payg_tui.engine.detail", "payg_tui.engine.billing",
                         "payg_tui.service.statements", "httpx") if m in sys.modules))
raise SystemExit(code)
"""


def test_a_warm_start_loads_no_report_type_no_engine_and_no_network(example_cache: Path) -> None:
    env = {**os.environ, "PAYG_TUI_CACHE_DIR": str(example_cache.parent),
           "PAYG_TUI_CONFIG_DIR": str(example_cache.parent / "config")}
    example_cache.rename(example_cache.with_name("cache.sqlite3"))
    env.pop("PAYG_API_URL", None)
    env.pop("PAYG_API_TOKEN", None)
    # The first open after new data computes the period summaries (the engine) and saves
    # them; every later start reads them and shows the rows without it.
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", FIRST_FRAME], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
