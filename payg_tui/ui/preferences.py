"""What the dashboard remembers between runs: the theme, and how each tab is sorted.

Kept in the config file's `[dashboard]` table, next to the settings:

    [dashboard]
    theme = "nord"

    [dashboard.sort.accounts]
    column = "billed"
    reversed = true

A tab is named after its table ("periods", "accounts", "customers",
"timeline"...). The demo never writes them: its choices last the session.
A value that is not what we write (a hand edit, another version) is ignored
on its own, never fatal: a preference is not worth a refused start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payg_tui.config import load_section, save_section
from payg_tui.errors import UserError

SECTION = "dashboard"


@dataclass
class Preferences:
    theme: str | None = None
    sorts: dict[str, tuple[str, bool]] = field(default_factory=dict)  # tab -> (column, reversed)

    @classmethod
    def read(cls, path: Path | None = None) -> Preferences:
        try:
            table = load_section(SECTION, path)
        except UserError:  # the settings themselves say what is wrong with the file
            return cls()
        theme = table.get("theme")
        return cls(theme if isinstance(theme, str) else None, _sorts(table.get("sort")))

    def save(self, path: Path | None = None) -> Path:
        table: dict[str, Any] = {}
        if self.theme:
            table["theme"] = self.theme
        if self.sorts:
            table["sort"] = {tab: {"column": column, "reversed": reverse}
                             for tab, (column, reverse) in sorted(self.sorts.items())}
        return save_section(SECTION, table, path)


def _sorts(raw: object) -> dict[str, tuple[str, bool]]:
    if not isinstance(raw, dict):
        return {}
    sorts = {}
    for tab, value in raw.items():
        if not isinstance(value, dict):
            continue
        column, reverse = value.get("column"), value.get("reversed", False)
        if isinstance(column, str) and column and isinstance(reverse, bool):
            sorts[str(tab)] = (column, reverse)
    return sorts


def tab_of(table_id: str | None) -> str | None:
    """The name a table's sort is remembered under: its id without `-table`."""
    return table_id.removesuffix("-table") if table_id else None
