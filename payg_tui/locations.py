"""Every path payg-tui reads or writes, in one place.

`PAYG_TUI_CONFIG_DIR` and `PAYG_TUI_CACHE_DIR` override the platformdirs
defaults, which keeps tests and scripted runs away from the user's files.
"""

from __future__ import annotations

import os
from pathlib import Path

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
