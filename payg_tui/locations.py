"""Every path payg-tui reads or writes, in one place.

`PAYG_TUI_CONFIG_DIR` and `PAYG_TUI_CACHE_DIR` override the platformdirs
defaults, which keeps tests and scripted runs away from the user's files.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, BinaryIO

import platformdirs

APP_NAME = "payg-tui"


def config_dir() -> Path:
    override = os.environ.get("PAYG_TUI_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    override = os.environ.get("PAYG_TUI_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def config_path() -> Path:
    return config_dir() / "config.toml"


def prices_path() -> Path:
    return config_dir() / "prices.toml"


def resale_path() -> Path:
    """The sell price list (resale.md); optional."""
    return config_dir() / "resale.toml"


def cache_path() -> Path:
    return cache_dir() / "cache.sqlite3"


def load_toml(handle: BinaryIO) -> dict[str, Any]:
    """`tomllib.load`, but a file that starts with a UTF-8 byte-order mark (Windows
    Notepad may write one) is read as the text it is, not refused at line 1, column 1.
    Raises what `tomllib.load` raises (`TOMLDecodeError`, `UnicodeDecodeError`)."""
    return tomllib.loads(handle.read().decode("utf-8-sig"))
