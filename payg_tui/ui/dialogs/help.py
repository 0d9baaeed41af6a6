"""`?`: the keys of the screen underneath, and the ones that work everywhere."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GENERAL = (
    ("ctrl+p", "command palette: jump to a period, sync, export, sort, theme"),
    ("↑ ↓ pgup pgdn home end", "move in a table (j/k too)"),
    ("enter / double click", "open the row: a period, an account, a customer"),
    ("1-9 / click a header", "sort by that column; again to reverse"),
    ("/", "filter as you type; enter keeps it, escape drops it"),
    ("[ ]", "previous / next tab (period screen)"),
    ("escape", "back (or clear the filter first)"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close"),
        Binding("q", "dismiss", "Close"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.rows = self._collect(under)

    @staticmethod
    def _collect(under: Screen[object]) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, active in under.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen or key.isdigit():
                continue
            seen.add(binding.action)
            rows.append((binding.key_display or under.app.get_key_display(binding), binding.description))
        return rows

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Keys of this screen\n", style="bold")
        for key, description in self.rows:
            text.append(f"  {key:<14}", style="bold")
            text.append(f"{description}\n")
        text.append("\nEverywhere\n", style="bold")
        for key, description in GENERAL:
            text.append(f"  {key:<24}", style="bold")
            text.append(f"{description}\n")
        text.append("\nescape or ? closes this help")
        with VerticalScroll(id="help-box"):
            yield Static(text, id="help-text")
