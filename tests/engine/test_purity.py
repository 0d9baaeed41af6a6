"""The engine is pure: it imports no UI, no HTTP and no database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import payg_tui.engine

ENGINE = Path(payg_tui.engine.__file__).parent
FORBIDDEN = {"textual", "rich", "httpx", "sqlite3", "platformdirs", "socket", "urllib"}


OUTER_LAYERS = tuple(f"payg_tui.{layer}" for layer in ("store", "ui", "providers", "service", "sandbox"))


def test_engine_sources_import_no_ui_http_or_sql():
    for source in ENGINE.glob("*.py"):
        tree = ast.parse(source.read_text(), str(source))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                assert node.level == 0 or not node.module.startswith(("store", "ui", "sources"))
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{source.name} imports {name}"
                assert not name.startswith(OUTER_LAYERS), (
                    f"{source.name} imports {name}")


def test_importing_the_engine_loads_none_of_them():
    code = ("import sys, payg_tui.engine.billing; "
            f"print(sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
